"""Walking network, snapping, nearest-facility distances and isochrones on hand-made networks with known answers.

The reference for random networks is networkx on the network with every connection point inserted as a real
node (the edges split for real), so the virtual splits of gridmap.geo.network are checked against plain
Dijkstra on an explicit graph.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import numpy.typing as npt
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.spatial import Delaunay

from gridmap.geo.isochrones import LIFE_CIRCLE_MINUTES, STREET_HALF_WIDTH, Reach, isochrones, reach_lines, reaches
from gridmap.geo.network import (
    DEFAULT_WALKING_SPEED,
    Snapped,
    WalkingNetwork,
    nearest_facility_seconds,
    walking_seconds,
)

TOLERANCE = 1e-6


def line(*coords: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString(coords)


def points(*coords: tuple[float, float]) -> npt.NDArray[np.object_]:
    return np.asarray(shapely.points(np.array(coords, dtype=float)), dtype=object)


def reference_graph(network: WalkingNetwork, snapped: dict[str, Snapped]) -> nx.Graph:
    """networkx graph of the network with each snapped point's connection point as a node and its connector.

    Street nodes are ("node", i); a point is (name, i), joined by its connector to (name + "@", i) on the edge.
    """
    on_edge: dict[int, list[tuple[float, tuple[str, int]]]] = {}
    graph = nx.Graph()
    for name, snaps in snapped.items():
        for i in np.flatnonzero(snaps.connected):
            on_edge.setdefault(int(snaps.edge[i]), []).append((float(snaps.offset[i]), (name + "@", int(i))))
            graph.add_edge((name, int(i)), (name + "@", int(i)), weight=float(snaps.connector[i]))
    for e in range(network.n_edges):
        length = float(network.edge_length[e])
        stops = [(0.0, ("node", int(network.edge_u[e])))]
        stops += sorted(on_edge.get(e, []))
        stops.append((length, ("node", int(network.edge_v[e]))))
        for (a, p), (b, q) in itertools.pairwise(stops):
            weight = b - a
            if p == q:
                continue
            if graph.has_edge(p, q) and graph[p][q]["weight"] <= weight:
                continue
            graph.add_edge(p, q, weight=weight)
    return graph


def reference_nearest(network: WalkingNetwork, households: Snapped, facilities: Snapped) -> npt.NDArray[np.float64]:
    """Household distances to the nearest facility by networkx on the explicitly split graph."""
    graph = reference_graph(network, {"h": households, "f": facilities})
    sources = [("f", int(i)) for i in np.flatnonzero(facilities.connected)]
    lengths = nx.multi_source_dijkstra_path_length(graph, sources) if sources else {}
    return np.array([lengths.get(("h", i), np.inf) for i in range(len(households))])


def random_network(seed: int, n_points: int, keep: float) -> tuple[WalkingNetwork, np.random.Generator]:
    """A random planar street network: part of a Delaunay triangulation, some edges bent, some joined."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, size=(n_points, 2))
    triangles = Delaunay(xy).simplices
    pairs = np.unique(np.sort(np.r_[triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]], axis=1), axis=0)
    pairs = pairs[rng.random(len(pairs)) < keep]
    lines = []
    used = set()
    for i, (a, b) in enumerate(pairs):
        if i in used:
            continue
        mid = (xy[a] + xy[b]) / 2 + rng.normal(0, 15, 2)
        coords = [xy[a], mid, xy[b]] if rng.random() < 0.5 else [xy[a], xy[b]]
        # join with a later edge at b into one LineString: b becomes an interior vertex of the line
        follow = [j for j in range(i + 1, len(pairs)) if j not in used and pairs[j][0] == b]
        if follow and rng.random() < 0.5:
            used.add(follow[0])
            coords.append(xy[pairs[follow[0]][1]])
        lines.append(shapely.LineString(coords))
    return WalkingNetwork.from_lines(lines), rng


# ---------------------------------------------------------------- building the network


