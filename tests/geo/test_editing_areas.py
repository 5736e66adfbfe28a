"""Line and area edits (split, reshape, merge, delete, transfer, create) keep the coverage passing the check."""

from __future__ import annotations

import itertools

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo.editing.apply import apply_edit
from gridmap.geo.editing.drawn import snap_drawn
from gridmap.geo.editing.model import (
    Create,
    Delete,
    EditFeature,
    EditOperation,
    EditOutcome,
    EditRefused,
    Merge,
    ReshapeBorder,
    Split,
    Transfer,
)
from gridmap.geo.hierarchy import Level, code_problem
from tests.boundary_builders import LAT0, LON0, STEP, community_of_grids
from tests.editing_support import applied, by_code, check_problems, features_of, sample_features, t_junctions

SAMPLE = sample_features()
GRIDS = [f for f in SAMPLE if f.level is Level.GRID]
FIRST_GRID = GRIDS[0]
KEPT, ABSORBED = next(
    (a, b)
    for a, b in itertools.combinations(GRIDS, 2)
    if a.parent == b.parent and a.geometry.boundary.intersection(b.geometry.boundary).length > 0
)
SHARED = shapely.line_merge(KEPT.geometry.boundary.intersection(ABSORBED.geometry.boundary))


def _applied_cleanly(op: EditOperation, features: list[EditFeature]) -> tuple[EditOutcome, list[EditFeature]]:
    outcome = apply_edit(op, features)
    after = applied(features, outcome)
    assert check_problems(after) == []
    assert t_junctions(after) == []
    for feature in after:
        parent = next((f for f in after if f.code == feature.parent), None)
        assert code_problem(feature.code, feature.level, parent.code if parent else None) is None
    assert len({f.code for f in after}) == len(after)
    return outcome, after


def _across(feature: EditFeature) -> shapely.LineString:
    _, south, _, north = feature.geometry.bounds
    x = feature.geometry.centroid.x
    return shapely.LineString([(x, south - 0.0005), (x + 0.0001, north + 0.0005)])


def _bulge() -> shapely.LineString:
    start, end = SHARED.interpolate(0.3, normalized=True), SHARED.interpolate(0.7, normalized=True)
    towards = ABSORBED.geometry.centroid
    middle = ((start.x + end.x) / 2, (start.y + end.y) / 2)
    tip = (middle[0] + 0.3 * (towards.x - middle[0]), middle[1] + 0.3 * (towards.y - middle[1]))
    return shapely.LineString([start.coords[0], tip, end.coords[0]])


@pytest.mark.parametrize("split_children", [False, True])
def test_split_makes_two_grids_and_places_every_microgrid(split_children: bool) -> None:
    outcome, after = _applied_cleanly(Split(FIRST_GRID.feature_id, _across(FIRST_GRID), split_children), SAMPLE)
    new_grid = next(f for f in outcome.created if f.level is Level.GRID)
    assert new_grid.parent == FIRST_GRID.parent
    kept = by_code(after, FIRST_GRID.code)
    assert kept.geometry.area >= new_grid.geometry.area
    assert kept.geometry.union(new_grid.geometry).symmetric_difference(FIRST_GRID.geometry).area < 1e-12
    assert any(f.parent == new_grid.code for f in after)  # microgrids went with the new grid
    if split_children:
        assert any(f.level is Level.MICROGRID for f in outcome.created)


def test_a_line_that_misses_the_feature_is_refused() -> None:
    west, south, _, _ = FIRST_GRID.geometry.bounds
    with pytest.raises(EditRefused, match="does not cut"):
        apply_edit(
            Split(FIRST_GRID.feature_id, shapely.LineString([(west - 0.01, south), (west - 0.01, south - 1e-3)])),
            SAMPLE,
        )


def test_reshape_moves_the_area_between_old_and_new_border() -> None:
    outcome, after = _applied_cleanly(ReshapeBorder(KEPT.feature_id, ABSORBED.feature_id, _bulge()), SAMPLE)
    assert outcome.area_moved_m2 > 100
    assert by_code(after, KEPT.code).geometry.area > KEPT.geometry.area


