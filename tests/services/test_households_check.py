"""`gridmap check --households`: uncovered households name the nearest grid and how far it is."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridmap.services.check import CheckOptions, check_boundaries
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, community_of_grids, frame_of


def test_uncovered_household_reports_the_nearest_grid_and_distance() -> None:
    # 0.5 steps (about 99 m) west of grid 003 (south-west), and one inside grid 002
    points = np.array(
        [shapely.Point(LON0 - 0.5 * STEP, LAT0 + 0.5 * STEP), shapely.Point(LON0 + 1.5 * STEP, LAT0 + 1.5 * STEP)],
        dtype=object,
    )
    report = check_boundaries(frame_of(community_of_grids()), CheckOptions(households=points))
    uncovered = [p for p in report.problems if p.kind == "uncovered_household"]
    assert len(uncovered) == 1
    details = uncovered[0].details
    assert details["nearest_grid"] == f"{COMMUNITY}003"
    expected = 0.5 * STEP * 111_195 * np.cos(np.radians(LAT0 + 0.5 * STEP))
    assert details["distance_m"] == pytest.approx(expected, rel=0.01)
    assert f"{COMMUNITY}003" in uncovered[0].message
    assert uncovered[0].to_json()["details"]["nearest_grid"] == f"{COMMUNITY}003"