def test_lines_are_noded_at_shared_endpoints_and_vertices_only() -> None:
    network = WalkingNetwork.from_lines(
        [
            line((0, 0), (100, 0), (200, 0)),  # (100, 0) is shared with the next line: a junction
            line((100, -50), (100, 0), (100, 50)),
            line((150, -50), (150, 50)),  # crosses the first line without a shared vertex: a bridge
            line((200, 0), (250, 0), (300, 40)),  # (250, 0) is used only here: a shape vertex
        ]
    )
    assert network.n_nodes == 8
    assert network.n_edges == 6
    assert sorted(network.edge_length) == pytest.approx([50, 50, 100, 100, 100, 50 + np.hypot(50, 40)])
    degree = np.bincount(np.r_[network.edge_u, network.edge_v], minlength=network.n_nodes)
    junction = np.flatnonzero((network.node_xy == [100, 0]).all(axis=1))
    assert degree[junction].tolist() == [4]
    assert not ((network.node_xy == [150, 0]).all(axis=1)).any()
    assert not ((network.node_xy == [250, 0]).all(axis=1)).any()


def test_nearly_equal_coordinates_merge_and_degenerate_lines_drop() -> None:
    network = WalkingNetwork.from_lines(
        [
            line((0, 0), (100, 0)),
            line((100.0004, 0.0003), (100, 80)),  # within the 1 mm precision of (100, 0)
            line((5, 5), (5, 5)),  # zero length
            shapely.LineString(),
            shapely.MultiLineString([[(0, 0), (0, 30)], [(0, 30), (0, 60)]]),
        ]
    )
    assert network.n_edges == 4
    assert network.n_nodes == 5
    assert network.edge_length.sum() == pytest.approx(100 + 80 + 60, abs=1e-3)


def test_an_empty_network_connects_nothing() -> None:
    network = WalkingNetwork.from_lines([])
    snapped = network.snap(points((0, 0)))
    assert snapped.edge.tolist() == [-1]
    assert network.nearest_facility_distance(snapped, snapped).tolist() == [np.inf]
    assert isochrones(network, snapped)[0, 0].is_empty


# ---------------------------------------------------------------- snapping and connectors


def test_connector_to_the_nearest_point_on_the_nearest_edge() -> None:
    network = WalkingNetwork.from_lines([line((0, 0), (100, 0), (100, 100)), line((100, 100), (300, 100))])
    snapped = network.snap(points((30, 12), (130, 60), (-30, -40), (250, 103), (1000, 1000)), max_connector=500)
    assert snapped.connector[:4] == pytest.approx([12, 30, 50, 3])
    assert snapped.offset[:4] == pytest.approx([30, 160, 0, 150])
    first = network.edges[snapped.edge[0]]
    assert shapely.equals(first, line((0, 0), (100, 0), (100, 100)))
    assert snapped.edge[4] == -1
    assert snapped.connector[4] == np.inf


def test_snapping_matches_brute_force_distance_to_every_edge() -> None:
    network, rng = random_network(seed=5, n_points=60, keep=0.6)
    xy = rng.uniform(-100, 1100, size=(300, 2))
    snapped = network.snap(shapely.points(xy))
    brute = shapely.distance(shapely.points(xy)[:, None], network.edges[None, :]).min(axis=1)
    np.testing.assert_allclose(snapped.connector, brute, atol=1e-9)
    on_edge = shapely.line_interpolate_point(network.edges[snapped.edge], snapped.offset)
    np.testing.assert_allclose(shapely.distance(shapely.points(xy), on_edge), snapped.connector, atol=1e-6)


# ---------------------------------------------------------------- distances with known answers


def test_line_street_known_distances() -> None:
    """One street 0..1000 m (vertices every 100 m, no junction): everything is along one edge."""
    street = line(*[(x, 0) for x in range(0, 1001, 100)])
    network = WalkingNetwork.from_lines([street])
    assert network.n_edges == 1
    households = network.snap(points((250, 10), (900, -4), (-30, 40)))
    facilities = network.snap(points((700, -5), (950, 2)))
    nearest = network.nearest_facility(households, facilities)
    # direct along the shared edge: connector + |offset difference| + facility connector
    assert nearest.distance == pytest.approx([10 + 450 + 5, 4 + 50 + 2, 50 + 700 + 5])
    assert nearest.facility.tolist() == [0, 1, 0]
    assert nearest.seconds() == pytest.approx(nearest.distance / DEFAULT_WALKING_SPEED)
    assert nearest.seconds(speed=0.5) == pytest.approx(nearest.distance * 2)