def test_reshape_of_features_that_are_not_neighbours_is_refused() -> None:
    far = max(GRIDS, key=lambda g: g.geometry.distance(KEPT.geometry))
    with pytest.raises(EditRefused, match="not neighbours"):
        apply_edit(ReshapeBorder(KEPT.feature_id, far.feature_id, _bulge()), SAMPLE)


def test_merge_reparents_and_recodes_the_absorbed_children() -> None:
    outcome, after = _applied_cleanly(Merge(KEPT.feature_id, ABSORBED.feature_id), SAMPLE)
    assert outcome.deleted == [ABSORBED.feature_id]
    moved = {f.feature_id for f in SAMPLE if f.parent == ABSORBED.code}
    assert moved and all(f.parent == KEPT.code for f in after if f.feature_id in moved)


def test_delete_hands_children_to_neighbours_and_refuses_a_lonely_feature() -> None:
    outcome, after = _applied_cleanly(Delete(ABSORBED.feature_id), SAMPLE)
    assert ABSORBED.feature_id in outcome.deleted
    assert not any(f.parent == ABSORBED.code for f in after)
    lonely = features_of(community_of_grids(1, 1))
    with pytest.raises(EditRefused, match="gap"):
        apply_edit(Delete(lonely[1].feature_id), lonely)


def test_transfer_moves_the_drawn_part_and_cuts_the_children() -> None:
    area = SHARED.interpolate(0.5, normalized=True).buffer(0.0004)
    outcome, after = _applied_cleanly(Transfer(ABSORBED.feature_id, KEPT.feature_id, area), SAMPLE)
    assert outcome.area_moved_m2 > 100
    assert by_code(after, KEPT.code).geometry.area > KEPT.geometry.area


def test_create_fills_a_gap_and_refuses_covered_ground() -> None:
    microgrid = next(f for f in SAMPLE if f.level is Level.MICROGRID)
    with_gap = [f for f in SAMPLE if f is not microgrid]
    outcome, _ = _applied_cleanly(
        Create(microgrid.geometry.buffer(0.0001), Level.MICROGRID, microgrid.parent), with_gap
    )
    (created,) = outcome.created
    assert created.parent == microgrid.parent and created.code != microgrid.code
    with pytest.raises(EditRefused, match="uncovered"):
        apply_edit(Create(microgrid.geometry, Level.MICROGRID, microgrid.parent), SAMPLE)


def test_snap_drawn_lands_on_vertices_then_borders() -> None:
    features = features_of(community_of_grids(2, 1))
    line = shapely.LineString([(LON0 + STEP + 1e-6, LAT0 - 1e-6), (LON0 + STEP + 1e-6, LAT0 + STEP / 2)])
    snapped = snap_drawn(line, features, 0.5)
    assert snapped.coords[0] == (LON0 + STEP, LAT0)
    assert snapped.coords[1][0] == pytest.approx(LON0 + STEP, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.floats(0.15, 0.85), st.floats(-0.3, 0.3), st.booleans()), min_size=1, max_size=3
    )
)
def test_random_splits_keep_the_coverage_valid(cuts: list[tuple[int, float, float, bool]]) -> None:
    features = features_of(community_of_grids(2, 2))
    for pick, where, slant, vertical in cuts:
        grids = [f for f in features if f.level is Level.GRID]
        grid = grids[pick % len(grids)]
        west, south, east, north = grid.geometry.bounds
        if vertical:
            x = west + where * (east - west)
            line = shapely.LineString([(x, south - STEP), (x + slant * (east - west), north + STEP)])
        else:
            y = south + where * (north - south)
            line = shapely.LineString([(west - STEP, y), (east + STEP, y + slant * (north - south))])
        try:
            features = applied(features, apply_edit(Split(grid.feature_id, line), features))
        except EditRefused:
            continue
        assert check_problems(features) == []
        assert t_junctions(features) == []
