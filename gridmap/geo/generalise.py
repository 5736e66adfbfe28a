"""Location generalisation: a point replaced by the centre of its cell in a grid of square cells `size_m` a side.

Rows are `size_m` of latitude high, numbered from the equator; each row's columns are `size_m` wide at the row's
edge nearer the equator (the widest part of the row), numbered from longitude 0. Every point of a cell gives the
same centre, so the centre says nothing more about a point than which cell it lies in, and no point is farther
than half the cell's diagonal (`size_m * sqrt(2) / 2`) from its centre.

The formula is written once over a small set of operations (`CellMath`) so that the same arithmetic runs on
Python floats here and on SQL expressions in the store (`gridmap.store.incident_map`), which filters and counts
generalised points in the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gridmap.geo.crs import _METRES_PER_DEGREE

# Metres per degree of latitude (and of longitude on the equator) on the mean sphere the metric CRS uses.
METRES_PER_DEGREE: float = _METRES_PER_DEGREE
MAX_LATITUDE = 85.0  # beyond this (as in Web Mercator) the columns would grow without bound
DEFAULT_SIZE_M = 50.0


@dataclass(frozen=True)
class CellMath:
    """The operations the cell formula needs beyond + - * /: floor, cosine of degrees and absolute value."""

    floor: Any
    cos_degrees: Any
    abs: Any


FLOAT_MATH = CellMath(floor=math.floor, cos_degrees=lambda d: math.cos(math.radians(d)), abs=abs)


def check_size(size_m: float) -> float:
    """The cell size, when it is a positive finite number of metres."""
    if not (math.isfinite(size_m) and size_m > 0):
        msg = f"a generalisation grid needs a positive number of metres, not {size_m!r}"
        raise ValueError(msg)
    return float(size_m)


def lat_step(size_m: float) -> float:
    """Degrees of latitude a row spans."""
    return check_size(size_m) / METRES_PER_DEGREE


def lon_step(centre_lat: Any, size_m: float, ops: CellMath = FLOAT_MATH) -> Any:
    """Degrees of longitude a column spans in the row centred on `centre_lat`: `size_m` at its equator-side edge."""
    edge = ops.abs(centre_lat) - lat_step(size_m) / 2.0
    return size_m / (METRES_PER_DEGREE * ops.cos_degrees(edge))


def cell_centre(lon: Any, lat: Any, size_m: float, ops: CellMath = FLOAT_MATH) -> tuple[Any, Any]:
    """The centre (lon, lat) of the cell holding (lon, lat), on floats or, with other `ops`, on expressions."""
    step = lat_step(size_m)
    centre_lat = (ops.floor(lat / step) + 0.5) * step
    width = lon_step(centre_lat, size_m, ops)
    return (ops.floor(lon / width) + 0.5) * width, centre_lat


def generalise(lon: float, lat: float, size_m: float) -> tuple[float, float]:
    """The public place of a WGS-84 point: its cell's centre (latitude clamped to +-85 degrees first)."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        msg = f"cannot generalise a point that is not finite: ({lon!r}, {lat!r})"
        raise ValueError(msg)
    centre_lon, centre_lat = cell_centre(lon, max(-MAX_LATITUDE, min(MAX_LATITUDE, lat)), size_m)
    return float(centre_lon), float(centre_lat)


def cell_bounds(lon: float, lat: float, size_m: float) -> tuple[float, float, float, float]:
    """The cell holding (lon, lat) as min lon, min lat, max lon, max lat (for tests and documentation)."""
    centre_lon, centre_lat = generalise(lon, lat, size_m)
    half_lat = lat_step(size_m) / 2.0
    half_lon = float(lon_step(centre_lat, size_m)) / 2.0
    return centre_lon - half_lon, centre_lat - half_lat, centre_lon + half_lon, centre_lat + half_lat


def margin_degrees(size_m: float, max_abs_lat: float) -> tuple[float, float]:
    """Degrees (lon, lat) by which a point may differ from its cell's centre at latitudes up to `max_abs_lat`."""
    widest = float(lon_step(min(abs(max_abs_lat), MAX_LATITUDE) + lat_step(size_m), size_m))
    return widest, lat_step(size_m)