def test_a_farther_facility_on_the_same_edge_wins_over_a_nearer_one_far_off_the_street() -> None:
    """Along one edge the nearest facility is not the one beside you: connectors count too."""
    network = WalkingNetwork.from_lines([line((0, 0), (1000, 0))])
    households = network.snap(points((500, 3), (100, 1)))
    # at 510 but 300 m off the street; at 560 on it; at 380, 20 m off
    facilities = network.snap(points((510, 300), (560, 0), (380, -20)))
    nearest = network.nearest_facility(households, facilities)
    assert nearest.distance == pytest.approx([3 + 60, 1 + 280 + 20])
    assert nearest.facility.tolist() == [1, 2]


def river_town() -> WalkingNetwork:
    """Street grids on both banks of a river (x 400..600), one bridge at y = 0, one overpass without access.

    West bank: x 0..400, east bank: x 600..1000, streets every 100 m for y 0..900.
    """
    lines = []
    for xs in (range(0, 401, 100), range(600, 1001, 100)):
        for x in xs:
            lines.append(line(*[(x, y) for y in range(0, 901, 100)]))
        for y in range(0, 901, 100):
            lines.append(line(*[(x, y) for x in xs]))
    lines.append(line((400, 0), (600, 0)))  # the bridge
    lines.append(line((-50, 450), (1050, 450)))  # an overpass: crosses every street without a shared node
    return WalkingNetwork.from_lines(lines)


def test_river_with_one_bridge_walks_round_by_the_bridge() -> None:
    network = river_town()
    households = network.snap(points((400, 500), (400, 100), (350, 870)))
    facility = network.snap(points((600, 500)))  # 200 m away across the river as the crow flies
    distance = network.nearest_facility_distance(households, facility)
    assert distance == pytest.approx([500 + 200 + 500, 100 + 200 + 500, 30 + 50 + 900 + 200 + 500])


def test_overpass_without_shared_node_is_no_shortcut() -> None:
    network = river_town()
    on_overpass = network.snap(points((500, 451)))
    facility = network.snap(points((600, 500)))
    assert network.nearest_facility_distance(on_overpass, facility).tolist() == [np.inf]
    assert network.nearest_facility(on_overpass, facility).facility.tolist() == [-1]


def test_loop_street_walks_the_shorter_way_round() -> None:
    ring = line((0, 0), (100, 0), (100, 100), (0, 100), (0, 0))  # 400 m, its own only node at (0, 0)
    network = WalkingNetwork.from_lines([ring, line((0, 0), (-50, 0))])
    households = network.snap(points((0, 90)))
    facility = network.snap(points((100, 10)))
    assert network.nearest_facility_distance(households, facility) == pytest.approx([200.0])


def test_parallel_streets_use_the_shorter() -> None:
    bent = line((0, 0), (50, 80), (100, 0))
    network = WalkingNetwork.from_lines([line((0, 0), (100, 0)), bent, line((100, 0), (200, 0))])
    households = network.snap(points((200, 0), (50, 80)))
    facility = network.snap(points((0, 0)))
    assert network.nearest_facility_distance(households, facility) == pytest.approx([200.0, np.hypot(50, 80)])


