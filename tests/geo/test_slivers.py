"""Sliver merging on hand-drawn lon/lat boxes, and its properties on generated coverages."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import LocalMetres
from gridmap.geo.hierarchy import parent_index
from gridmap.geo.slivers import SliverRepair, merge_slivers
from gridmap.services.check import CheckOptions, check_boundaries
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, cell, feature, frame_of

SECOND = "350924100002"
METRE_LAT = 1.0 / 111_195  # one metre north-south in degrees
METRE_LON = METRE_LAT / float(np.cos(np.radians(LAT0)))


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A lon/lat box from grid steps (x, y) east and north of the origin."""
    return shapely.box(LON0 + x0 * STEP, LAT0 + y0 * STEP, LON0 + x1 * STEP, LAT0 + y1 * STEP)


def polygon(*corners: tuple[float, float]) -> shapely.Polygon:
    """A lon/lat polygon from corners in grid steps (listing every vertex a neighbour has on the edges)."""
    return shapely.Polygon([(LON0 + x * STEP, LAT0 + y * STEP) for x, y in corners])


Shape = tuple[str, str, str, BaseGeometry]  # code, level, parent code, lon/lat geometry


def run(shapes: list[Shape], *, merge_features: bool = False) -> tuple[SliverRepair, list[str], LocalMetres]:
    """merge_slivers on (code, level, parent, geometry) rows, with the check's default sliver width."""
    codes = [s[0] for s in shapes]
    geometries = np.array([s[3] for s in shapes], dtype=object)
    local = LocalMetres(*(float(b) for b in shapely.total_bounds(geometries)))
    repair = merge_slivers(
        geometries,
        levels=[s[1] for s in shapes],
        parent_of=np.array(parent_index(codes, [s[2] for s in shapes]), dtype=np.intp),
        to_metres=local.to_local,
        sliver_width=CheckOptions().sliver_width,
        merge_features=merge_features,
    )
    return repair, codes, local


def checked(shapes: list[Shape], repair: SliverRepair) -> dict[str, int]:
    """Problem counts of the full check on the repaired shapes (merged sliver features left out)."""
    features = [
        feature(code, level, parent, geometry)
        for (code, level, parent, _), geometry in zip(shapes, repair.geometries, strict=True)
        if not geometry.is_empty
    ]
    counts: dict[str, int] = check_boundaries(frame_of(features)).to_json()["summary"]["problems"]
    return counts


def area_m2(local: LocalMetres, geometry: Any) -> float:
    """True area in m2 of a lon/lat geometry."""
    return float(local.true_area(local.to_local(geometry)))


def test_sliver_part_merges_into_the_neighbour_with_the_longer_border() -> None:
    # grid 001 (north row) owns a 1 m strip along the south edge, across grids 002 (0.7 steps) and 003 (0.2)
    height = METRE_LAT / STEP
    strip = polygon((0.3, 0), (1, 0), (1.2, 0), (1.2, height), (1, height), (0.3, height))  # 002 meets 003 at x=1
    north = polygon((0, 1), (1, 1), (2, 1), (2, 2), (0, 2))
    shapes: list[Shape] = [
        (COMMUNITY, "community", "", cell(0, 0, 2, 2)),
        (f"{COMMUNITY}001", "grid", COMMUNITY, shapely.MultiPolygon([north, strip])),
        (f"{COMMUNITY}002", "grid", COMMUNITY, shapely.difference(cell(0, 0), strip)),
        (f"{COMMUNITY}003", "grid", COMMUNITY, shapely.difference(cell(1, 0), strip)),
    ]
    assert checked(shapes, SliverRepair(np.array([s[3] for s in shapes]), [], [])) == {"sliver_part": 1}  # a warning
    repair, codes, local = run(shapes)
    assert [(codes[m.source], codes[m.target]) for m in repair.merges] == [(f"{COMMUNITY}001", f"{COMMUNITY}002")]
    merge = repair.merges[0]
    assert merge.geometry.equals(strip) and not merge.whole_feature
    assert merge.shared_border_m > 130  # 0.7 steps of about 197 m
    assert repair.geometries[1].equals(north)
    assert repair.geometries[2].equals(shapely.union(cell(0, 0), strip))
    assert repair.geometries[3].equals(shapes[3][3])  # untouched
    assert repair.left == []
    assert shapely.coverage_is_valid(repair.geometries[1:])
    gained = area_m2(local, repair.geometries[2]) - area_m2(local, shapes[2][3])
    assert gained == pytest.approx(area_m2(local, strip), rel=1e-6)
    assert 150 < gained < 200  # 0.9 steps by 1 m
    assert checked(shapes, repair) == {}


