"""Problems a check finds, in the shape of the JSON report contract."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

LOCATION_DECIMALS = 9  # degrees: well under a millimetre


def representative_points(geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """One point per geometry that says where a problem is (None for a missing or empty one): a point itself, else
    the centroid when it lies on the shape (a box-like overlap or gap), else a point on the surface (an L-shaped
    gap, a line, several points). One GEOS call per step for the whole array: a country's check finds 70,000 gaps."""
    points = np.full(len(geometries), None, dtype=object)
    present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    is_point = shapely.get_type_id(geometries) == shapely.GeometryType.POINT
    points[present & is_point] = geometries[present & is_point]
    shapes = np.flatnonzero(present & ~is_point)
    centroids = shapely.centroid(geometries[shapes])
    on_shape = shapely.covers(geometries[shapes], centroids)
    points[shapes[on_shape]] = centroids[on_shape]
    points[shapes[~on_shape]] = shapely.point_on_surface(geometries[shapes[~on_shape]])
    return points


def rounded_location(x: float, y: float) -> list[float]:
    """[lon, lat] as the report gives a WGS-84 location: rounded to LOCATION_DECIMALS."""
    return [round(x, LOCATION_DECIMALS), round(y, LOCATION_DECIMALS)]


# |value| x 10^decimals below which the product's rounding error (half an ulp, at most 2^-13 there) is far inside
# the margin around a half that `rounded_pairs` leaves to Python's round
_EXACT_SCALED = 2.0**40
_HALF_MARGIN = 2.0**-10


def rounded_pairs(x: npt.ArrayLike, y: npt.ArrayLike, decimals: int) -> list[list[float]]:
    """`[round(xi, decimals), round(yi, decimals)]` per point, the same floats as Python's `round` gives, for
    arrays: a country's 77,000 problems have 300,000 coordinates to round.

    Python rounds the exact decimal value of a float and reads the digits back (`n / 10^decimals`, correctly
    rounded); numpy's `rint(v * 10^decimals)` picks the same `n` unless the product lies within its rounding error
    of a half. Those few values (and non-finite or huge ones) go through `round` itself; the division by
    10^decimals (0 <= decimals <= 22: exact), an exact integer by an exact power of ten, is IEEE's correctly
    rounded quotient, as `round`'s.
    """
    columns = []
    for values in (np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)):
        with np.errstate(over="ignore", invalid="ignore"):  # huge and non-finite values are doubtful: round()
            scaled = values * 10.0**decimals
            doubtful = ~(np.abs(scaled) < _EXACT_SCALED) | ~(np.abs(scaled - np.floor(scaled) - 0.5) > _HALF_MARGIN)
            column = (np.rint(scaled) / 10.0**decimals).tolist()
        for i in np.flatnonzero(doubtful).tolist():
            column[i] = round(float(values[i]), decimals)
        columns.append(column)
    return [[xi, yi] for xi, yi in zip(*columns, strict=True)]


def geojson_mappings(geometries: npt.NDArray[np.object_]) -> list[dict[str, Any] | None]:
    """`shapely.geometry.mapping` of each geometry (None for a missing or empty one): the same dicts, with the
    polygons' and multipolygons' coordinates read in one GEOS call for the whole array rather than ring by ring
    in Python (a country's check finds 77,000 problems; their shapes took 6 s that way)."""
    mappings: list[dict[str, Any] | None] = [None] * len(geometries)
    present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    kinds = shapely.get_type_id(geometries)
    flat = ~shapely.has_z(geometries) & ~shapely.has_m(geometries)
    polygonal = (
        present & flat & ((kinds == shapely.GeometryType.POLYGON) | (kinds == shapely.GeometryType.MULTIPOLYGON))
    )
    for i in np.flatnonzero(present & ~polygonal).tolist():
        mappings[i] = shapely.geometry.mapping(geometries[i])
    rows = np.flatnonzero(polygonal)
    if not len(rows):
        return mappings
    parts, part_owner = shapely.get_parts(geometries[rows], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coordinates = shapely.get_coordinates(rings)
    vertices = list(zip(coordinates[:, 0].tolist(), coordinates[:, 1].tolist(), strict=True))
    ring_ends = np.cumsum(shapely.get_num_coordinates(rings)).tolist()
    ring_tuples = [tuple(vertices[start:end]) for start, end in zip([0, *ring_ends[:-1]], ring_ends, strict=True)]
    part_bounds = np.searchsorted(ring_part, np.arange(len(parts) + 1)).tolist()
    # an empty part of a multipolygon maps to one empty ring, as shapely's mapping gives it
    polygons = [tuple(ring_tuples[start:end]) or ((),) for start, end in itertools.pairwise(part_bounds)]
    owner_bounds = np.searchsorted(part_owner, np.arange(len(rows) + 1)).tolist()
    for row, kind, (start, end) in zip(
        rows.tolist(), kinds[rows].tolist(), itertools.pairwise(owner_bounds), strict=True
    ):
        if kind == shapely.GeometryType.POLYGON:
            mappings[row] = {"type": "Polygon", "coordinates": polygons[start]}
        else:
            mappings[row] = {"type": "MultiPolygon", "coordinates": polygons[start:end]}
    return mappings


def representative_point(geometry: BaseGeometry | None) -> shapely.Point | None:
    """The point of `representative_points` for one geometry."""
    point: shapely.Point | None = representative_points(np.array([geometry], dtype=object))[0]
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
        geometry = geojson_mappings(np.array([self.geometry], dtype=object))[0]
        point = self.location
        return self.json_with(geometry, None if point is None else rounded_location(point.x, point.y))

    def json_with(self, geometry: dict[str, Any] | None, location: list[float] | None) -> dict[str, Any]:
        """`to_json` with the GeoJSON geometry and the location given: `geojson_mappings` and
        `representative_points` find many problems' at once."""
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
