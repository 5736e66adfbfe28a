"""Household checks inside `gridmap check --households`: uncovered points and households per grid."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from gridmap.geo.assign import covering_polygon
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
    """uncovered_household for points in no feature; households_above/below_limit per grid (or flat feature)."""
    assert options.households is not None
    points = np.array([to_metric(p) for p in options.households], dtype=object)
    grid_level = LEVELS[1].value if (level_array == LEVELS[1].value).any() else ""
    members = np.flatnonzero(usable)
    anywhere = covering_polygon(points, metric[members], np.array(codes, dtype=object)[members])
    problems: list[Problem] = []
    for i in np.flatnonzero(anywhere < 0).tolist():
        point = options.households[i]
        message = f"household {i} at ({point.x:.6f}, {point.y:.6f}) lies in no grid"
        problems.append(Problem(ProblemKind.UNCOVERED_HOUSEHOLD, Severity.ERROR, message, None, (), None, point))
    grids = np.flatnonzero((level_array == grid_level) & usable)
    in_grid = covering_polygon(points, metric[grids], np.array(codes, dtype=object)[grids])
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
