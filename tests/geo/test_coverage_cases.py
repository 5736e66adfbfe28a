"""gridmap's coverage engine on the polygon-coverage cases of JTS, GEOS and PostGIS, with their expected answers.

JTS's cases (EPL-2.0 / EDL-1.0) are copied, with their attribution, into tests/fixtures/coverage_cases_jts.json and
always run. GEOS's (LGPL) and PostGIS's (GPL) cases may not be copied into the project: they are read from
../shared/data when it is there and skipped when it is not.

Each operation is put to the part of gridmap that does that job:

- coverage_validate: the whole check, `check_boundaries`, on a flat frame read from GeoJSON. The engine takes
  lon/lat, so `to_lonlat` places the planar case in a small box near Shouning (119.5E, 27.45N) by an affine map,
  one case unit becoming UNIT_M metres east and north; an affine map keeps every vertex, edge and incidence, so
  the topology the case is about survives, and its gap width becomes gap_width * UNIT_M metres.
- coverage_polygon_validate: `coverage.flagged_edges` on [target, *adjacent] (the target's row is its answer).
- coverage_gap_find: `coverage.union_holes` and `coverage.open_gaps`, and the check's gap problems.
- coverage_clean: `repair.repair_children(..., parent=None)`, in the case's own units and again in lon/lat.
- coverage_union: `coverage.level_union`.
- coverage_edges (GEOS, PostGIS): gridmap has no counterpart, so those cases are not run.

Where gridmap deliberately answers differently (it reports every hole as a gap, degenerate features as errors,
narrow gaps as regions rather than as invalid edges), the test says why and asserts gridmap's answer.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo import coverage
from gridmap.geo.crs import LocalMetres
from gridmap.geo.problems import Problem, ProblemKind, Severity
from gridmap.geo.repair import repair_children
from gridmap.io.boundaries import read_boundaries
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries
from gridmap.services.repair import MergeStrategy
from tests.shared_data import needs_shared

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_CASES = Path(__file__).resolve().parents[3] / "shared" / "data" / "coverage-tests" / "coverage_cases.json"

LON0, LAT0 = 119.5, 27.45
UNIT_M = 10.0  # metres on the ground per case unit
_METRES_PER_DEGREE = 6371008.8 * np.pi / 180.0
_DEG_PER_UNIT_X = UNIT_M / (_METRES_PER_DEGREE * np.cos(np.radians(LAT0)))
_DEG_PER_UNIT_Y = UNIT_M / _METRES_PER_DEGREE
TOLERANCE = 1e-6  # case units (10 micrometres): what survives the trip to lon/lat and back
ROUNDED_TOLERANCE = 0.05 * np.sqrt(2.0)  # PostGIS documents outputs rounded to 1 decimal

GeometryArray = npt.NDArray[np.object_]


# ---- the cases -----------------------------------------------------------------------------------------------------


@cache
def _jts_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((FIXTURES / "coverage_cases_jts.json").read_text(encoding="utf-8"))[
        "cases"
    ]
    return cases


@cache
def _shared_cases() -> list[dict[str, Any]]:
    if not SHARED_CASES.is_file():
        return []
    cases = json.loads(SHARED_CASES.read_text(encoding="utf-8"))["cases"]
    return [case for case in cases if case["library"] != "JTS"]


class _SharedCasesAbsent(dict[str, Any]):
    """Stands for the GEOS and PostGIS cases where ../shared is absent (under CI, where the test still runs):
    reading it fails the test with what is missing, not with a TypeError."""

    def __getitem__(self, key: str) -> Any:
        pytest.fail(f"{SHARED_CASES} is absent: the GEOS and PostGIS coverage cases are read from ../shared/data")


_SHARED_MARKS = [
    pytest.mark.shared,
    needs_shared(SHARED_CASES, "../shared/data (GEOS and PostGIS cases)"),
]


def cases_of(operation: str) -> list[Any]:
    """pytest params: the JTS cases of `operation`, then the GEOS and PostGIS ones (skipped without ../shared)."""

    def param(number: int, case: dict[str, Any], marks: Any = ()) -> Any:
        slug = re.sub(r"\W+", "_", case["test_name"]).strip("_")[:48]
        return pytest.param(case, id=f"{case['library']}-{number:03d}-{slug}", marks=marks)

    params = [param(i, c) for i, c in enumerate(_jts_cases()) if c["operation"] == operation]
    shared = [param(i, c, _SHARED_MARKS) for i, c in enumerate(_shared_cases()) if c["operation"] == operation]
    if not SHARED_CASES.is_file():
        shared = [pytest.param(_SharedCasesAbsent(), id="GEOS-PostGIS-from-shared", marks=_SHARED_MARKS)]
    return params + shared


# ---- geometry helpers ----------------------------------------------------------------------------------------------


def geometries(wkts: list[str | None]) -> GeometryArray:
    """Shapely geometries of WKT strings (None for null)."""
    return np.array([shapely.from_wkt(w) if w is not None else None for w in wkts], dtype=object)


def is_empty(geometry: BaseGeometry | str | None) -> bool:
    """True for null, EMPTY, or the WKT of either."""
    if isinstance(geometry, str):
        geometry = shapely.from_wkt(geometry)
    return geometry is None or bool(shapely.is_empty(geometry))


def to_lonlat(geometry: Any) -> Any:
    """Case geometry (planar units) placed near Shouning, one unit = UNIT_M metres east and north."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack([LON0 + xy[:, 0] * _DEG_PER_UNIT_X, LAT0 + xy[:, 1] * _DEG_PER_UNIT_Y])
    )


