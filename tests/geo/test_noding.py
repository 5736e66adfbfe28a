"""Noding lines drawn without shared vertices: crossings, near T-junctions, overshoots, and what stays apart."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components
from shapely.geometry import LineString

from gridmap.geo.network import WalkingNetwork
from gridmap.geo.noding import NODING_TOLERANCE_M, node_lines

TOLERANCE = NODING_TOLERANCE_M


def pieces(noded: np.ndarray) -> list[LineString]:
    """Every line of every noded geometry."""
    return [part for geometry in noded for part in shapely.get_parts(geometry)]


def components(lines: list[LineString]) -> int:
    """How many connected parts the walking network of the lines has."""
    network = WalkingNetwork.from_lines(lines)
    count, _ = connected_components(network._street_graph, directed=False)
    return int(count)


def walk(lines: list[LineString], start: tuple[float, float], end: tuple[float, float]) -> float:
    """Walking metres between two points on the lines (each connected to its nearest edge)."""
    network = WalkingNetwork.from_lines(lines)
    households = network.snap([shapely.Point(start)])
    facilities = network.snap([shapely.Point(end)])
    return float(network.nearest_facility_distance(households, facilities)[0])


def test_a_lane_stopping_3_mm_short_of_the_street_joins_it() -> None:
    street = LineString([(0, 0), (100, 0)])
    lane = LineString([(60, 40), (60, 0.003)])
    noded = node_lines([street, lane])
    assert [len(shapely.get_parts(g)) for g in noded] == [2, 1]
    west, east = shapely.get_parts(noded[0])
    assert west.coords[-1] == east.coords[0] == noded[1].coords[-1] == (60.0, 0.0)  # the end's projection
    assert west.coords[0] == (0.0, 0.0) and east.coords[-1] == (100.0, 0.0)  # the street stays straight
    lines = pieces(noded)
    assert components(lines) == 1
    # from the street's west end to the lane's far end: 60 m along the street, 40 m up the lane
    assert walk(lines, (0, 0), (60, 40)) == pytest.approx(100.0, abs=0.01)
    # unnoded, the lane is an island
    assert components([street, lane]) == 2


def test_a_lane_running_3_mm_past_the_street_is_trimmed_back_onto_it() -> None:
    street = LineString([(0, 0), (100, 0)])
    lane = LineString([(60, 40), (60, -0.003)])
    noded = node_lines([street, lane])
    assert noded[1].equals_exact(LineString([(60, 40), (60, 0)]), 0.0)  # no 3 mm stub beyond the street
    assert shapely.get_parts(noded[0])[0].coords[-1] == (60.0, 0.0)
    lines = pieces(noded)
    assert len(lines) == 3
    assert components(lines) == 1
    assert walk(lines, (100, 0), (60, 40)) == pytest.approx(80.0, abs=0.01)


def test_a_lane_ending_near_a_street_vertex_takes_that_vertex_and_leaves_the_street_alone() -> None:
    street = LineString([(0, 0), (50, 0), (100, 10)])
    lane = LineString([(50.02, 40), (50.02, 0.01)])
    noded = node_lines([street, lane])
    west, east = shapely.get_parts(noded[0])
    assert (west.coords[:], east.coords[:]) == ([(0, 0), (50, 0)], [(50, 0), (100, 10)])
    assert noded[1].coords[:] == [(50.02, 40), (50, 0)]


def test_an_x_crossing_splits_both_lines_at_one_shared_vertex() -> None:
    noded = node_lines([LineString([(0, 0), (10, 10)]), LineString([(0, 10), (10, 0)])])
    first, second = (shapely.get_parts(g) for g in noded)
    assert len(first) == len(second) == 2
    assert first[0].coords[-1] == first[1].coords[0] == second[0].coords[-1] == second[1].coords[0]
    assert first[0].coords[-1] == pytest.approx((5.0, 5.0))
    assert components(pieces(noded)) == 1


def test_lines_a_metre_apart_stay_apart_and_untouched() -> None:
    lines = [LineString([(0, 0), (100, 0)]), LineString([(50, 1), (50, 30)]), LineString([(0, 1), (40, 1)])]
    noded = node_lines(lines)
    assert all(after is before for after, before in zip(noded, lines, strict=True))
    assert components(pieces(noded)) == 3


def test_junctions_closer_than_the_tolerance_are_one() -> None:
    street = LineString([(0, 0), (100, 0)])
    lane = LineString([(50, 40), (50, 0.003)])
    other = LineString([(50.03, -40), (50.03, -0.004)])  # 3 cm along, from the other side
    noded = node_lines([street, lane, other])
    assert len(shapely.get_parts(noded[0])) == 2
    junction = shapely.get_parts(noded[0])[0].coords[-1]
    assert noded[1].coords[-1] == noded[2].coords[-1] == junction


def test_noding_twice_changes_nothing() -> None:
    lines = [
        LineString([(0, 0), (100, 0)]),
        LineString([(30, -50), (30, 50)]),
        LineString([(70, 40), (70, 0.003)]),
        LineString([(80, 40), (80, -0.004)]),
        LineString([(90, 40), (90, 0.2)]),
        LineString([(0, 20), (40, 20), (40, 60)]),
    ]
    once = pieces(node_lines(lines))
    twice = node_lines(once)
    assert all(after is before for after, before in zip(twice, once, strict=True))


def test_untouched_vertices_are_bit_identical_and_other_geometries_pass_through() -> None:
    street = LineString([(0.1, 0.2), (33.3, 0.2), (100.7, 0.2)])
    lane = LineString([(60.123456789, 40.5), (60.123456789, 0.203)])
    point = shapely.Point(5, 5)
    noded = node_lines(np.asarray([street, lane, point, None], dtype=object))
    assert noded[2] is point and noded[3] is None
    west, east = shapely.get_parts(noded[0])
    assert west.coords[:2] == street.coords[:2] and east.coords[-1] == street.coords[-1]
    assert noded[1].coords[0] == lane.coords[0]


def test_the_tolerance_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        node_lines([LineString([(0, 0), (1, 0)])], 0.0)


coordinate = st.floats(min_value=0.0, max_value=20.0, allow_nan=False, allow_infinity=False)
point = st.tuples(coordinate, coordinate)


@st.composite
def segment_sets(draw: st.DrawFn) -> list[LineString]:
    """Random segments, and lanes from a random point to within 4 cm of a point on one of them."""
    segments = [LineString(ends) for ends in draw(st.lists(st.tuples(point, point), min_size=1, max_size=8))]
    segments = [s for s in segments if s.length > 0] or [LineString([(0, 0), (20, 20)])]
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        target = segments[draw(st.integers(min_value=0, max_value=len(segments) - 1))]
        on = target.interpolate(draw(st.floats(min_value=0.0, max_value=1.0)), normalized=True)
        offset = draw(st.tuples(*[st.floats(min_value=-0.028, max_value=0.028)] * 2))
        lane = LineString([draw(point), (on.x + offset[0], on.y + offset[1])])
        if lane.length > 0:
            segments.append(lane)
    return segments


@settings(max_examples=150, deadline=None)
@given(lines=segment_sets())
def test_random_segments_leave_no_crossing_unnoded_and_keep_their_length(lines: list[LineString]) -> None:
    noded = node_lines(lines)
    result = pieces(noded)
    assert result  # a line shorter than the tolerance may shrink to nothing, never all of them
    # GEOS finds no crossing that is not a shared vertex already
    split = shapely.get_parts(shapely.node(shapely.MultiLineString(result)))
    found = shapely.points(np.unique(shapely.get_coordinates(split), axis=0))
    vertices = shapely.points(np.unique(shapely.get_coordinates(result), axis=0))
    assert shapely.distance(found[:, None], vertices[None, :]).min(axis=1).max() < 1e-6
    ends = shapely.get_coordinates(np.asarray([shapely.get_point(p, i) for p in result for i in (0, -1)]))
    _, uses = np.unique(ends, axis=0, return_counts=True)
    # each line end or vertex moved onto a junction moves by at most the tolerance (a line shorter than it
    # may shrink to nothing)
    at_junctions = int(uses[uses > 1].sum())
    lost = abs(sum(p.length for p in result) - sum(line.length for line in lines))
    vanished = sum(geometry.is_empty for geometry in noded)
    assert lost <= 2 * TOLERANCE * (at_junctions + vanished) + 1e-9
