"""The allowed-exception rule on hand-drawn shapes: which gaps and overlaps an exception allows, and the fix's undo."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.geo.allowed_exceptions import (
    AllowedException,
    ExceptionKind,
    allowed_exception,
    allowing,
    is_allowed,
    keep_allowed_areas,
    mark_allowed,
)
from gridmap.geo.problems import Problem, ProblemKind, Severity
from tests.boundary_builders import STEP, cell

METRE = STEP / 200  # about a metre of latitude (and 0.89 m of longitude) near Shouning
RIVER = cell(1.4, 1, 0.2, 1)  # 40 m x 200 m


def river_exception(geometry: shapely.Polygon = RIVER, **extra: object) -> AllowedException:
    return allowed_exception(kind="gap", geometry=geometry, reason="蟾溪 between 城东 and 大同", id=7, **extra)  # type: ignore[arg-type]


def gap(geometry: BaseGeometry) -> Problem:
    return Problem(ProblemKind.GAP, Severity.ERROR, "gap", level="community", geometry=geometry, area_m2=1.0)


def overlap(geometry: shapely.Polygon, *codes: str) -> Problem:
    return Problem(ProblemKind.OVERLAP, Severity.ERROR, "overlap", level="grid", codes=codes, geometry=geometry)


def test_a_gap_inside_the_area_is_listed_as_allowed_not_dropped() -> None:
    problems = [gap(RIVER), Problem(ProblemKind.DUPLICATE_CODE, Severity.ERROR, "dup", codes=("1",))]
    marked = mark_allowed(problems, [river_exception()])
    assert len(marked) == 2
    assert marked[0].severity is Severity.INFO and is_allowed(marked[0])
    assert marked[0].details["allowed_by"] == {"id": 7, "kind": "gap", "reason": "蟾溪 between 城东 and 大同"}
    assert marked[0].geometry == RIVER and marked[0].message == "gap"  # where and what are kept
    assert marked[1] == problems[1]


def test_the_tolerance_is_about_a_metre() -> None:
    half_metre_out = shapely.affinity.translate(RIVER, yoff=0.5 * METRE)
    five_metres_out = shapely.affinity.translate(RIVER, yoff=5 * METRE)
    marked = mark_allowed([gap(half_metre_out), gap(five_metres_out)], [river_exception()])
    assert [p.severity for p in marked] == [Severity.INFO, Severity.ERROR]


def test_a_gap_exception_does_not_allow_overlaps_nor_other_kinds() -> None:
    sliver = Problem(ProblemKind.SLIVER, Severity.ERROR, "sliver", codes=("1",), geometry=RIVER)
    marked = mark_allowed([overlap(RIVER, "a", "b"), sliver], [river_exception()])
    assert [p.severity for p in marked] == [Severity.ERROR, Severity.ERROR]


def test_an_overlap_exception_with_codes_allows_only_overlaps_involving_them() -> None:
    overlay = allowed_exception(kind="overlap", geometry=cell(0, 0, 2, 2), reason="overlay grid", codes=["O1"], id=1)
    inside = cell(0.5, 0.5, 0.5, 0.5)
    marked = mark_allowed([overlap(inside, "O1", "B1"), overlap(inside, "B1", "B2")], [overlay])
    assert [p.severity for p in marked] == [Severity.INFO, Severity.ERROR]
    anyone = allowed_exception(kind="overlap", geometry=cell(0, 0, 2, 2), reason="any overlap here", id=2)
    assert all(is_allowed(p) for p in mark_allowed([overlap(inside, "B1", "B2")], [anyone]))


def test_the_outer_perimeter_exception_allows_what_lies_outside_the_outline() -> None:
    county = cell(0, 0, 3, 3)
    perimeter = allowed_exception(kind="gap", geometry=county, reason="county outer perimeter", outside=True, id=3)
    outside = cell(3, 0, 0.5, 3)  # along the east border, outside
    straddling = cell(2.5, 1, 1, 1)
    inside = cell(1, 1, 0.2, 0.2)
    marked = mark_allowed([gap(outside), gap(straddling), gap(inside)], [perimeter])
    assert [p.severity for p in marked] == [Severity.INFO, Severity.ERROR, Severity.ERROR]


def test_the_first_exception_that_allows_a_problem_is_named() -> None:
    first, second = river_exception(), allowed_exception(kind="gap", geometry=cell(0, 0, 3, 3), reason="big", id=8)
    assert allowing([RIVER, None], [ProblemKind.GAP, ProblemKind.GAP], [(), ()], [first, second]) == [first, None]


@pytest.mark.parametrize(
    ("kind", "geometry", "reason", "codes", "message"),
    [
        ("hole", RIVER, "r", (), "gap or overlap"),
        ("gap", RIVER, "  ", (), "needs a reason"),
        ("gap", RIVER, "x" * 501, (), "longer than 500"),
        ("gap", shapely.Point(119.5, 27.45), "r", (), "Polygon or MultiPolygon"),
        ("gap", None, "r", (), "needs an area"),
        ("gap", {"type": "Polygon", "coordinates": "nonsense"}, "r", (), "not a GeoJSON geometry"),
        ("gap", shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]), "r", (), "not valid"),
        ("gap", shapely.box(400000, 3000000, 400100, 3000100), "r", (), "WGS-84"),
        ("gap", RIVER, "r", ("350924100001001",), "a gap exception takes none"),
        ("overlap", RIVER, "r", ("",), "feature codes"),
    ],
)
def test_bad_exceptions_are_refused_with_what_to_change(
    kind: str, geometry: object, reason: str, codes: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        allowed_exception(kind=kind, geometry=geometry, reason=reason, codes=codes)  # type: ignore[arg-type]


def test_a_geojson_geometry_is_read_and_codes_are_cleaned() -> None:
    exception = allowed_exception(
        kind="overlap", geometry=shapely.geometry.mapping(RIVER), reason=" overlay ", codes=[" O1", "O1", "O2"]
    )
    assert exception.kind is ExceptionKind.OVERLAP and exception.codes == ("O1", "O2") and exception.reason == "overlay"
    assert shapely.equals(exception.geometry, RIVER)
    feature = exception.to_geojson(with_author=False)
    assert "allowed_by" not in feature["properties"] and feature["properties"]["codes"] == ["O1", "O2"]


@given(
    x=st.floats(0.0, 0.15),
    y=st.floats(0.0, 0.9),
    width=st.floats(0.01, 0.05),
    height=st.floats(0.01, 0.1),
    out_m=st.floats(3.0, 50.0),
)
def test_gaps_inside_are_allowed_and_gaps_reaching_metres_out_are_not(
    x: float, y: float, width: float, height: float, out_m: float
) -> None:
    inside = cell(1.4 + x, 1 + y, width, height)
    reaching_out = shapely.union(inside, cell(1.4 + x, 2, width, 0).buffer(out_m * METRE, cap_style="flat"))
    marked = mark_allowed([gap(inside), gap(reaching_out)], [river_exception()])
    assert [p.severity for p in marked] == [Severity.INFO, Severity.ERROR]


def test_the_fix_gives_back_what_it_changed_inside_an_allowed_gap() -> None:
    west, east, other = cell(0, 1, 1.4, 1), cell(1.6, 1, 1.4, 1), cell(0, 0, 3, 1)
    before = np.array([west, east, other], dtype=object)
    filled = shapely.union(west, RIVER)  # the cleaner handed the river to the west community
    after = np.array([filled, east, other], dtype=object)
    kept = keep_allowed_areas(before, after, ["W", "E", "S"], [river_exception(cell(1.38, 0.98, 0.24, 1.04))])
    assert shapely.equals(kept[0], west)
    assert kept[1] is east and kept[2] is other  # untouched features are returned as they were
    assert keep_allowed_areas(before, after, ["W", "E", "S"], []) is not after  # a copy, nothing undone
    assert shapely.equals(keep_allowed_areas(before, after, ["W", "E", "S"], [])[0], filled)


def test_the_fix_keeps_an_allowed_overlap_only_for_the_named_features() -> None:
    base, overlay = cell(0, 0, 2, 2), cell(0.5, 0.5, 1, 1)
    before = np.array([base, overlay], dtype=object)
    after = np.array([shapely.difference(base, overlay), overlay], dtype=object)  # the cleaner cut the base
    allowed = allowed_exception(kind="overlap", geometry=cell(0.4, 0.4, 1.2, 1.2), reason="overlay", codes=["B"])
    assert shapely.equals(keep_allowed_areas(before, after, ["B", "O"], [allowed])[0], base)
    other = allowed_exception(kind="overlap", geometry=cell(0.4, 0.4, 1.2, 1.2), reason="overlay", codes=["X"])
    assert shapely.equals(keep_allowed_areas(before, after, ["B", "O"], [other])[0], after[0])