def to_planar(geometry: Any) -> Any:
    """The inverse of `to_lonlat`."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack([(xy[:, 0] - LON0) / _DEG_PER_UNIT_X, (xy[:, 1] - LAT0) / _DEG_PER_UNIT_Y])
    )


def same_lines(actual: BaseGeometry | None, expected: BaseGeometry | None, tolerance: float = TOLERANCE) -> bool:
    """The same linework, whatever its orientation, start vertex or split into parts."""
    if is_empty(actual) or is_empty(expected):
        return is_empty(actual) and is_empty(expected)
    return bool(
        shapely.hausdorff_distance(actual, expected) <= tolerance
        and abs(shapely.length(actual) - shapely.length(expected)) <= 10 * tolerance
    )


def same_area(actual: BaseGeometry | None, expected: BaseGeometry | None, tolerance: float = 0.0) -> bool:
    """The same point set: topologically equal, or (with a tolerance) equal up to rounding of the vertices."""
    if is_empty(actual) or is_empty(expected):
        return is_empty(actual) and is_empty(expected)
    if tolerance == 0.0:
        return bool(shapely.equals(actual, expected))
    return bool(shapely.hausdorff_distance(actual, expected) <= tolerance)


def has_empty_part(geometry: BaseGeometry) -> bool:
    """True for a multi-geometry with an EMPTY member."""
    return bool(shapely.is_empty(shapely.get_parts(geometry)).any())


def shares_edge(polygon: BaseGeometry, region: BaseGeometry) -> bool:
    """True when the two boundaries run together for a positive length (touching at a point does not count)."""
    if is_empty(polygon):
        return False
    together = shapely.intersection(shapely.boundary(polygon), shapely.buffer(shapely.boundary(region), TOLERANCE))
    return float(shapely.length(together)) > 1000 * TOLERANCE


def lies_on(line: BaseGeometry, outline: BaseGeometry) -> bool:
    """True when all of `line` runs along `outline`."""
    return float(shapely.length(shapely.difference(line, shapely.buffer(outline, TOLERANCE)))) <= 10 * TOLERANCE


def gaps_of(polygons: GeometryArray, gap_width: float) -> list[BaseGeometry]:
    """The gaps the check's engine finds in one level, called the way the check calls it."""
    exact = bool(shapely.is_empty(coverage.flagged_edges(polygons)).all())
    union = coverage.level_union(polygons, exact=exact)
    near = coverage.gap_edges(polygons, gap_width) if gap_width > 0 else None
    # Empty polygons are dropped here: see test_gap_finders_return_no_empty_polygon.
    gaps = coverage.union_holes(union) + coverage.open_gaps(union, near, gap_width, 0.0)
    return [gap for gap in gaps if not gap.is_empty]


