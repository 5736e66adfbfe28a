"""Short human incident numbers: `SN-20261127-0042` is the 42nd report of 27 November 2026 (China time) in the
county whose prefix is SN. The UUID stays the incident's id; the number is what a resident reads out on the
phone and a dispatcher types into the search box. The store hands out the sequence in the report's own
transaction (`gridmap.store.incidents`), so numbers never repeat.
"""

from __future__ import annotations

import re
from datetime import datetime

from gridmap.errors import InvalidInput
from gridmap.incidents.calendar import CHINA_TIME

DEFAULT_PREFIX = "SN"
PREFIX = re.compile(r"^[A-Z]{1,8}$")
NUMBER = re.compile(r"^[A-Z]{1,8}-\d{8}-\d{4,}$")


def check_prefix(prefix: str) -> str:
    """`prefix` when it is 1-8 capital letters (e.g. SN); InvalidInput otherwise."""
    if not PREFIX.match(prefix):
        msg = f"an incident number prefix is 1-8 capital letters A-Z (e.g. SN), not {prefix!r}"
        raise InvalidInput(msg)
    return prefix


def number_day(reported_at: datetime) -> str:
    """The China-time day of a report as YYYYMMDD, the middle part of its number."""
    return reported_at.astimezone(CHINA_TIME).strftime("%Y%m%d")


def incident_number(prefix: str, day: str, sequence: int) -> str:
    """The number of the `sequence`-th (from 1) report of `day` (YYYYMMDD): at least four digits."""
    return f"{prefix}-{day}-{sequence:04d}"


def looks_like_number(text: str) -> bool:
    """True when `text` is written like an incident number (any prefix), e.g. to search by it."""
    return NUMBER.match(text.strip().upper()) is not None