def test_sliver_on_a_community_edge_stays_in_its_community() -> None:
    # community 001's grid 001 owns a strip on the border with community 002, away from its own body;
    # the strip's longest border is with grid 002001 next door, but it must go to 001002 (0.25 > 0.2 steps)
    strip = box(1 - METRE_LON / STEP, 0.3, 1, 0.75)
    shapes: list[Shape] = [
        (COMMUNITY, "community", "", cell(0, 0)),
        (SECOND, "community", "", cell(1, 0)),
        (f"{COMMUNITY}001", "grid", COMMUNITY, shapely.MultiPolygon([box(0, 0, 0.3, 1), strip])),
        (f"{COMMUNITY}002", "grid", COMMUNITY, shapely.difference(box(0.3, 0.5, 1, 1), strip)),
        (f"{COMMUNITY}003", "grid", COMMUNITY, shapely.difference(box(0.3, 0, 1, 0.5), strip)),
        (f"{SECOND}001", "grid", SECOND, cell(1, 0)),
    ]
    repair, codes, local = run(shapes)
    assert [(codes[m.source], codes[m.target]) for m in repair.merges] == [(f"{COMMUNITY}001", f"{COMMUNITY}002")]
    assert repair.geometries[5].equals(cell(1, 0))
    assert repair.geometries[0].equals(cell(0, 0)) and repair.geometries[1].equals(cell(1, 0))
    grids_of_first = shapely.union_all(repair.geometries[2:5])
    assert abs(area_m2(local, grids_of_first) - area_m2(local, cell(0, 0))) < 1e-6 * area_m2(local, cell(0, 0))
    assert set(checked(shapes, repair)) <= {"edge_mismatch"}  # B's edge lacks the strip's corners: a warning


def test_sliver_without_a_neighbour_of_the_same_parent_is_reported_and_kept() -> None:
    island = box(3, 0, 3.5, METRE_LAT / STEP)  # a thin part of the community and its grid 001, touching nothing
    shapes: list[Shape] = [
        (COMMUNITY, "community", "", shapely.MultiPolygon([cell(0, 0, 2, 1), island])),
        (f"{COMMUNITY}001", "grid", COMMUNITY, shapely.MultiPolygon([cell(0, 0), island])),
        (f"{COMMUNITY}002", "grid", COMMUNITY, cell(1, 0)),
    ]
    repair, codes, _ = run(shapes)
    assert repair.merges == []
    assert sorted(codes[s.feature] for s in repair.left) == [COMMUNITY, f"{COMMUNITY}001"]
    assert all("borders no other feature" in s.reason and not s.whole_feature for s in repair.left)
    assert all(a.equals_exact(s[3], 0.0) for a, s in zip(repair.geometries, shapes, strict=True))


def test_community_sliver_carries_its_grids_piece_along() -> None:
    # community 001 has a thin part lying on community 002 (touching its own body at a corner only);
    # it goes to 002, and the piece of grid 001002 in it goes to 002's grid bordering it most (002001)
    strip = box(1, 1, 1.4, 1 + METRE_LAT / STEP)
    shapes: list[Shape] = [
        (COMMUNITY, "community", "", shapely.MultiPolygon([cell(0, 0), strip])),
        (SECOND, "community", "", cell(1, 0)),
        (f"{COMMUNITY}001", "grid", COMMUNITY, box(0, 0, 0.5, 1)),
        (f"{COMMUNITY}002", "grid", COMMUNITY, shapely.MultiPolygon([box(0.5, 0, 1, 1), strip])),
        (f"{SECOND}001", "grid", SECOND, box(1, 0, 1.5, 1)),
        (f"{SECOND}002", "grid", SECOND, box(1.5, 0, 2, 1)),
    ]
    repair, codes, _ = run(shapes)
    moved = [(codes[m.source], codes[m.target], m.follows) for m in repair.merges]
    assert moved == [(COMMUNITY, SECOND, None), (f"{COMMUNITY}002", f"{SECOND}001", 0)]
    assert repair.geometries[0].equals(cell(0, 0))
    assert repair.geometries[3].equals(box(0.5, 0, 1, 1))
    assert repair.geometries[4].equals(shapely.union(box(1, 0, 1.5, 1), strip))
    assert set(checked(shapes, repair)) <= {"edge_mismatch"}