# ---- the check engine on a case ------------------------------------------------------------------------------------


def check_case(polygons: GeometryArray, folder: Path, options: CheckOptions) -> CheckReport:
    """The whole check on the case's polygons as features f0, f1, ... of a flat GeoJSON file in lon/lat."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": f"f{i}", "name": f"case polygon {i}"},
            "geometry": shapely.geometry.mapping(to_lonlat(polygon)) if polygon is not None else None,
        }
        for i, polygon in enumerate(polygons)
    ]
    path = folder / "case.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    boundary_input = read_boundaries([path])
    return check_boundaries(boundary_input.frame, options, read_problems=boundary_input.problems)


def feature_indexes(problems: list[Problem]) -> set[int]:
    """The case indexes of the features the problems name."""
    return {int(code[1:]) for problem in problems for code in problem.codes}


def of_kind(report: CheckReport, *kinds: ProblemKind) -> list[Problem]:
    """The report's problems of these kinds."""
    return [p for p in report.problems if p.kind in kinds]


# ---- coverage_validate ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("coverage_validate"))
def test_validate_case_flags_the_expected_features(case: dict[str, Any], tmp_path: Path) -> None:
    polygons = geometries(case["input"])
    gap_width = float(case["params"]["gap_width"])
    report = check_case(polygons, tmp_path, CheckOptions(gap_width=gap_width * UNIT_M))
    expected_lines = [None if is_empty(w) else shapely.from_wkt(w) for w in case["expected_invalid_lines"]]
    expected = {i for i, line in enumerate(expected_lines) if line is not None}

    overlaps = of_kind(report, ProblemKind.OVERLAP)
    mismatches = of_kind(report, ProblemKind.EDGE_MISMATCH)
    gaps = [to_planar(p.geometry) for p in of_kind(report, ProblemKind.GAP)]
    by_edges = feature_indexes(overlaps + mismatches)
    by_gaps = {i for i, polygon in enumerate(polygons) for gap in gaps if shares_edge(polygon, gap)}

    # Deliberate: gridmap validates edges with gap width 0 and reports a narrow gap as a region of its own, where
    # JTS and GEOS flag the edges of the polygons beside it. So with a gap width the flagged features are those
    # with bad edges plus those bordering a reported gap, and every expected line runs along one or the other.
    if gap_width > 0:
        assert by_edges | by_gaps == expected
        gap_outlines = shapely.union_all([shapely.boundary(g) for g in gaps]) if gaps else shapely.LineString()
        for i in sorted(by_gaps - by_edges):
            line = expected_lines[i]
            assert line is not None
            assert lies_on(line, gap_outlines), f"f{i}: {line} not along a reported gap"
    else:
        assert by_edges == expected
        # Deliberate: with gap width 0 the libraries look for no gaps at all, but a hole inside a coverage is
        # always a gap to gridmap (不留空白); the holes it reports are exactly those of the case's union.
        union = shapely.union_all(polygons[[not is_empty(p) and shapely.is_valid(p) for p in polygons]])
        holes = [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors]
        assert len(gaps) == len(holes)
        assert same_area(shapely.union_all(gaps), shapely.union_all(holes), TOLERANCE) or not holes

    # The mismatched edges gridmap reports are the expected lines (with a gap width, the part not due to a gap).
    for problem in mismatches:
        (i,) = feature_indexes([problem])
        actual, line = to_planar(problem.geometry), expected_lines[i]
        assert line is not None, f"f{i}: flagged, but the case expects it valid"
        assert lies_on(actual, line), f"f{i}: {actual} is not part of {line}"
        if gap_width == 0:
            assert same_lines(actual, line), f"f{i}: {actual} != {line}"

    # Overlaps: exactly the pairs whose interiors meet, each with its true area (case units become UNIT_M m).
    pairs = {
        (i, j): float(shapely.area(shapely.intersection(polygons[i], polygons[j])))
        for i in range(len(polygons))
        for j in range(i + 1, len(polygons))
        if shapely.is_valid(polygons[i]) and shapely.is_valid(polygons[j])
    }
    assert {tuple(sorted(feature_indexes([p]))) for p in overlaps} == {pair for pair, area in pairs.items() if area > 0}
    for problem in overlaps:
        i, j = sorted(feature_indexes([problem]))
        assert problem.area_m2 == pytest.approx(pairs[i, j] * UNIT_M**2, rel=0.005)

    # Deliberate: JTS and GEOS skip empty polygons, empty members and collapsed rings; gridmap reports them, since a
    # grid without area is a data error (and in GeoJSON an empty member is a ring of no positions, which RFC 7946
    # forbids). Features with no usable area are left out of the coverage checks, so they flag no neighbour.
    degenerate = {i for i, p in enumerate(polygons) if is_empty(p) or not shapely.is_valid(p) or has_empty_part(p)}
    per_feature = of_kind(report, ProblemKind.EMPTY_GEOMETRY, ProblemKind.INVALID_GEOMETRY)
    assert feature_indexes(per_feature) == degenerate
    assert not degenerate & expected

    # Deliberate: vertices that do not match along a shared edge, with no overlap and no gap behind them, break
    # neither 不交叉重叠 nor 不留空白: gridmap warns (an error only with --strict) where the libraries say invalid.
    assert report.ok == (not overlaps and not gaps and not degenerate)
    assert case["expected_is_valid"] == (not expected)
    if mismatches and not overlaps and not gaps and not degenerate:
        assert all(p.severity is Severity.WARNING for p in mismatches)
        strict = check_case(polygons, tmp_path, CheckOptions(gap_width=gap_width * UNIT_M, strict=True))
        assert not strict.ok

    if "expected_union_area" in case:
        assert float(shapely.area(coverage.level_union(polygons, exact=True))) == case["expected_union_area"]