def test_seconds_per_facility_type() -> None:
    network = river_town()
    seconds = nearest_facility_seconds(
        network,
        points((0, 0), (1000, 900)),
        {"kindergarten": points((0, 100)), "clinic": points((1000, 0)), "none": np.empty(0, dtype=object)},
        speed=2.0,
    )
    assert seconds["kindergarten"] == pytest.approx([100 / 2, (400 + 900 + 200 + 400 + 100) / 2])
    assert seconds["clinic"] == pytest.approx([500, 450])
    assert seconds["none"].tolist() == [np.inf, np.inf]
    with pytest.raises(ValueError, match="speed"):
        walking_seconds(np.array([1.0]), speed=0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_points=st.integers(4, 40),
    keep=st.floats(0.3, 1.0),
    n_households=st.integers(1, 60),
    n_facilities=st.integers(1, 8),
)
def test_distances_equal_networkx_on_random_planar_networks(
    seed: int, n_points: int, keep: float, n_households: int, n_facilities: int
) -> None:
    network, rng = random_network(seed, n_points, keep)
    household_xy = rng.uniform(-50, 1050, size=(n_households, 2))
    facility_xy = rng.uniform(-50, 1050, size=(n_facilities, 2))
    near = min(n_facilities // 2, n_households)  # some facilities right by households, often on the same edge
    facility_xy[:near] = household_xy[:near] + rng.normal(0, 5, (near, 2))
    households = network.snap(shapely.points(household_xy))
    facilities = network.snap(shapely.points(facility_xy))
    nearest = network.nearest_facility(households, facilities)
    expected = reference_nearest(network, households, facilities)
    assert np.array_equal(np.isinf(nearest.distance), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(nearest.distance[finite], expected[finite], rtol=0, atol=TOLERANCE)
    assert ((nearest.facility >= 0) == finite).all()
    # the facility named is one at that distance
    for h in np.flatnonzero(finite)[:5]:
        alone = pick(facilities, [nearest.facility[h]])
        assert network.nearest_facility_distance(pick(households, [h]), alone)[0] == pytest.approx(
            expected[h], abs=TOLERANCE
        )


def pick(snapped: Snapped, rows: list[int]) -> Snapped:
    """Some rows of a Snapped."""
    return Snapped(snapped.xy[rows], snapped.edge[rows], snapped.offset[rows], snapped.connector[rows])


# ---------------------------------------------------------------- isochrones


def reached_samples(
    reach: Reach, source: int, sample_edge: npt.NDArray[np.intp], sample_offset: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Which samples (edge, offset), grouped by edge in edge order, `source` reaches."""
    first = np.searchsorted(sample_edge, np.arange(sample_edge.max() + 1))
    last = np.searchsorted(sample_edge, np.arange(sample_edge.max() + 1), side="right")
    reached = np.zeros(len(sample_edge), dtype=bool)
    for row in np.flatnonzero(reach.source == source):
        e = reach.edge[row]
        along = sample_offset[first[e] : last[e]]
        reached[first[e] : last[e]] |= (reach.start[row] - 1e-9 <= along) & (along <= reach.end[row] + 1e-9)
    return reached


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_points=st.integers(4, 30), budget=st.floats(20, 900))
def test_reach_is_exactly_the_brute_force_reachable_network(seed: int, n_points: int, budget: float) -> None:
    network, rng = random_network(seed, n_points, keep=0.7)
    assume(network.n_edges > 0)
    facilities = network.snap(shapely.points(rng.uniform(0, 1000, size=(2, 2))))
    # brute force: points every ~10 m along every edge, their distances by networkx on the split graph
    per_edge = np.maximum((network.edge_length / 10).astype(int), 1) + 1
    edge = np.repeat(np.arange(network.n_edges), per_edge)
    share = np.concatenate([np.linspace(0, 1, n) for n in per_edge])
    offset = share * network.edge_length[edge]
    samples = Snapped(np.zeros((len(edge), 2)), edge, offset, np.zeros(len(edge)))
    (reach,) = reaches(network, facilities, [budget])
    graph = reference_graph(network, {"s": samples, "f": facilities})
    for source in range(len(facilities)):
        lengths = nx.single_source_dijkstra_path_length(graph, ("f", source))
        distance = np.array([lengths.get(("s", i), np.inf) for i in range(len(edge))])
        reached = reached_samples(reach, source, edge, offset)
        assert reached[distance < budget - TOLERANCE].all()
        assert not reached[distance > budget + TOLERANCE].any()
    # the polygon of that budget covers every reachable sample point
    polygons = isochrones(network, facilities, minutes=[budget / 60.0], speed=1.0)[:, 0]
    sample_points = shapely.line_interpolate_point(network.edges[edge], offset)
    for source in range(len(facilities)):
        lengths = nx.single_source_dijkstra_path_length(graph, ("f", source))
        distance = np.array([lengths.get(("s", i), np.inf) for i in range(len(edge))])
        assert shapely.covers(polygons[source], sample_points[distance <= budget]).all()
    # the cut lines are the stretches: right length, ends on the edge at the right places
    cut = reach_lines(network, reach)
    np.testing.assert_allclose(shapely.length(cut), reach.end - reach.start, atol=1e-6)
    start = shapely.line_interpolate_point(network.edges[reach.edge], reach.start)
    assert (shapely.distance(shapely.get_point(cut, 0), start) < 1e-6).all()


def test_isochrone_follows_the_network_not_the_crow() -> None:
    network = river_town()
    facility = network.snap(points((600, 500)))
    (five, ten, fifteen) = isochrones(network, facility)[0]
    assert LIFE_CIRCLE_MINUTES == (5, 10, 15)
    # 5 minutes at 1 m/s = 300 m: up to (600, 800), not across the river to (400, 500) 200 m away
    assert five.covers(shapely.Point(600, 800 + STREET_HALF_WIDTH - 1))
    assert not five.covers(shapely.Point(600, 800 + STREET_HALF_WIDTH + 1))
    assert not fifteen.covers(shapely.Point(400, 500))  # 1,200 m round by the bridge
    assert five.difference(ten).area < 1e-3 and ten.difference(fifteen).area < 1e-3
    assert five.area < ten.area < fifteen.area
    # 15 minutes = 900 m: over the bridge (500 + 200 m) and 200 m on along the west bank
    assert fifteen.covers(shapely.Point(200, 0))
    assert not fifteen.covers(shapely.Point(200 - STREET_HALF_WIDTH - 1, 0))


def test_isochrone_includes_the_connector_and_handles_unconnected_facilities() -> None:
    network = WalkingNetwork.from_lines([line((0, 0), (1000, 0))])
    facilities = network.snap(points((500, 200), (500, 5000)), max_connector=1000)
    (near, far) = isochrones(network, facilities, minutes=[5], half_width=10)[:, 0]
    # 300 m: 200 m of connector, then 100 m either way along the street
    assert near.covers(shapely.Point(500, 100))
    assert near.covers(shapely.Point(405, 0)) and near.covers(shapely.Point(595, 0))
    assert not near.covers(shapely.Point(385, 0))
    assert far.is_empty


def test_isochrone_speed_must_be_positive() -> None:
    network = river_town()
    with pytest.raises(ValueError, match="speed"):
        isochrones(network, network.snap(points((0, 0))), speed=0.0)


# ---------------------------------------------------------------- steps weigh more than a flat path


def test_steps_factor_sends_the_walk_round_by_the_ramp() -> None:
    """50 m of steps straight up, or an 80 m ramp round: with factor 2 the steps are worth 100 m."""
    steps = line((0, 0), (0, 50))
    ramp = line((0, 0), (40, 25), (0, 50))
    households, facilities = points((5, -10)), points((0, 60))
    flat = WalkingNetwork.from_lines([steps, ramp])
    weighed = WalkingNetwork.from_lines([steps, ramp], factor=[2.0, 1.0])
    ramp_length = float(ramp.length)
    assert flat.nearest_facility_distance(flat.snap(households), flat.snap(facilities))[0] == pytest.approx(
        np.hypot(5, 10) + 50 + 10
    )
    assert weighed.nearest_facility_distance(weighed.snap(households), weighed.snap(facilities))[0] == pytest.approx(
        np.hypot(5, 10) + ramp_length + 10
    )


def test_along_the_steps_themselves_the_factor_counts_too() -> None:
    network = WalkingNetwork.from_lines([line((0, 0), (0, 100))], factor=[3.0])
    households, facilities = network.snap(points((2, 10))), network.snap(points((-1, 40)))
    assert network.nearest_facility_distance(households, facilities)[0] == pytest.approx(2 + 3 * 30 + 1)
    reach = reaches(network, facilities, [31.0])[0]  # 1 m connector, then 30 m of budget: 10 m of steps each way
    assert (reach.start.min(), reach.end.max()) == pytest.approx((30.0, 50.0))


def test_a_factor_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        WalkingNetwork.from_lines([line((0, 0), (0, 100))], factor=[0.5])