def test_child_wholly_inside_the_sliver_blocks_the_merge() -> None:
    strip = box(1, 1, 1.4, 1 + METRE_LAT / STEP)
    shapes: list[Shape] = [
        (COMMUNITY, "community", "", shapely.MultiPolygon([cell(0, 0), strip])),
        (SECOND, "community", "", cell(1, 0)),
        (f"{COMMUNITY}001", "grid", COMMUNITY, cell(0, 0)),
        (f"{COMMUNITY}002", "grid", COMMUNITY, strip),  # the whole grid lies in the community's sliver part
        (f"{SECOND}001", "grid", SECOND, cell(1, 0)),
    ]
    repair, codes, _ = run(shapes, merge_features=True)
    community_left = [s for s in repair.left if codes[s.feature] == COMMUNITY]
    assert community_left and "wholly inside" in community_left[0].reason
    assert repair.geometries[0].equals(shapes[0][3]) and repair.geometries[1].equals(cell(1, 0))


def test_whole_sliver_feature_is_reported_unless_asked_and_never_when_it_has_children() -> None:
    thin = box(0, 0, 1, METRE_LAT / STEP)
    shapes: list[Shape] = [
        (COMMUNITY, "community", "", cell(0, 0, 1, 1)),
        (f"{COMMUNITY}001", "grid", COMMUNITY, shapely.difference(cell(0, 0), thin)),
        (f"{COMMUNITY}002", "grid", COMMUNITY, thin),
    ]
    repair, codes, _ = run(shapes)
    assert repair.merges == []
    assert [(codes[s.feature], s.whole_feature) for s in repair.left] == [(f"{COMMUNITY}002", True)]
    assert "--merge-sliver-features" in repair.left[0].reason
    repair, codes, _ = run(shapes, merge_features=True)
    assert [(codes[m.source], codes[m.target], m.whole_feature) for m in repair.merges] == [
        (f"{COMMUNITY}002", f"{COMMUNITY}001", True)
    ]
    assert repair.geometries[2].is_empty and repair.geometries[1].equals(cell(0, 0))
    # with a microgrid naming it as parent, the sliver grid stays even when asked
    shapes.append((f"{COMMUNITY}00201", "microgrid", f"{COMMUNITY}002", thin))
    repair, codes, _ = run(shapes, merge_features=True)
    assert repair.merges == []
    assert any("name it as parent" in s.reason for s in repair.left if codes[s.feature] == f"{COMMUNITY}002")


@st.composite
def coverages_with_strips(draw: st.DrawFn) -> list[Shape]:
    """Two communities side by side, each cut into 2-4 grid columns, some columns' strips handed to a sibling."""
    shapes: list[Shape] = []
    for number, community in enumerate([COMMUNITY, SECOND]):
        cuts = sorted(draw(st.sets(st.integers(1, 19), min_size=1, max_size=3)))
        edges = [number + x / 20 for x in [0, *cuts, 20]]
        columns = [box(a, 0, b, 1) for a, b in itertools.pairwise(edges)]
        grids: list[BaseGeometry] = list(columns)
        donors = draw(st.lists(st.integers(0, len(columns) - 1), unique=True, max_size=len(columns)))
        for donor in donors:
            receiver = draw(st.sampled_from([r for r in range(len(columns)) if r != donor]))
            height = draw(st.floats(0.3, 1.9)) * METRE_LAT / STEP
            a, b = edges[donor], edges[donor + 1]
            strip = box(a + (b - a) * 0.2, 0, a + (b - a) * 0.8, height)
            grids[donor] = shapely.difference(grids[donor], strip)
            grids[receiver] = shapely.union(grids[receiver], strip)
        shapes.append((community, "community", "", box(number, 0, number + 1, 1)))
        shapes += [(f"{community}{k + 1:03d}", "grid", community, g) for k, g in enumerate(grids)]
    return shapes