# ---- coverage_polygon_validate -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("coverage_polygon_validate"))
def test_polygon_validate_case_gives_the_targets_invalid_edges(case: dict[str, Any]) -> None:
    polygons = geometries([case["target"], *case["adjacent"]])
    expected = shapely.from_wkt(case["expected_invalid_lines"])
    edges = coverage.flagged_edges(polygons)
    gap_width = float(case["params"]["gap_width"])
    if gap_width == 0:
        assert same_lines(edges[0], expected), f"{edges[0]} != {expected}"
        assert case["expected_is_valid"] == is_empty(expected)
        return
    # Deliberate: gridmap looks for bad edges with gap width 0, so an edge that only runs beside a narrow gap is
    # not flagged; open_gaps reports the gap itself instead, a region running along the expected edge.
    assert is_empty(edges[0])
    gaps = gaps_of(polygons, gap_width)
    assert gaps
    assert any(shares_edge(polygons[0], gap) for gap in gaps)
    along = shapely.intersection(expected, shapely.buffer(shapely.union_all([g.boundary for g in gaps]), TOLERANCE))
    assert float(shapely.length(along)) > 0.1 * float(shapely.length(expected))


@pytest.mark.parametrize("case", cases_of("coverage_polygon_validate"))
def test_polygon_validate_case_as_a_coverage_reports_every_overlap(case: dict[str, Any], tmp_path: Path) -> None:
    # The target and its neighbours, checked together as one flat coverage: every pair whose interiors meet is an
    # overlap error, whichever of the two the validator happens to flag.
    polygons = geometries([case["target"], *case["adjacent"]])
    report = check_case(polygons, tmp_path, CheckOptions(gap_width=float(case["params"]["gap_width"]) * UNIT_M))
    meeting = {
        (i, j)
        for i in range(len(polygons))
        for j in range(i + 1, len(polygons))
        if float(shapely.area(shapely.intersection(polygons[i], polygons[j]))) > 0
    }
    overlaps = of_kind(report, ProblemKind.OVERLAP)
    assert {tuple(sorted(feature_indexes([p]))) for p in overlaps} == meeting
    if meeting:
        assert not report.ok


