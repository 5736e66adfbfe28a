"""The report's locations, computed as arrays for all problems at once, equal the per-problem definition."""

from __future__ import annotations

import math
from typing import Any

import pyproj
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import Datum
from gridmap.geo.problems import LOCATION_DECIMALS, Problem, ProblemKind, Severity, representative_point
from gridmap.io.boundaries import SourceCrs
from gridmap.services.check import check_boundaries
from gridmap.services.problem_locations import (
    PROJECTED_DECIMALS,
    geometry_in_input,
    input_to_wgs84,
    is_geographic,
    is_wgs84,
    problems_json,
)
from tests.boundary_builders import LAT0, LON0, STEP, feature, frame_of

SOURCES = [
    SourceCrs(),
    SourceCrs(datum=Datum.GCJ02),
    SourceCrs(datum=Datum.BD09),
    SourceCrs(datum=Datum.CGCS2000),
    SourceCrs(crs=pyproj.CRS.from_epsg(4549)),
]


def one_point(geometry: BaseGeometry | None) -> shapely.Point | None:
    """The definition of a problem's point, one geometry at a time: the point itself, the centroid when the
    shape covers it, else a point on the surface."""
    if geometry is None or geometry.is_empty:
        return None
    if isinstance(geometry, shapely.Point):
        return geometry
    if geometry.covers(geometry.centroid):
        return geometry.centroid
    point: shapely.Point = geometry.representative_point()
    return point


def located_alone(problem: Problem, source: SourceCrs) -> tuple[list[float] | None, list[float] | None]:
    """A problem's ([lon, lat], [x, y]) computed for it alone, as the report did before it took them as arrays."""
    point = one_point(problem.geometry)
    if point is None:
        return None, None
    wgs84 = [round(point.x, LOCATION_DECIMALS), round(point.y, LOCATION_DECIMALS)]
    if is_wgs84(source):
        return wgs84, list(wgs84)
    if problem.input_location is not None:
        x, y = problem.input_location
    else:
        assert problem.geometry is not None
        found = one_point(geometry_in_input(problem.geometry, source))
        x, y = (found.x, found.y) if found is not None else (math.nan, math.nan)
    lon, lat = (float(v) for v in input_to_wgs84(x, y, source))
    if not all(math.isfinite(v) for v in (x, y, lon, lat)):
        return wgs84, None
    decimals = LOCATION_DECIMALS if is_geographic(source) else PROJECTED_DECIMALS
    return [round(lon, LOCATION_DECIMALS), round(lat, LOCATION_DECIMALS)], [round(x, decimals), round(y, decimals)]


@st.composite
def jittered_coverages(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A flat grid of 2-4 x 2-3 cells whose inner corners moved by up to a third of a cell, a few cells bent out
    of shape or moved over a neighbour: overlaps, gaps, bow-ties and edge mismatches in one set."""
    columns, rows = draw(st.integers(2, 4)), draw(st.integers(2, 3))
    shift = st.floats(-0.3, 0.3, allow_nan=False)
    corners = {
        (c, r): (c + (draw(shift) if 0 < c < columns else 0.0), r + (draw(shift) if 0 < r < rows else 0.0))
        for c in range(columns + 1)
        for r in range(rows + 1)
    }
    features = []
    for number, (c, r) in enumerate((c, r) for r in range(rows) for c in range(columns)):
        ring = [corners[c, r], corners[c + 1, r], corners[c + 1, r + 1], corners[c, r + 1]]
        if draw(st.booleans()) and draw(st.booleans()):  # moved over a neighbour or away from it
            dx, dy = draw(shift), draw(shift)
            ring = [(x + dx, y + dy) for x, y in ring]
        if draw(st.integers(0, 5)) == 0:  # a bow-tie: two corners swapped
            ring[1], ring[2] = ring[2], ring[1]
        lonlat = [(LON0 + x * STEP, LAT0 + y * STEP) for x, y in ring]
        features.append(feature(f"35092410{number + 1:04d}", None, "", shapely.Polygon(lonlat)))
    return features


@settings(max_examples=25, deadline=None)
@given(features=jittered_coverages(), source=st.sampled_from(SOURCES))
def test_locations_of_a_checked_coverage_equal_each_problem_located_alone(
    features: list[dict[str, Any]], source: SourceCrs
) -> None:
    """Every location of a check's report, in WGS-84 and in the input's coordinates, is the per-problem one."""
    report = check_boundaries(frame_of(features), input_crs=source)
    found = [(p["location"], p["location_input"]) for p in report.to_json()["problems"]]
    assert found == [located_alone(p, source) for p in report.problems]


def test_every_kind_of_place_is_located_as_alone() -> None:
    """Points, lines, an L-shaped polygon (its centroid outside), empty and missing geometries, a given input
    point and one far outside a projected CRS's area, together in one report."""
    box = shapely.box(LON0, LAT0, LON0 + 2 * STEP, LAT0 + 2 * STEP)
    l_shape = shapely.difference(shapely.box(LON0, LAT0, LON0 + 3 * STEP, LAT0 + 3 * STEP), box)
    places: list[tuple[BaseGeometry | None, tuple[float, float] | None]] = [
        (shapely.Point(LON0, LAT0), None),
        (shapely.LineString([(LON0, LAT0), (LON0 + STEP, LAT0 + STEP)]), None),
        (shapely.MultiPoint([(LON0, LAT0), (LON0 + STEP, LAT0)]), None),
        (l_shape, None),
        (shapely.Polygon(), None),
        (None, None),
        (box, (119.5001, 27.4502)),
        (shapely.Point(-170.0, -80.0), None),
    ]
    problems = [
        Problem(ProblemKind.GAP, Severity.ERROR, "here", geometry=g, input_location=given_point)
        for g, given_point in places
    ]
    assert representative_point(l_shape) == one_point(l_shape) != l_shape.centroid
    for source in SOURCES:
        found = [(p["location"], p["location_input"]) for p in problems_json(problems, source)]
        assert found == [located_alone(p, source) for p in problems], source
