"""Household checks inside `gridmap check --households`: uncovered points and households per grid."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from gridmap.geo.assign import PointAssigner, assign_points, point_xy
from gridmap.geo.hierarchy import LEVELS
from gridmap.geo.problems import Problem, ProblemKind, Severity

if TYPE_CHECKING:
    from gridmap.services.check import CheckOptions


def household_problems(
    metric: npt.NDArray[np.object_],
    usable: npt.NDArray[np.bool_],
    codes: list[str],
    level_array: npt.NDArray[np.object_],
    options: CheckOptions,
    to_metric: Callable[[BaseGeometry], BaseGeometry],
) -> list[Problem]:
    """Households in no feature (with the nearest grid and its distance); households per grid against the limits."""
    assert options.households is not None
    points = np.array([to_metric(p) for p in options.households], dtype=object)
    x, y = point_xy(points)
    code_array = np.array(codes, dtype=object)
    grid_level = LEVELS[1].value if (level_array == LEVELS[1].value).any() else ""
    members = np.flatnonzero(usable)
    anywhere = PointAssigner(metric[members], code_array[members]).assign_xy(x, y)
    grids = np.flatnonzero((level_array == grid_level) & usable)
    # the geometries are metric already, so distances come out in metres
    placed = assign_points(x, y, metric[grids], code_array[grids])
    in_grid = placed.polygon
    problems: list[Problem] = []
    for i in np.flatnonzero(anywhere < 0).tolist():
        point = options.households[i]
        message = f"household {i} at ({point.x:.6f}, {point.y:.6f}) lies in no grid"
        details: dict[str, object] = {}
        nearest = int(placed.nearest[i])
        if nearest >= 0:
            nearest_code = codes[int(grids[nearest])]
            distance = float(placed.distance_m[i])
            message += f"; the nearest grid is {nearest_code}, {distance:.0f} m away"
            details = {"nearest_grid": nearest_code, "distance_m": round(distance, 1)}
        problems.append(
            Problem(ProblemKind.UNCOVERED_HOUSEHOLD, Severity.ERROR, message, None, (), None, point, details)
        )
    counts = np.bincount(in_grid[in_grid >= 0], minlength=len(grids))
    for local, count in enumerate(counts.tolist()):
        feature = int(grids[local])
        if count > options.households_max:
            kind, limit, word = ProblemKind.HOUSEHOLDS_ABOVE_LIMIT, options.households_max, "more"
        elif count < options.households_min:
            kind, limit, word = ProblemKind.HOUSEHOLDS_BELOW_LIMIT, options.households_min, "fewer"
        else:
            continue
        message = f"{codes[feature]} has {count} households, {word} than the limit of {limit}"
        problems.append(
            Problem(
                kind,
                Severity.WARNING,
                message,
                grid_level or None,
                (codes[feature],),
                None,
                None,
                {"households": count},
            )
        )
    return problems