def test_grid_inside_another_grid_is_an_overlap_and_does_not_hide_a_gap(tmp_path: Path) -> None:
    # JTS's testFullyContained inside a community: grid 003 lies inside grid 001, and grid 002 has a hole of the
    # same size. The children's areas add up to the community's, so the gap search trusts them unless an overlap
    # marks the community as suspect; with the overlap missed, both errors go unreported.
    community = "350924100001"
    rows = [
        (community, "community", "", "POLYGON ((0 0, 8 0, 8 8, 0 8, 0 0))"),
        (f"{community}001", "grid", community, "POLYGON ((0 0, 4 0, 4 8, 0 8, 0 0))"),
        (f"{community}002", "grid", community, "POLYGON ((4 0, 8 0, 8 8, 4 8, 4 0), (5 1, 5 3, 7 3, 7 1, 5 1))"),
        (f"{community}003", "grid", community, "POLYGON ((1 1, 3 1, 3 3, 1 3, 1 1))"),
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "level": level, "parent": parent},
            "geometry": shapely.geometry.mapping(to_lonlat(shapely.from_wkt(wkt))),
        }
        for code, level, parent, wkt in rows
    ]
    path = tmp_path / "community.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    report = check_boundaries(read_boundaries([path]).frame, CheckOptions())
    kinds = {p.kind for p in report.problems}
    assert ProblemKind.OVERLAP in kinds
    assert ProblemKind.GAP in kinds
    assert not report.ok


# ---- coverage_gap_find ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("coverage_gap_find"))
def test_gap_find_case_finds_the_expected_gap(case: dict[str, Any], tmp_path: Path) -> None:
    polygons = geometries(case["input"])
    gap_width = float(case["params"]["gap_width"])
    expected = shapely.from_wkt(case["expected_gaps"])
    assert shapely.is_empty(coverage.flagged_edges(polygons)).all()
    gaps = gaps_of(polygons, gap_width)
    assert len(gaps) == 1
    assert same_area(gaps[0], expected)

    # The whole check finds the same gap on the ground, with its area in m2.
    report = check_case(polygons, tmp_path, CheckOptions(gap_width=gap_width * UNIT_M))
    reported = of_kind(report, ProblemKind.GAP)
    assert [p.kind for p in report.problems] == [ProblemKind.GAP]
    assert same_area(to_planar(reported[0].geometry), expected, TOLERANCE)
    assert reported[0].area_m2 == pytest.approx(float(shapely.area(expected)) * UNIT_M**2, rel=0.005)

    # Deliberate: JTS reports only gaps narrower than the gap width (GEOS agrees this one is not narrow at a tenth
    # of it), but a hole enclosed by the coverage is a gap to gridmap whatever its width.
    assert shapely.coverage_is_valid(polygons, gap_width=gap_width / 10)
    assert [same_area(g, expected) for g in gaps_of(polygons, gap_width / 10)] == [True]


def test_gap_finders_return_no_empty_polygon() -> None:
    case = next(c for c in _jts_cases() if c["operation"] == "coverage_gap_find")
    polygons = geometries(case["input"])
    union = coverage.level_union(polygons, exact=True)
    gaps = coverage.union_holes(union) + coverage.open_gaps(union, coverage.gap_edges(polygons, 1.0), 1.0, 0.0)
    assert not any(gap.is_empty for gap in gaps)


# ---- coverage_clean ------------------------------------------------------------------------------------------------


def _snapping_distance(value: Any) -> float:
    """The case's snapping distance; null or 'default(...)' mean GEOS's automatic one (-1)."""
    return float(value) if isinstance(value, int | float) else -1.0


def _merge_strategy(value: str) -> str:
    """The shapely name of the case's merge strategy, through gridmap's own MergeStrategy."""
    names = {
        "MERGE_LONGEST_BORDER": MergeStrategy.LONGEST_BORDER,
        "MERGE_MAX_AREA": MergeStrategy.MAX_AREA,
        "MERGE_MIN_AREA": MergeStrategy.MIN_AREA,
        "MERGE_MIN_INDEX": MergeStrategy.MIN_INDEX,
    }
    return names.get(value, MergeStrategy.LONGEST_BORDER).value.replace("-", "_")


