"""The rows of a door-plate registry file read into registry entries, and what was wrong with the others.

A county's registry (门牌库) comes as a CSV (UTF-8 or GBK) or an Excel workbook with its own column names:
`columns` maps ours to the file's (`address` to 门牌地址, `lon` to 经度). A row gives its parts in columns
(road, number, compound, building, unit, room) or one `address` text, which is parsed; a row without an `id`
gets one from its parts (door:胜利街:12, room:朝阳新村:1:1:101, the sample's form). Rows that cannot be read are
reported by their row number in the file (the header is row 1) with why; so are duplicates: the same id, the
same address twice (the first row is kept), and the same door plate at two places more than
`SAME_PLACE_M` apart, which a clerk has to settle.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from gridmap.address.gazetteer import SHOUNING
from gridmap.address.parse import parse_address
from gridmap.address.registry import COLUMNS, StandardAddress, metres_between, normalized_entry
from gridmap.errors import InvalidInput

ADDRESS_COLUMN = "address"
ID_COLUMN = "id"
PARTS = COLUMNS[:6]  # road, number, compound, building, unit, room
MAPPABLE = (ID_COLUMN, *COLUMNS, ADDRESS_COLUMN, "aliases")
SAME_PLACE_M = 20.0
FIRST_DATA_ROW = 2  # row 1 of a spreadsheet or CSV is the header


class Problem(StrEnum):
    """What is wrong with a row of a registry file."""

    UNPARSEABLE = "unparseable"
    DUPLICATE_ID = "duplicate_id"
    DUPLICATE_ADDRESS = "duplicate_address"
    TWO_PLACES = "same_plate_two_places"


@dataclass(frozen=True)
class RowProblem:
    """A row left out of the import: its number in the file, what is wrong, and the detail a clerk needs."""

    row: int
    problem: Problem
    detail: str


@dataclass
class RegistryRows:
    """The entries read from a registry file, and the rows left out with why."""

    rows: int = 0
    entries: list[StandardAddress] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def mapped_frame(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """The frame with the file's columns renamed to ours (`columns`: ours -> the file's); InvalidInput naming
    an unknown column of ours or a column the file lacks."""
    unknown = [ours for ours in columns if ours not in MAPPABLE]
    if unknown:
        msg = f"--column {unknown[0]}=...: not a registry column; the columns are {', '.join(MAPPABLE)}"
        raise InvalidInput(msg)
    absent = [theirs for theirs in columns.values() if theirs not in frame.columns]
    if absent:
        found = ", ".join(str(c) for c in frame.columns) or "none"
        msg = f"the file has no column {absent[0]!r} (found: {found})"
        raise InvalidInput(msg)
    renamed = frame.rename(columns={theirs: ours for ours, theirs in columns.items()})
    has_parts = all(part in renamed.columns for part in PARTS)
    missing = [c for c in ("lon", "lat") if c not in renamed.columns]
    if not has_parts and ADDRESS_COLUMN not in renamed.columns:
        missing.append(f"{ADDRESS_COLUMN} (or all of {', '.join(PARTS)})")
    if missing:
        found = ", ".join(str(c) for c in frame.columns) or "none"
        msg = (
            f"not an address registry: it lacks the columns {', '.join(missing)}; map the file's own with "
            f"--column lon=经度 (found: {found})"
        )
        raise InvalidInput(msg)
    return renamed


def registry_rows(frame: pd.DataFrame) -> RegistryRows:
    """The entries of a registry table (our column names, empty cells None), duplicates and bad rows reported."""
    read = RegistryRows(rows=len(frame))
    by_id: dict[str, int] = {}
    by_address: dict[str, tuple[int, StandardAddress]] = {}
    from_text = not all(part in frame.columns for part in PARTS)
    for index, row in enumerate(frame.to_dict("records")):
        number = index + FIRST_DATA_ROW
        entry = _entry(row, from_text)
        if isinstance(entry, str):
            read.problems.append(RowProblem(number, Problem.UNPARSEABLE, entry))
            continue
        same_id = by_id.get(entry.id)
        if same_id is not None and ID_COLUMN in frame.columns:
            read.problems.append(RowProblem(number, Problem.DUPLICATE_ID, f"id {entry.id} as row {same_id}"))
            continue
        key = normalized_entry(entry).label()
        if key in by_address:
            first, kept = by_address[key]
            apart = metres_between(kept.lon, kept.lat, entry.lon, entry.lat)
            if apart > SAME_PLACE_M:
                detail = f"{key} as row {first}, {apart:,.0f} m away: row {first}'s point is kept"
                read.problems.append(RowProblem(number, Problem.TWO_PLACES, detail))
            else:
                read.problems.append(RowProblem(number, Problem.DUPLICATE_ADDRESS, f"{key} as row {first}"))
            continue
        if same_id is not None:  # made from the parts as another row's was
            read.problems.append(RowProblem(number, Problem.DUPLICATE_ID, f"id {entry.id} as row {same_id}"))
            continue
        by_id[entry.id] = number
        by_address[key] = (number, entry)
        read.entries.append(entry)
    return read


def _entry(row: Mapping[Hashable, object], from_text: bool) -> StandardAddress | str:
    """The entry of one row, or why the row cannot be read."""
    point = _point(row)
    if isinstance(point, str):
        return point
    parts = _text_parts(row) if from_text else {name: _cell(row, name) for name in PARTS}
    if isinstance(parts, str):
        return parts
    if not ((parts["road"] and parts["number"]) or parts["compound"]):
        return "neither a road with a door number nor a compound"
    if ID_COLUMN in row:
        address_id = _cell(row, ID_COLUMN)
        if address_id is None:
            return "no id"
    else:
        address_id = _made_id(parts)
    return StandardAddress(id=address_id, lon=point[0], lat=point[1], **parts)


def _point(row: Mapping[Hashable, object]) -> tuple[float, float] | str:
    lon_text, lat_text = _cell(row, "lon"), _cell(row, "lat")
    if lon_text is None or lat_text is None:
        return "no lon/lat"
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        return "lon/lat are not numbers"
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return "lon/lat out of range"
    return lon, lat


def _text_parts(row: Mapping[Hashable, object]) -> dict[str, str | None] | str:
    """The parts of the row's address text, or why it cannot be read as one door plate, building or room."""
    text = _cell(row, ADDRESS_COLUMN)
    if text is None:
        return "no address"
    parsed = parse_address(text, gazetteer=SHOUNING)
    if parsed.relative:
        return "a place relative to another, not a door plate"
    if parsed.rest:
        return f"parts not understood: {parsed.rest}"
    return {name: getattr(parsed, name) for name in PARTS}


def _cell(row: Mapping[Hashable, object], name: str) -> str | None:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


def _made_id(parts: Mapping[str, str | None]) -> str:
    """An id from the parts, in the sample registry's form (door:胜利街:12, room:朝阳新村:1:1:101)."""
    road, number, compound = parts["road"], parts["number"], parts["compound"]
    building, unit, room = parts["building"], parts["unit"], parts["room"]
    place = compound or f"{road}{number}号"
    if room is not None:
        return f"room:{place}:{building or '-'}:{unit or '-'}:{room}"
    if building is not None:
        return f"building:{place}:{building}"
    if road and number:
        return f"door:{road}:{number}"
    return f"compound:{compound}"
