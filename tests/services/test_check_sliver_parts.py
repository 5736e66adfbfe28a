"""The check's `sliver_part` warning: thin polygons of multi-part features, the ones `gridmap fix` merges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from gridmap.io.boundaries import read_boundaries
from gridmap.services.check import CheckReport, check_boundaries
from gridmap.services.repair import repair_boundaries
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, cell, feature, write_collection

METRE_LAT = 1.0 / 111_195  # one metre north-south in degrees
GRID = f"{COMMUNITY}001"


def polygon(*corners: tuple[float, float]) -> shapely.Polygon:
    """A lon/lat polygon from corners in grid steps."""
    return shapely.Polygon([(LON0 + x * STEP, LAT0 + y * STEP) for x, y in corners])


def strip(height_m: float) -> shapely.Polygon:
    """A strip along the community's south edge from 0.3 to 1.2 steps east, `height_m` metres tall.

    It has a vertex where the two southern grids meet (x = 1), so that the edges match exactly.
    """
    h = height_m * METRE_LAT / STEP
    return polygon((0.3, 0), (1, 0), (1.2, 0), (1.2, h), (1, h), (0.3, h))


def two_part_grid(height_m: float) -> list[dict[str, Any]]:
    """A community of three grids; grid 001 is its northern half plus a strip cut off the two southern grids."""
    south = strip(height_m)
    north = polygon((0, 1), (1, 1), (2, 1), (2, 2), (0, 2))
    return [
        feature(COMMUNITY, "community", "", cell(0, 0, 2, 2)),
        feature(GRID, "grid", COMMUNITY, shapely.MultiPolygon([north, south])),
        feature(f"{COMMUNITY}002", "grid", COMMUNITY, shapely.difference(cell(0, 0), south)),
        feature(f"{COMMUNITY}003", "grid", COMMUNITY, shapely.difference(cell(1, 0), south)),
    ]


def checked(path: Path) -> CheckReport:
    """The full check of the file at `path`."""
    return check_boundaries(read_boundaries([path]).frame)


def problems_of(report: CheckReport) -> list[dict[str, Any]]:
    """The report's problems as the JSON contract gives them."""
    problems: list[dict[str, Any]] = report.to_json()["problems"]
    return problems


def test_thin_part_of_a_two_part_feature_is_a_sliver_part_warning(tmp_path: Path) -> None:
    report = checked(write_collection(tmp_path / "in.geojson", two_part_grid(1.0)))
    assert report.to_json()["summary"]["problems"] == {"sliver_part": 1}
    (problem,) = problems_of(report)
    assert problem["severity"] == "warning" and report.ok  # a warning: it fails only with --strict
    assert problem["codes"] == [GRID] and problem["level"] == "grid"
    expected_area = 0.9 * STEP * 111_195 * np.cos(np.radians(LAT0)) * 1.0 * 111_195 * METRE_LAT
    assert problem["area_m2"] == pytest.approx(expected_area, rel=0.01)
    lon, lat = problem["location"]
    assert shapely.Point(lon, lat).distance(strip(1.0)) < 1e-9  # on the strip, not on the grid's body
    assert lon == pytest.approx(LON0 + 0.75 * STEP, abs=1e-7) and lat < LAT0 + METRE_LAT
    assert problem["location_input"] == problem["location"]  # the file is WGS-84
    assert shapely.geometry.shape(problem["geometry"]).equals(strip(1.0))
    assert GRID in problem["message"] and "thinner than 2 m" in problem["message"]


def test_thick_second_part_is_not_flagged(tmp_path: Path) -> None:
    report = checked(write_collection(tmp_path / "in.geojson", two_part_grid(5.0)))
    assert report.problems == []


def test_whole_sliver_feature_stays_a_sliver_error_and_is_not_a_part(tmp_path: Path) -> None:
    features = [
        feature(COMMUNITY, "community", "", cell(0, 0)),
        feature("350924100002", "community", "", shapely.box(LON0, LAT0 + STEP, LON0 + STEP, LAT0 + STEP + METRE_LAT)),
    ]
    report = checked(write_collection(tmp_path / "in.geojson", features))
    assert report.to_json()["summary"]["problems"] == {"sliver": 1}
    assert not report.ok


def test_check_fix_check_flags_the_part_then_not(tmp_path: Path) -> None:
    source = write_collection(tmp_path / "in.geojson", two_part_grid(1.0))
    (flagged,) = problems_of(checked(source))
    out = tmp_path / "fixed.geojson"
    result = repair_boundaries(read_boundaries([source]).frame, out, inputs=[source])
    (merge,) = result.slivers
    assert (merge.from_code, merge.to_code, merge.whole_feature) == (GRID, f"{COMMUNITY}002", False)
    assert merge.area_m2 == pytest.approx(flagged["area_m2"], rel=1e-3)
    assert shapely.Point(merge.lon, merge.lat).distance(shapely.Point(flagged["location"])) < 2 * METRE_LAT
    after = checked(out)
    assert after.problems == [] and after.ok