@pytest.mark.parametrize("case", cases_of("coverage_clean"))
def test_clean_case_gives_the_expected_coverage(case: dict[str, Any]) -> None:
    polygons = geometries(case["input"])
    params = case["params"]
    gap_width, snapping = float(params["gap_width"]), _snapping_distance(params["snap_distance"])
    strategy = _merge_strategy(params["merge_strategy"])

    def clean(shapes: GeometryArray, scale: float = 1.0) -> tuple[GeometryArray, list[BaseGeometry]]:
        """repair_children with the case's options, its widths divided by `scale` (case units per unit)."""
        return repair_children(
            shapes,
            None,
            gap_width=gap_width / scale,
            snapping_distance=snapping / scale if snapping > 0 else snapping,
            merge_strategy=strategy,
            min_area=0.0,
        )

    polygonal = np.isin(
        shapely.get_type_id(polygons), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]
    )
    if not polygonal.all():
        # GEOS's cleaner drops lines; shapely refuses them. gridmap never hands them over: check_geometries marks
        # non-polygons unusable and `gridmap fix` leaves them out with a note.
        with pytest.raises(TypeError):
            clean(polygons)
        return

    cleaned, wide = clean(polygons)
    assert wide == []
    assert len(cleaned) == len(polygons)
    assert shapely.is_valid(cleaned).all()
    tolerance = case.get("expected_result_is_valid_coverage_with_tolerance") or 0.0
    assert shapely.coverage_is_valid(cleaned[~shapely.is_empty(cleaned)], gap_width=tolerance)

    expected_output = case.get("expected_output")
    if not expected_output:
        return
    rounded = ROUNDED_TOLERANCE if "rounded" in case.get("note", "") else 0.0
    expected = geometries(expected_output)
    for i, (actual, wanted) in enumerate(zip(cleaned, expected, strict=True)):
        assert same_area(actual, wanted, rounded), f"polygon {i}: {actual} != {wanted}"

    # `gridmap fix` cleans in lon/lat with its widths in degrees: the answer there is the same.
    lonlat = to_lonlat(polygons)
    local = LocalMetres(*(float(b) for b in shapely.total_bounds(lonlat[~shapely.is_empty(lonlat)])))
    cleaned_lonlat, _ = clean(lonlat, scale=float(np.sqrt(local.kx * local.ky)) / UNIT_M)
    for i, (actual, wanted) in enumerate(zip(to_planar(cleaned_lonlat), expected, strict=True)):
        assert same_area(actual, wanted, max(rounded, TOLERANCE)), f"polygon {i} in lon/lat: {actual} != {wanted}"

    if "expected_invalid_edges_before" in case:
        before = shapely.MultiLineString(list(shapely.get_parts(coverage.flagged_edges(polygons))))  # not merged
        assert same_lines(before, shapely.from_wkt(case["expected_invalid_edges_before"]))


# ---- coverage_union ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("coverage_union"))
def test_union_case_gives_the_expected_union(case: dict[str, Any]) -> None:
    parts = geometries(case["input"])
    if case["expected_error"]:
        # The fast coverage union refuses an incorrectly noded coverage. gridmap never asks it to: the check takes
        # it only when no edge is flagged, and these coverages have flagged edges, so it takes the full union.
        with pytest.raises(shapely.errors.GEOSException):
            coverage.level_union(parts, exact=True)
        assert not shapely.is_empty(coverage.flagged_edges(parts)).all()
        assert same_area(coverage.level_union(parts, exact=False), shapely.union_all(parts))
        return
    union = coverage.level_union(parts, exact=True)
    wanted = case["expected_union"]
    # gridmap is two-dimensional: Z and M are compared away (shapely.equals ignores them).
    computed = wanted is None or wanted.startswith("EQUALS")
    expected = shapely.union_all(parts) if computed else shapely.from_wkt(wanted)
    assert same_area(union, expected), f"{union} != {expected}"
    assert same_area(coverage.level_union(parts, exact=False), union)
