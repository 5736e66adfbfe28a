"""Self-checks of a generated region: exact coverage per level, exact nesting, well-formed numbered codes.

These are the generator's own promises, checked with plain shapely; the real check engine lives in
`gridmap.geo`. Each function returns human-readable problems, empty when all is well.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gridmap.geo.hierarchy import Level, child_code, code_problem
from gridmap_demo.codes import community_code
from gridmap_demo.projection import LocalFrame
from gridmap_demo.region import reading_ranks

NESTING_TOLERANCE_M2 = 1e-3


def coverage_problems(boundaries: gpd.GeoDataFrame) -> list[str]:
    """Levels that are not an exact, hole-free coverage of valid polygons."""
    problems: list[str] = []
    for level in Level:
        geometries = np.asarray(boundaries.geometry[boundaries["level"] == level.value], dtype=object)
        if not len(geometries):
            problems.append(f"no {level} features")
            continue
        if not np.all(shapely.get_type_id(geometries) == shapely.GeometryType.POLYGON):
            problems.append(f"the {level} level has features that are not single polygons")
        if not np.all(shapely.is_valid(geometries)):
            problems.append(f"the {level} level has invalid polygons")
        if not shapely.coverage_is_valid(geometries, gap_width=0.0):
            problems.append(f"the {level} level is not an exact coverage")
        union = shapely.coverage_union_all(geometries)
        if any(polygon.interiors for polygon in shapely.get_parts(union)):
            problems.append(f"the union of the {level} level has holes")
    return problems


def nesting_problems(boundaries: gpd.GeoDataFrame, frame: LocalFrame) -> list[str]:
    """Parents whose children's coverage union differs from them (symmetric difference, EPSG:4549)."""
    problems: list[str] = []
    geometry_of = dict(zip(boundaries["code"], boundaries.geometry, strict=True))
    for parent, children in boundaries[boundaries["parent"] != ""].groupby("parent"):
        union = shapely.coverage_union_all(np.asarray(children.geometry, dtype=object))
        difference = shapely.symmetric_difference(union, geometry_of[parent])
        area = float(frame.area_m2(np.array([difference], dtype=object))[0])
        if area > NESTING_TOLERANCE_M2:
            problems.append(f"the children of {parent} differ from it by {area:.3f} m2")
    return problems


def code_problems(boundaries: gpd.GeoDataFrame) -> list[str]:
    """Malformed or duplicate codes, and children not numbered 1..n inside their parent."""
    problems: list[str] = []
    if not boundaries["code"].is_unique:
        problems.append("codes are not unique")
    for code, level, parent in zip(boundaries["code"], boundaries["level"], boundaries["parent"], strict=True):
        problem = code_problem(code, Level(level), parent or None)
        if problem:
            problems.append(problem)
    for level in Level:
        rows = boundaries[boundaries["level"] == level.value]
        for parent, children in rows.groupby("parent"):
            expected = [_expected_code(level, parent, rank) for rank in range(len(children))]
            if sorted(children["code"]) != expected:
                problems.append(f"the children of {parent or 'the region'} are not numbered 1..{len(children)}")
    return problems


def reading_order_problems(boundaries: gpd.GeoDataFrame, frame: LocalFrame) -> list[str]:
    """Levels whose child numbers do not follow the reading order of the children's centroids."""
    problems: list[str] = []
    for level in Level:
        rows = boundaries[boundaries["level"] == level.value]
        centres = shapely.get_coordinates(shapely.centroid(frame.to_local(np.asarray(rows.geometry, dtype=object))))
        parents = np.unique(rows["parent"].to_numpy(), return_inverse=True)[1].astype(np.int64)
        ranks = reading_ranks(parents, centres)
        expected = [
            _expected_code(level, parent, int(rank)) for parent, rank in zip(rows["parent"], ranks, strict=True)
        ]
        if expected != rows["code"].tolist():
            problems.append(f"the {level} codes are not numbered in reading order")
    return problems


def _expected_code(level: Level, parent: str, rank: int) -> str:
    """The code the child at 0-based `rank` in reading order should have."""
    return community_code(rank) if level is Level.COMMUNITY else child_code(parent, level, rank + 1)
