"""Problem locations in the input's own coordinates: GCJ-02, BD-09, CGCS2000 and projected files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import Datum, from_wgs84, to_wgs84
from gridmap.geo.problems import Problem, ProblemKind, Severity
from gridmap.io.boundaries import SourceCrs, read_boundaries
from gridmap.services.check import check_boundaries
from gridmap.services.problem_locations import (
    common_input_crs,
    crs_name,
    format_location,
    problem_json,
    wgs84_to_input,
)
from tests.boundary_builders import LAT0, LON0, STEP, cell, feature, write_collection

FILE_TOLERANCE_DEG = 1e-7  # what the brief asks of a location against the file's own point
ROUND_TRIP_DEG = 1e-9


def in_datum(geometry: BaseGeometry, datum: Datum) -> BaseGeometry:
    """A WGS-84 shape with its vertices moved into `datum`, as an Amap or Baidu export would have them."""
    return shapely.transform(geometry, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1], datum)))


def strip(*columns: float) -> shapely.Polygon:
    """A one-row box through the given column lines (grid steps east of the origin), a vertex at each."""
    south = [(LON0 + c * STEP, LAT0) for c in columns]
    north = [(LON0 + c * STEP, LAT0 + STEP) for c in reversed(columns)]
    return shapely.Polygon(south + north)


def planted_file(tmp_path: Path, datum: Datum) -> tuple[Path, tuple[float, float], tuple[float, float]]:
    """A flat file in `datum`: two boxes overlapping by a strip and a bow-tie apart from them.

    The boxes share the strip's corners as vertices, as snapping in a GIS makes them. Returns the file, the
    bow-tie's crossing and the overlap's centroid, both in the file's own coordinates.
    """
    west = in_datum(strip(0, 1, 1.3), datum)
    east = in_datum(strip(1, 1.3, 2), datum)
    x0, y0, x1, y1 = in_datum(cell(4, 0), datum).bounds
    bow_tie = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    path = write_collection(
        tmp_path / f"{datum.value}.geojson",
        [feature("A1", None, "", west), feature("B2", None, "", east), feature("C3", None, "", bow_tie)],
    )
    crossing = ((x0 + x1) / 2, (y0 + y1) / 2)
    overlap = shapely.intersection(west, east).centroid
    return path, crossing, (overlap.x, overlap.y)


def checked(path: Path, source: SourceCrs | None) -> dict[str, Any]:
    """The JSON report of a check of `path` read as `source`, as `gridmap check` makes it."""
    boundary_input = read_boundaries([path], source_crs=source)
    input_crs, _ = common_input_crs(boundary_input.crs_by_file)
    report = check_boundaries(boundary_input.frame, read_problems=boundary_input.problems, input_crs=input_crs)
    return report.to_json()


def the(report: dict[str, Any], kind: str) -> dict[str, Any]:
    (problem,) = [p for p in report["problems"] if p["kind"] == kind]
    return problem


@pytest.mark.parametrize("datum", [Datum.GCJ02, Datum.BD09])
def test_bow_tie_and_overlap_are_located_in_the_files_own_coordinates(tmp_path: Path, datum: Datum) -> None:
    path, crossing, overlap_centre = planted_file(tmp_path, datum)
    report = checked(path, SourceCrs(datum=datum))
    assert report["summary"]["input_crs"] == datum.value
    for kind, expected in (("invalid_geometry", crossing), ("overlap", overlap_centre)):
        problem = the(report, kind)
        assert problem["location_input"] == pytest.approx(expected, abs=FILE_TOLERANCE_DEG)
        wgs84 = [float(v) for v in to_wgs84(*problem["location_input"], datum)]
        assert problem["location"] == pytest.approx(wgs84, abs=ROUND_TRIP_DEG)
        # the datum's offset is hundreds of metres: the two locations really differ
        assert abs(problem["location"][0] - expected[0]) > 1e-3
        # and the WGS-84 location lies on the WGS-84 geometry, but for the datum's bend between vertices (cm)
        assert shapely.geometry.shape(problem["geometry"]).distance(shapely.Point(problem["location"])) < 1e-6


def test_cgcs2000_locations_are_the_wgs84_ones(tmp_path: Path) -> None:
    path, crossing, overlap_centre = planted_file(tmp_path, Datum.WGS84)
    report = checked(path, SourceCrs.parse("EPSG:4490"))
    assert report["summary"]["input_crs"] == "cgcs2000"
    for kind, expected in (("invalid_geometry", crossing), ("overlap", overlap_centre)):
        problem = the(report, kind)
        assert problem["location_input"] == problem["location"]
        assert problem["location"] == pytest.approx(expected, abs=FILE_TOLERANCE_DEG)


def test_wgs84_input_names_its_crs_and_repeats_the_location(tmp_path: Path) -> None:
    path, crossing, _ = planted_file(tmp_path, Datum.WGS84)
    report = checked(path, None)
    assert report["summary"]["input_crs"] == "wgs84"
    problem = the(report, "invalid_geometry")
    assert problem["location_input"] == problem["location"] == pytest.approx(crossing, abs=ROUND_TRIP_DEG)
    assert format_location(problem, SourceCrs()) == f"{crossing[0]:.6f}, {crossing[1]:.6f}"


def test_projected_geopackage_locations_are_in_its_metres(tmp_path: Path) -> None:
    path, _, _ = planted_file(tmp_path, Datum.WGS84)
    frame = gpd.read_file(path).to_crs(4549)
    frame.to_file(tmp_path / "gk.gpkg", driver="GPKG")
    x0, y0, x1, y1 = frame.geometry.iloc[2].bounds  # the bow-tie, its corners in metres
    report = checked(tmp_path / "gk.gpkg", None)
    assert report["summary"]["input_crs"] == "EPSG:4549"
    problem = the(report, "invalid_geometry")
    assert problem["location_input"] == pytest.approx(((x0 + x1) / 2, (y0 + y1) / 2), abs=0.01)
    text = format_location(problem, SourceCrs(crs=pyproj.CRS.from_epsg(4549)))
    assert text is not None and text.startswith(f"{problem['location_input'][0]:.2f}, ")


def test_open_ring_read_from_gcj02_is_placed_at_its_own_vertex(tmp_path: Path) -> None:
    box = in_datum(cell(0, 0), Datum.GCJ02)
    ring = [list(xy) for xy in box.exterior.coords][:-1]  # left open
    path = write_collection(
        tmp_path / "open.geojson", [feature("A1", None, "", {"type": "Polygon", "coordinates": [ring]})]
    )
    report = checked(path, SourceCrs(datum=Datum.GCJ02))
    problem = the(report, "invalid_geometry")
    assert "not closed" in problem["message"]
    assert problem["location_input"] == pytest.approx(ring[-1], abs=ROUND_TRIP_DEG)
    assert problem["location"] == pytest.approx([float(v) for v in to_wgs84(*ring[-1], Datum.GCJ02)], abs=1e-9)


def test_problems_without_a_place_have_no_location(tmp_path: Path) -> None:
    path = write_collection(
        tmp_path / "dup.geojson", [feature("A1", None, "", cell(0, 0)), feature("A1", None, "", cell(1, 0))]
    )
    report = checked(path, SourceCrs(datum=Datum.GCJ02))
    problem = the(report, "duplicate_code")
    assert problem["location"] is None and problem["location_input"] is None
    assert format_location(problem, SourceCrs(datum=Datum.GCJ02)) is None


def test_files_in_different_crss_fall_back_to_wgs84_with_a_note() -> None:
    same = {"a.geojson": SourceCrs(), "b.gpkg": SourceCrs(crs=pyproj.CRS.from_epsg(4326))}
    assert common_input_crs(same) == (SourceCrs(), None)
    gcj = SourceCrs(datum=Datum.GCJ02)
    assert common_input_crs({"a.json": gcj, "b.json": gcj}) == (gcj, None)
    mixed = {"a.json": gcj, "b.gpkg": SourceCrs(crs=pyproj.CRS.from_epsg(4549))}
    source, note = common_input_crs(mixed)
    assert crs_name(source) == "wgs84"
    assert note is not None and "a.json: gcj02" in note and "b.gpkg: EPSG:4549" in note


def test_new_keys_only_add_to_the_report_contract(tmp_path: Path) -> None:
    path, _, _ = planted_file(tmp_path, Datum.GCJ02)
    boundary_input = read_boundaries([path], source_crs=SourceCrs(datum=Datum.GCJ02))
    report = check_boundaries(boundary_input.frame, input_crs=SourceCrs(datum=Datum.GCJ02))
    located, plain = report.to_json(), replace(report, input_crs=SourceCrs()).to_json()
    assert (located["summary"]["input_crs"], plain["summary"]["input_crs"]) == ("gcj02", "wgs84")
    assert located["summary"]["problems"] == plain["summary"]["problems"]
    old_keys = ("kind", "severity", "level", "codes", "area_m2", "message", "geometry")
    for problem, same in zip(located["problems"], plain["problems"], strict=True):
        assert [problem[k] for k in old_keys] == [same[k] for k in old_keys]
        assert same["location"] == same["location_input"]
        # the WGS-84 location is the input point converted back: the same place, to the nanometre scale
        assert problem["location"] == pytest.approx(same["location"], abs=1e-7)
        assert problem["location_input"] != problem["location"]


DATUMS = [SourceCrs(datum=Datum.GCJ02), SourceCrs(datum=Datum.BD09), SourceCrs(datum=Datum.CGCS2000)]


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(min_value=73.6, max_value=134.7),
    lat=st.floats(min_value=18.2, max_value=53.4),
    source=st.sampled_from(DATUMS),
)
def test_a_datum_location_goes_back_to_the_point_the_reader_took(lon: float, lat: float, source: SourceCrs) -> None:
    """A point in the input's datum, read into WGS-84 the reader's way, maps back onto itself."""
    read_lon, read_lat = to_wgs84(np.array([lon]), np.array([lat]), source.datum)
    x, y = wgs84_to_input(read_lon, read_lat, source)
    assert (float(x[0]), float(y[0])) == pytest.approx((lon, lat), abs=ROUND_TRIP_DEG)
    problem = Problem(ProblemKind.GAP, Severity.ERROR, "here", geometry=shapely.Point(read_lon[0], read_lat[0]))
    assert problem_json(problem, source)["location_input"] == pytest.approx((lon, lat), abs=ROUND_TRIP_DEG)


@settings(max_examples=30, deadline=None)
@given(x=st.floats(min_value=300_000, max_value=700_000), y=st.floats(min_value=2_000_000, max_value=5_000_000))
def test_a_projected_location_goes_back_to_the_point_the_reader_took(x: float, y: float) -> None:
    """Metres in EPSG:4549, read into WGS-84 as geopandas reprojects them, map back within a micrometre."""
    gk = pyproj.CRS.from_epsg(4549)
    lon, lat = pyproj.Transformer.from_crs(gk, 4326, always_xy=True).transform(x, y)
    back_x, back_y = wgs84_to_input(np.array([lon]), np.array([lat]), SourceCrs(crs=gk))
    assert (float(back_x[0]), float(back_y[0])) == pytest.approx((x, y), abs=1e-6)
