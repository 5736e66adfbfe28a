"""Parsing of query parameters that FastAPI's types do not cover: bbox, coordinate systems and periods."""

from __future__ import annotations

import math
from datetime import datetime

from gridmap.api.problems import BadParameter
from gridmap.errors import InvalidInput
from gridmap.geo.crs import Datum, parse_datum
from gridmap.incidents.stats import month_period

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


def aware_time(moment: datetime | None, name: str) -> datetime | None:
    """The time as given, refusing one without an offset (which would be read in an unknown zone)."""
    if moment is not None and moment.tzinfo is None:
        msg = f"query parameter {name} needs a time zone offset, e.g. 2026-10-01T00:00:00+08:00"
        raise BadParameter(msg)
    return moment


def parse_period(
    month: str | None, since: datetime | None, before: datetime | None
) -> tuple[datetime, datetime] | None:
    """A period given as month=YYYY-MM or as since and before (with offsets), one way only; None when not given."""
    if month is not None and (since is not None or before is not None):
        msg = "give either month=YYYY-MM or since and before, not both"
        raise BadParameter(msg)
    if month is not None:
        try:
            return month_period(month)
        except InvalidInput as exc:
            raise BadParameter(exc.detail) from None
    start, end = aware_time(since, "since"), aware_time(before, "before")
    if start is None and end is None:
        return None
    if start is None or end is None:
        msg = "give both since and before (ISO 8601 with offset), or month=YYYY-MM"
        raise BadParameter(msg)
    if end <= start:
        msg = "query parameter before must come after since"
        raise BadParameter(msg)
    return start, end
