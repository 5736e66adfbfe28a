"""Walking networks read from real files: exact distances against an independent reference, steps, GraphML."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest
import shapely

from gridmap.errors import InvalidInput
from gridmap.io.osm import read_walkways
from gridmap.services.lifecircle import Network, NetworkOptions, load_network

OSM = Path(__file__).resolve().parents[1] / "fixtures" / "osm"
PLAIN = NetworkOptions(fragment_gap=0.0, steps_factor=1.0)


def reference_distances(
    lines: npt.NDArray[np.object_], households: npt.NDArray[np.float64], facilities: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Nearest-facility walking distance by networkx on a graph built independently of gridmap.

    Every vertex of every line is a node (rounded to 1 mm, so lines meet only at shared vertices) and every
    segment an edge; each point hangs by its connector on the point nearest to it of the segment nearest to
    it (brute force over all segments, by GEOS), which splits that segment.
    """
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    same = owner[1:] == owner[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    segments = shapely.linestrings(np.stack([a, b], axis=1))
    key = [tuple(np.round(xy, 3)) for xy in coords]
    start_key = [k for k, s in zip(key[:-1], same, strict=True) if s]
    end_key = [k for k, s in zip(key[1:], same, strict=True) if s]
    stops: dict[int, list[tuple[float, object]]] = {}
    graph = nx.Graph()
    points = np.vstack([households, facilities])
    distance = shapely.distance(shapely.points(points)[:, None], segments[None, :])
    nearest = distance.argmin(axis=1)
    for i, s in enumerate(nearest.tolist()):
        along = float(shapely.line_locate_point(segments[s], shapely.Point(points[i])))
        stops.setdefault(s, []).append((along, ("on", i)))
        graph.add_edge(("point", i), ("on", i), weight=float(distance[i, s]))
    for s, (u, v) in enumerate(zip(start_key, end_key, strict=True)):
        chain = [(0.0, u), *sorted(stops.get(s, []), key=lambda stop: stop[0]), (float(segments[s].length), v)]
        for (d0, p), (d1, q) in itertools.pairwise(chain):
            if p != q and not (graph.has_edge(p, q) and graph[p][q]["weight"] <= d1 - d0):
                graph.add_edge(p, q, weight=d1 - d0)
    sources = [("point", len(households) + j) for j in range(len(facilities))]
    lengths = nx.multi_source_dijkstra_path_length(graph, sources)
    return np.array([lengths.get(("point", i), np.inf) for i in range(len(households))])


def test_west_oakland_distances_are_exact_against_an_independent_reference() -> None:
    """The real West Oakland extract (OSMnx's test data): gridmap within 1e-6 m of networkx on its own graph."""
    path = OSM / "west-oakland.osm.bz2"
    network: Network = load_network(path, PLAIN)
    walking = network.walking
    lines = network.metres.to_local(read_walkways(path).lines)
    low, high = walking.node_xy.min(axis=0), walking.node_xy.max(axis=0)
    rng = np.random.default_rng(18)
    households = rng.uniform(low, high, size=(300, 2))
    facilities = rng.uniform(low, high, size=(12, 2))
    ours = walking.nearest_facility_distance(
        walking.snap(shapely.points(households)), walking.snap(shapely.points(facilities))
    )
    theirs = reference_distances(lines, households, facilities)
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))
    assert np.isfinite(ours).mean() > 0.9
    finite = np.isfinite(ours)
    assert np.abs(ours[finite] - theirs[finite]).max() < 1e-6


def street_file(tmp_path: Path, features: list[tuple[dict[str, object], list[tuple[float, float]]]]) -> Path:
    """A GeoJSON lines file in local metres near Shouning (1 m ~ 1e-5 degrees is close enough here)."""
    path = tmp_path / "streets.geojson"
    to_degrees = 1e-5
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[119.5 + x * to_degrees, 27.46 + y * to_degrees] for x, y in coords],
                },
            }
            for properties, coords in features
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_steps_weigh_their_factor_from_the_highway_tag(tmp_path: Path) -> None:
    path = street_file(
        tmp_path, [({"highway": "steps"}, [(0, 0), (0, 50)]), ({"highway": "footway"}, [(0, 50), (0, 100)])]
    )
    default = load_network(path).walking
    assert sorted(default.edge_factor.tolist()) == [1.0, 2.0]
    heavy = load_network(path, NetworkOptions(steps_factor=3.0)).walking
    steps = int(np.argmax(heavy.edge_factor))
    assert heavy.edge_factor[steps] == 3.0
    assert heavy.edge_cost[steps] == pytest.approx(3.0 * heavy.edge_length[steps])
    with pytest.raises(InvalidInput, match="at least 1"):
        load_network(path, NetworkOptions(steps_factor=0.5))
