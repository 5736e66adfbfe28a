"""Problems a check finds, in the shape of the JSON report contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

LOCATION_DECIMALS = 9  # degrees: well under a millimetre


def representative_point(geometry: BaseGeometry | None) -> shapely.Point | None:
    """One point that says where a problem is: a point itself, else the centroid when it lies on the shape
    (a box-like overlap or gap), else a point on the surface (an L-shaped gap, a line, several points)."""
    if geometry is None or geometry.is_empty:
        return None
    if isinstance(geometry, shapely.Point):
        return geometry
    centroid = shapely.centroid(geometry)
    if shapely.covers(geometry, centroid):
        return centroid
    point: shapely.Point = shapely.point_on_surface(geometry)
    return point


class Severity(StrEnum):
    """An error fails the check; a warning is reported but does not (unless --strict); info never does."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # something allowed on purpose (an empty placeholder under --allow-empty), listed, never hidden


class ProblemKind(StrEnum):
    """Every kind of problem the check engine reports."""

    INVALID_GEOMETRY = "invalid_geometry"
    EMPTY_GEOMETRY = "empty_geometry"
    NOT_POLYGON = "not_polygon"
    COORDINATES_OUT_OF_RANGE = "coordinates_out_of_range"
    OUTSIDE_CHINA = "outside_china"
    DUPLICATE_CODE = "duplicate_code"
    BAD_CODE = "bad_code"
    MISSING_PARENT = "missing_parent"
    WRONG_PARENT_LEVEL = "wrong_parent_level"
    OVERLAP = "overlap"
    GAP = "gap"
    NOT_NESTED = "not_nested"
    EDGE_MISMATCH = "edge_mismatch"
    SLIVER = "sliver"
    SLIVER_PART = "sliver_part"  # a thin polygon of a multi-part feature: a warning, `gridmap fix` merges it
    UNCOVERED_HOUSEHOLD = "uncovered_household"
    HOUSEHOLDS_ABOVE_LIMIT = "households_above_limit"
    HOUSEHOLDS_BELOW_LIMIT = "households_below_limit"


@dataclass(frozen=True)
class Problem:
    """One problem: what, how bad, where (geometry in WGS-84), which features, and how large."""

    kind: ProblemKind
    severity: Severity
    message: str
    level: str | None = None
    codes: tuple[str, ...] = ()
    area_m2: float | None = None
    geometry: BaseGeometry | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # where the problem is in the input's own coordinates, when found there rather than mapped back from WGS-84
    input_location: tuple[float, float] | None = None

    @property
    def location(self) -> shapely.Point | None:
        """Where the problem is, as one WGS-84 point (None for problems without a geometry, e.g. codes)."""
        return representative_point(self.geometry)

    def to_json(self) -> dict[str, Any]:
        """The problem as the report contract's JSON object; `location` is [lon, lat] in WGS-84 or null."""
        geometry = None
        if self.geometry is not None and not self.geometry.is_empty:
            geometry = shapely.geometry.mapping(self.geometry)
        point = self.location
        location = None if point is None else [round(point.x, LOCATION_DECIMALS), round(point.y, LOCATION_DECIMALS)]
        return {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "level": self.level,
            "codes": list(self.codes),
            "area_m2": None if self.area_m2 is None else round(self.area_m2, 3),
            "message": self.message,
            "geometry": geometry,
            "location": location,
            **({"details": self.details} if self.details else {}),
        }
