"""The sample streets as written: noded at every crossing and junction, so they form a walking network as they are."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from gridmap.geo.crs import LocalMetres
from gridmap.geo.network import WalkingNetwork
from gridmap.services.lifecircle import (
    LifeCircle,
    NetworkOptions,
    load_network,
    network_from_lines,
    read_facilities,
    read_households,
)
from gridmap_demo.region import SampleRegion
from gridmap_demo.streets import NODING_TOLERANCE_M, noded_streets

DATA = Path(__file__).resolve().parents[2] / "data"
STREETS = DATA / "sample" / "streets.geojson"
METRE = 1.0 / 111_195  # degrees of latitude
LON0, LAT0 = 119.50, 27.45


def line(*points: tuple[float, float]) -> LineString:
    """A lon/lat line from points in metres east and north of the origin (east uses the latitude's scale)."""
    return LineString([(LON0 + x * METRE, LAT0 + y * METRE) for x, y in points])


def streets_of(*lines: LineString) -> gpd.GeoDataFrame:
    """Streets named 0, 1, ... in WGS-84."""
    return gpd.GeoDataFrame({"name": [str(i) for i in range(len(lines))]}, geometry=list(lines), crs="EPSG:4326")


def pieces_of(streets: gpd.GeoDataFrame) -> np.ndarray:
    """Every line of every street."""
    return np.asarray(shapely.get_parts(np.asarray(streets.geometry.values, dtype=object)), dtype=object)


@pytest.fixture(scope="module")
def committed() -> gpd.GeoDataFrame:
    return gpd.read_file(STREETS)


@pytest.fixture(scope="module")
def generated(region: SampleRegion) -> gpd.GeoDataFrame:
    """The generator's streets, before noding."""
    return region.streets


def test_crossing_and_near_t_junction_split_with_a_shared_vertex() -> None:
    street = line((0, 0), (100, 0))
    crossing = line((30, -50), (30, 50))
    lane = line((70, 40), (70, 0.005))  # ends 5 mm short of the street
    far = line((90, 40), (90, 0.2))  # ends 20 cm short: a dead end, not a junction
    noded = noded_streets(streets_of(street, crossing, lane, far))
    parts = [list(shapely.get_parts(g)) for g in noded.geometry]
    assert [len(p) for p in parts] == [3, 2, 1, 1]
    first, second, third = parts[0]
    assert first.coords[-1] == second.coords[0] and second.coords[-1] == third.coords[0]
    assert second.coords[-1] == parts[2][0].coords[-1]  # the street takes the lane's end as its vertex
    assert first.coords[-1] in (parts[1][0].coords[-1], parts[1][1].coords[0])  # the crossing is shared
    assert parts[1][0].coords[-1] == parts[1][1].coords[0]
    assert parts[0][0].coords[0] == street.coords[0] and parts[0][-1].coords[-1] == street.coords[-1]
    assert parts[3][0].equals_exact(far, 0.0)
    assert noded["name"].tolist() == ["0", "1", "2", "3"]


def test_noding_twice_changes_nothing() -> None:
    streets = streets_of(line((0, 0), (100, 0)), line((30, -50), (30, 50)), line((70, 40), (70, 0.005)))
    once = noded_streets(streets)
    twice = noded_streets(once)
    assert all(a.equals_exact(b, 0.0) for a, b in zip(once.geometry, twice.geometry, strict=True))


def test_committed_streets_are_the_generators_noded(committed: gpd.GeoDataFrame, generated: gpd.GeoDataFrame) -> None:
    assert committed["name"].tolist() == generated["name"].tolist()
    assert committed["kind"].tolist() == generated["kind"].tolist()
    metres = LocalMetres(*committed.total_bounds)
    original = metres.to_local(np.asarray(generated.geometry.values, dtype=object))
    noded = metres.to_local(np.asarray(committed.geometry.values, dtype=object))
    # the same lines: lane ends moved onto the streets they meet, junctions rounded to 7 decimals
    assert shapely.hausdorff_distance(original, noded).max() < NODING_TOLERANCE_M
    assert shapely.length(noded).sum() == pytest.approx(shapely.length(original).sum(), abs=0.1)
    assert len(pieces_of(committed)) > 2 * len(committed)  # streets really are split


def test_committed_streets_are_noded_already(committed: gpd.GeoDataFrame) -> None:
    again = noded_streets(committed)
    assert all(a.equals_exact(b, 0.0) for a, b in zip(committed.geometry, again.geometry, strict=True))
    pieces = pieces_of(committed)
    # GEOS finds no crossing that is not a shared vertex already
    assert len(shapely.get_parts(shapely.node(shapely.MultiLineString(list(pieces))))) == len(pieces)


def test_a_network_from_the_file_as_it_is_has_its_junctions(committed: gpd.GeoDataFrame) -> None:
    pieces = pieces_of(committed)
    metres = LocalMetres(*committed.total_bounds)
    network = WalkingNetwork.from_lines(metres.to_local(pieces))  # joined at shared vertices only
    assert network.n_edges == len(pieces)
    degree = np.bincount(np.concatenate([network.edge_u, network.edge_v]), minlength=network.n_nodes)
    assert (degree >= 3).sum() > 100
    # no dead end lies within half a metre of another street: every lane reaching a street is joined to it
    dead_ends = shapely.points(network.node_xy[degree == 1])
    assert (shapely.distance(dead_ends[:, None], network.edges[None, :]) < 0.5).sum(axis=1).max() == 1
    # the life-circle service, which nodes GeoJSON again, finds the same junctions
    loaded = load_network(STREETS)
    service = loaded.walking
    assert (service.n_nodes, service.n_edges) == (network.n_nodes, network.n_edges)
    service_nodes = shapely.get_coordinates(loaded.metres.to_wgs84(shapely.points(service.node_xy)))
    own_nodes = metres.to_local(shapely.points(service_nodes))
    nearest = shapely.distance(own_nodes[:, None], shapely.points(network.node_xy)[None, :]).min(axis=1)
    assert nearest.max() < NODING_TOLERANCE_M


def test_life_circles_on_the_file_as_it_is_match_the_services_noding() -> None:
    households = read_households(DATA / "sample" / "households.csv")
    facilities = read_facilities(DATA / "sample" / "facilities.geojson")
    as_written = LifeCircle(load_network(STREETS, NetworkOptions(node_crossings=False)), households, facilities)
    noded_again = LifeCircle(load_network(STREETS), households, facilities)
    # noding the noded file changes nothing: the same network, the same walks to the last bit
    assert np.array_equal(as_written.minutes.to_numpy(), noded_again.minutes.to_numpy())


def test_the_service_nodes_the_generators_unnoded_streets_into_the_same_network(generated: gpd.GeoDataFrame) -> None:
    unnoded = network_from_lines(np.asarray(generated.geometry.values, dtype=object), node_crossings=True)
    from_file = load_network(STREETS).walking
    assert (unnoded.walking.n_nodes, unnoded.walking.n_edges) == (from_file.n_nodes, from_file.n_edges)
    degree = np.bincount(np.concatenate([from_file.edge_u, from_file.edge_v]), minlength=from_file.n_nodes)
    walking = unnoded.walking
    own_degree = np.bincount(np.concatenate([walking.edge_u, walking.edge_v]), minlength=walking.n_nodes)
    assert sorted(own_degree.tolist()) == sorted(degree.tolist())