@settings(max_examples=12, deadline=None)
@given(shapes=coverages_with_strips())
def test_merging_conserves_area_per_parent_keeps_the_coverage_and_is_idempotent(shapes: list[Shape]) -> None:
    repair, _, local = run(shapes)
    before = np.array([s[3] for s in shapes], dtype=object)
    grids = np.array([s[1] == "grid" for s in shapes])
    assert shapely.coverage_is_valid(repair.geometries[grids])
    for community in (COMMUNITY, SECOND):
        mine = np.array([s[2] == community for s in shapes])
        old = sum(area_m2(local, g) for g in before[mine])
        assert abs(sum(area_m2(local, g) for g in repair.geometries[mine]) - old) <= 1e-6 * old
        moved = shapely.symmetric_difference(
            shapely.union_all(repair.geometries[mine]), shapely.union_all(before[mine])
        )
        assert area_m2(local, moved) < 1e-3  # the community's children cover exactly what they covered
    for merge in repair.merges:
        assert shapes[merge.source][2] == shapes[merge.target][2]  # same parent
    again, _, _ = run([(c, lv, p, g) for (c, lv, p, _), g in zip(shapes, repair.geometries, strict=True)])
    assert again.merges == []
    assert all(a.equals_exact(b, 0.0) for a, b in zip(again.geometries, repair.geometries, strict=True))
    assert not any("borders no other" in s.reason for s in repair.left)


def test_sliver_of_a_feature_without_its_parent_is_reported() -> None:
    strip = box(0.3, 0, 0.8, METRE_LAT / STEP)
    shapes: list[Shape] = [
        (SECOND, "community", "", cell(1, 0, 1, 2)),
        (f"{COMMUNITY}001", "grid", COMMUNITY, shapely.MultiPolygon([cell(0, 1), strip])),  # its community is missing
        (f"{COMMUNITY}002", "grid", COMMUNITY, shapely.difference(cell(0, 0), strip)),
        (f"{SECOND}001", "grid", SECOND, cell(1, 0, 1, 2)),
    ]
    repair, codes, _ = run(shapes)
    assert repair.merges == []
    assert [(codes[s.feature], s.whole_feature) for s in repair.left] == [(f"{COMMUNITY}001", False)]
    assert "no usable parent" in repair.left[0].reason


def test_grid_sliver_part_takes_its_microgrids_piece_along() -> None:
    height = METRE_LAT / STEP
    strip = polygon((0.3, 0), (1, 0), (1.2, 0), (1.2, height), (1, height), (0.3, height))
    north = polygon((0, 1), (1, 1), (2, 1), (2, 2), (0, 2))
    south_west, south_east = shapely.difference(cell(0, 0), strip), shapely.difference(cell(1, 0), strip)
    grid = f"{COMMUNITY}001"
    shapes: list[Shape] = [
        (COMMUNITY, "community", "", cell(0, 0, 2, 2)),
        (grid, "grid", COMMUNITY, shapely.MultiPolygon([north, strip])),
        (f"{COMMUNITY}002", "grid", COMMUNITY, south_west),
        (f"{COMMUNITY}003", "grid", COMMUNITY, south_east),
        (f"{grid}01", "microgrid", grid, cell(0, 1)),
        (f"{grid}02", "microgrid", grid, shapely.MultiPolygon([cell(1, 1), strip])),
        (f"{COMMUNITY}00201", "microgrid", f"{COMMUNITY}002", south_west),
        (f"{COMMUNITY}00301", "microgrid", f"{COMMUNITY}003", south_east),
    ]
    repair, codes, _ = run(shapes)
    moved = [(codes[m.source], codes[m.target], m.follows) for m in repair.merges]
    assert moved == [(grid, f"{COMMUNITY}002", None), (f"{grid}02", f"{COMMUNITY}00201", 0)]
    assert repair.geometries[5].equals(cell(1, 1))
    assert repair.geometries[6].equals(repair.geometries[2])
    assert set(checked(shapes, repair)) <= {"edge_mismatch"}
