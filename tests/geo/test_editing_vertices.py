"""Vertex edits and attribute edits: shared vertices move for every feature and level; codes stay well-formed."""

from __future__ import annotations

from collections import Counter

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo.editing.apply import apply_edit, neighbourhood_extent
from gridmap.geo.editing.model import (
    Attributes,
    DeleteVertex,
    EditFeature,
    EditRefused,
    InsertVertex,
    MoveVertex,
)
from gridmap.geo.editing.rings import has_vertex
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, community_of_grids
from tests.editing_support import applied, by_code, check_problems, features_of, sample_features, t_junctions

SAMPLE = sample_features()


def _shared_vertices(features: list[EditFeature], at_least: int) -> list[tuple[float, float]]:
    counts = Counter(tuple(v) for f in features for v in shapely.get_coordinates(f.geometry)[:-1].tolist())
    return sorted((float(v[0]), float(v[1])) for v, n in counts.items() if n >= at_least)


def test_a_vertex_shared_across_levels_moves_in_every_feature_holding_it() -> None:
    vertex = _shared_vertices(SAMPLE, 6)[0]
    holders = {f.feature_id for f in SAMPLE if has_vertex(f.geometry, vertex)}
    to = (vertex[0] + 0.00002, vertex[1] + 0.00001)  # about 2 m
    outcome = apply_edit(MoveVertex(at=(vertex[0] + 1e-6, vertex[1]), to=to), SAMPLE)
    assert {c.feature_id for c in outcome.changed} == holders
    after = applied(SAMPLE, outcome)
    assert not any(has_vertex(f.geometry, vertex) for f in after)
    assert all(has_vertex(f.geometry, to) for f in after if f.feature_id in holders)
    assert check_problems(after) == []
    assert t_junctions(after) == []


def test_moving_from_far_from_any_vertex_is_refused() -> None:
    community = by_code(SAMPLE, "350924100001")
    inside = community.geometry.representative_point()
    with pytest.raises(EditRefused, match="no vertex"):
        apply_edit(MoveVertex(at=(inside.x, inside.y), to=(inside.x, inside.y)), SAMPLE)


def test_a_move_making_a_border_cross_itself_is_refused() -> None:
    features = features_of(community_of_grids(2, 1))
    corner = (LON0 + STEP, LAT0)  # bottom of the shared border, dragged across the west grid's west side
    with pytest.raises(EditRefused, match="cross itself"):
        apply_edit(MoveVertex(at=corner, to=(LON0 - STEP, LAT0 + STEP / 2)), features)


def test_insert_puts_the_same_vertex_in_both_neighbours_then_moves_it() -> None:
    features = features_of(community_of_grids(2, 1))
    on_border = (LON0 + STEP, LAT0 + STEP / 2 + 1e-7)  # about a centimetre off the shared border
    outcome = apply_edit(InsertVertex(at=on_border, to=(LON0 + 1.2 * STEP, LAT0 + STEP / 2)), features)
    after = applied(features, outcome)
    assert len(outcome.changed) == 2  # the two grids; the community's border does not run there
    assert all(has_vertex(f.geometry, (LON0 + 1.2 * STEP, LAT0 + STEP / 2)) for f in after if f.level == "grid")
    assert check_problems(after) == []
    assert t_junctions(after) == []


def test_insert_on_the_outer_border_reaches_the_community_too() -> None:
    features = features_of(community_of_grids(2, 1))
    outcome = apply_edit(InsertVertex(at=(LON0 + STEP / 2, LAT0)), features)
    assert {c.feature_id for c in outcome.changed} == {f"id-{COMMUNITY}", f"id-{COMMUNITY}001"}
    assert t_junctions(applied(features, outcome)) == []


def test_delete_removes_a_vertex_from_all_holders_and_refuses_corners() -> None:
    features = features_of(community_of_grids(2, 1))
    middle = (LON0 + STEP, LAT0 + STEP / 2)
    inserted = applied(features, apply_edit(InsertVertex(at=middle), features))
    outcome = apply_edit(DeleteVertex(at=middle), inserted)
    assert len(outcome.changed) == 2
    after = applied(inserted, outcome)
    assert not any(has_vertex(f.geometry, middle) for f in after)
    with pytest.raises(EditRefused, match="corner"):
        apply_edit(DeleteVertex(at=(LON0 + STEP, LAT0)), features)  # where both grids meet the community edge


def test_delete_refuses_to_leave_a_ring_of_two_corners() -> None:
    triangle = EditFeature("t", "1", None, None, shapely.Polygon([(0, 0), (0.001, 0), (0, 0.001)]))
    with pytest.raises(EditRefused, match="three"):
        apply_edit(DeleteVertex(at=(0.0, 0.0)), [triangle])


def test_a_new_code_re_prefixes_every_descendant() -> None:
    community = by_code(SAMPLE, "350924100001")
    outcome = apply_edit(Attributes(community.feature_id, {"code": "350924100099", "name": "新社区"}), SAMPLE)
    after = applied(SAMPLE, outcome)
    below = [f for f in after if f.code.startswith("350924100099") and f.code != "350924100099"]
    before = [f for f in SAMPLE if f.code.startswith("350924100001") and f.code != "350924100001"]
    assert len(below) == len(before) > 0
    assert not [f for f in after if f.code.startswith("350924100001")]
    assert by_code(after, "350924100099").name == "新社区"
    assert check_problems(after) == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"code": "35092410000"}, "digits"),
        ({"code": "350924100002"}, "in use"),
        ({"households_target": -3}, "whole number"),
        ({"geometry": None}, "cannot change"),
    ],
)
def test_bad_attributes_are_refused(values: dict[str, object], message: str) -> None:
    community = by_code(SAMPLE, "350924100001")
    with pytest.raises(EditRefused, match=message):
        apply_edit(Attributes(community.feature_id, values), SAMPLE)


def test_the_extent_of_a_vertex_move_holds_both_points() -> None:
    extent = neighbourhood_extent(MoveVertex(at=(1.0, 2.0), to=(1.5, 2.0)), {})
    assert extent.covers(shapely.Point(1.0, 2.0)) and extent.covers(shapely.Point(1.5, 2.0))


SHARED = _shared_vertices(SAMPLE, 3)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SHARED), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5)), min_size=1, max_size=4))
def test_random_small_moves_of_shared_vertices_keep_the_coverage_valid(
    moves: list[tuple[tuple[float, float], float, float]],
) -> None:
    features = SAMPLE
    for vertex, east_m, north_m in moves:
        to = (vertex[0] + east_m / 98_700.0, vertex[1] + north_m / 111_200.0)
        try:
            outcome = apply_edit(MoveVertex(at=vertex, to=to), features)
        except EditRefused:
            continue
        features = applied(features, outcome)
        assert check_problems(features) == []
    assert t_junctions(features) == []
