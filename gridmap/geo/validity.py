"""Per-feature geometry checks: empty, not a polygon, invalid, coordinates out of range or outside China."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.problems import Problem, ProblemKind, Severity

# A generous box around China (incl. the South China Sea islands' latitudes).
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
_REASON_POINT = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")


@dataclass(frozen=True)
class FeatureLabel:
    """How messages name one feature."""

    code: str
    level: str | None
    where: str  # e.g. "data/x.geojson: feature 12"


@dataclass
class GeometryCheck:
    """Per-feature problems, which features can take part in coverage checks, and their usable shapes."""

    problems: list[Problem]
    usable: npt.NDArray[np.bool_]
    geometries: npt.NDArray[np.object_]


def check_geometries(
    geometries: npt.NDArray[np.object_],
    labels: Sequence[FeatureLabel],
    unusable: npt.NDArray[np.bool_],
    *,
    allow_empty: bool = False,
) -> GeometryCheck:
    """Check every feature's geometry (WGS-84); invalid polygons are repaired for the later checks.

    `unusable` marks features whose geometry already failed while reading (reported there). A feature with no
    geometry (null or empty) is an error, since a grid without an area is a data error; with `allow_empty` it
    is a placeholder, listed as `info`. Either way it takes no part in the coverage rules.
    """
    problems: list[Problem] = []
    usable = ~unusable.copy()
    repaired = geometries.copy()
    missing = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    polygonal = np.isin(
        shapely.get_type_id(geometries), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]
    )
    for i in np.flatnonzero(missing & usable).tolist():
        if allow_empty:
            text = "has no geometry: an allowed placeholder (--allow-empty), left out of the coverage rules"
            placeholder = _problem(ProblemKind.EMPTY_GEOMETRY, labels[i], text, None)
            problems.append(replace(placeholder, severity=Severity.INFO))
        else:
            problems.append(_problem(ProblemKind.EMPTY_GEOMETRY, labels[i], "has no geometry", None))
    for i in np.flatnonzero(~missing & ~polygonal & usable).tolist():
        kind = shapely.get_type_id(geometries[i])
        name = shapely.GeometryType(kind).name.title().replace("string", "String")
        problems.append(_problem(ProblemKind.NOT_POLYGON, labels[i], f"is a {name}, not a Polygon", geometries[i]))
    usable &= ~missing & polygonal
    bounds = np.full((len(geometries), 4), np.nan)
    bounds[usable] = shapely.bounds(geometries[usable])
    c_min_x, c_min_y, c_max_x, c_max_y = CHINA_BOUNDS
    in_china = (
        (bounds[:, 0] <= c_max_x) & (bounds[:, 2] >= c_min_x) & (bounds[:, 1] <= c_max_y) & (bounds[:, 3] >= c_min_y)
    )
    for i in np.flatnonzero(usable & ~in_china).tolist():  # the exact test only for the few outside China
        range_problem = _range_problem(geometries[i], labels[i])
        if range_problem is not None:
            problems.append(range_problem)
            usable[i] = False
    reasons = np.full(len(geometries), "Valid Geometry", dtype=object)
    reasons[usable] = shapely.is_valid_reason(geometries[usable])
    for i in np.flatnonzero(usable & (reasons != "Valid Geometry")).tolist():
        problems.append(_invalid(geometries[i], str(reasons[i]), labels[i]))
        repaired[i] = _polygonal_repair(geometries[i])
        usable[i] = not repaired[i].is_empty
    return GeometryCheck(problems=problems, usable=usable, geometries=repaired)


def _problem(kind: ProblemKind, label: FeatureLabel, text: str, geometry: BaseGeometry | None) -> Problem:
    """An error about one feature, named by its place in the file and its code."""
    return Problem(
        kind=kind,
        severity=Severity.ERROR,
        message=f"{label.where} ({label.code or 'no code'}) {text}",
        level=label.level,
        codes=(label.code,),
        geometry=geometry,
    )


def _range_problem(geometry: BaseGeometry, label: FeatureLabel) -> Problem | None:
    """coordinates_out_of_range or outside_china, with a hint at the likely cause."""
    min_x, min_y, max_x, max_y = geometry.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        if max(abs(min_x), abs(max_x), abs(min_y), abs(max_y)) > 1000:
            hint = "these look like metres in a projected CRS: declare it with --crs EPSG:NNNN (e.g. EPSG:4549)"
        elif _inside_china(min_y, min_x, max_y, max_x):
            hint = "longitude and latitude look swapped: GeoJSON wants [lon, lat]"
        else:
            hint = "longitude must be within -180..180 and latitude within -90..90"
        text = f"has coordinates out of range (x {min_x:.4f}..{max_x:.4f}, y {min_y:.4f}..{max_y:.4f}): {hint}"
        return _problem(ProblemKind.COORDINATES_OUT_OF_RANGE, label, text, None)
    if not _inside_china(min_x, min_y, max_x, max_y):
        hint = "swapped lon/lat?" if _inside_china(min_y, min_x, max_y, max_x) else "wrong CRS or wrong file?"
        text = f"lies outside China (around lon {min_x:.3f}, lat {min_y:.3f}): {hint}"
        return _problem(ProblemKind.OUTSIDE_CHINA, label, text, shapely.centroid(geometry))
    return None


def _inside_china(min_x: float, min_y: float, max_x: float, max_y: float) -> bool:
    """True when the box overlaps China's bounding box."""
    c_min_x, c_min_y, c_max_x, c_max_y = CHINA_BOUNDS
    return min_x <= c_max_x and max_x >= c_min_x and min_y <= c_max_y and max_y >= c_min_y


def _invalid(geometry: BaseGeometry, reason: str, label: FeatureLabel) -> Problem:
    """invalid_geometry with GEOS's reason and the point it names."""
    match = _REASON_POINT.search(reason)
    point = shapely.Point(float(match.group(1)), float(match.group(2))) if match else shapely.centroid(geometry)
    problem = _problem(ProblemKind.INVALID_GEOMETRY, label, f"is not a valid polygon: {reason}", point)
    problem.details["reason"] = reason
    return problem


def _polygonal_repair(geometry: BaseGeometry) -> BaseGeometry:
    """A valid (Multi)Polygon for an invalid one, keeping only the polygonal parts GEOS makes."""
    fixed = shapely.make_valid(geometry, method="structure")
    parts = shapely.get_parts(fixed)
    polygons = parts[
        np.isin(shapely.get_type_id(parts), [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    ]
    return shapely.union_all(polygons) if len(polygons) else shapely.Polygon()
