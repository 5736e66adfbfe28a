"""Parsing of query parameters that FastAPI's types do not cover: bbox and coordinate systems."""

from __future__ import annotations

import math

from gridmap.api.problems import BadParameter
from gridmap.geo.crs import Datum, parse_datum

Bbox = tuple[float, float, float, float]

# Ids and offsets beyond what every backend's integers hold are refused as parameters, not as database errors.
MAX_ID = 2**31 - 1
MAX_OFFSET = 10**9


def parse_bbox(text: str | None) -> Bbox | None:
    """`minx,miny,maxx,maxy` in WGS-84 degrees (OGC API - Features `bbox`), or None when absent."""
    if text is None or not text.strip():
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        msg = f"bbox {text!r} must be four numbers minx,miny,maxx,maxy (WGS-84 degrees), got {len(parts)}"
        raise BadParameter(msg)
    try:
        min_x, min_y, max_x, max_y = (float(p) for p in parts)
    except ValueError:
        msg = f"bbox {text!r} must be four numbers minx,miny,maxx,maxy (WGS-84 degrees)"
        raise BadParameter(msg) from None
    if not all(math.isfinite(v) for v in (min_x, min_y, max_x, max_y)):
        msg = f"bbox {text!r} must be finite numbers"
        raise BadParameter(msg)
    if not (-180 <= min_x <= 180 and -180 <= max_x <= 180 and -90 <= min_y <= 90 and -90 <= max_y <= 90):
        msg = f"bbox {text!r} is outside longitude -180..180 and latitude -90..90"
        raise BadParameter(msg)
    if min_x > max_x or min_y > max_y:
        msg = f"bbox {text!r}: minx must not exceed maxx, nor miny maxy (boxes across the antimeridian are not served)"
        raise BadParameter(msg)
    return (min_x, min_y, max_x, max_y)


def parse_crs(text: str | None, *, parameter: str = "crs") -> Datum:
    """A datum named by `text` (wgs84, gcj02, bd09, cgcs2000, EPSG:4326, EPSG:4490); WGS-84 when absent."""
    if text is None or not text.strip():
        return Datum.WGS84
    try:
        return parse_datum(text)
    except ValueError as err:
        raise BadParameter(f"{parameter}: {err}") from None
