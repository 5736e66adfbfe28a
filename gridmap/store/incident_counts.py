"""Incident counts kept per cell of a fixed quadtree, period, category and status: what the map's cells read.

A map view sums these rows instead of counting every incident again, so its cost follows the cells in view,
not the number of incidents. Level z of the quadtree has square cells of `QUADTREE_ROOT_DEG / 2**z` degrees
numbered as the map's cells are (`x = floor(lon / cell_deg)`): level z is the viewer's 60-pixel cluster cell at
zoom z (and its 15-pixel heat cell at zoom z - 2). Dividing by a power of two is exact in floating point, so a
cell of level z is exactly the union of its four children of level z + 1, and a coarser level is read from a
finer counted one by halving the cell numbers.

Counts are kept at the exact points and at the points generalised to the public grid (`PUBLIC_GRID_M`), for
the levels of `COUNTED_LEVELS`, per China-time day, month and for all time (`Span`); per day only down to
`FINEST_DAY_LEVEL`, below which a cell's day holds about one incident and a view reads the incidents
themselves.

Counts per community, grid and microgrid (`AREAS`, by the codes each incident was routed to) are kept per day,
month and for all time as well: the choropleth's counts per area and the time slider's extent read them.

Every write of an incident changes its rows of both in its own transaction (`CountChanges`);
`recount_incidents` rebuilds them all from the incidents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Column, Connection, Delete, MetaData, Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gridmap.geo.generalise import DEFAULT_SIZE_M, CellMath, cell_centre
from gridmap.geo.hierarchy import Level
from gridmap.incidents.model import Incident
from gridmap.store.postgresql_copy import copy_columns
from gridmap.store.tables import IncidentAreaCount, IncidentCellCount, IncidentRow

QUADTREE_ROOT_DEG = 60 * 360 / 256  # 84.375: a 60-pixel cell at zoom 0 (256 pixels span 360 degrees)
COUNTED_LEVELS = (11, 13, 15, 17)  # a view at level z reads the first counted level at or below z
FINEST_DAY_LEVEL = 15
# The public grid counts are kept for (`public_location_m` by default). A public cell is at least this many metres
# a side, so on the map's cells it is never finer than level 17, the finest counted.
PUBLIC_GRID_M = int(DEFAULT_SIZE_M)
EXACT = 0  # `generalised_m` of the counts at exact points
CHINA_OFFSET = timedelta(hours=8)  # China has one time zone and no summer time
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KEY = ["generalised_m", "level", "span", "x", "y", "start_day", "category", "status"]
SUMS = ["count", "lon_sum", "lat_sum"]
COUNTS = cast(Table, IncidentCellCount.__table__)  # declarative classes type their table loosely
AREA_KEY = ["level", "span", "start_day", "code", "category", "status"]
AREA_COUNTS = cast(Table, IncidentAreaCount.__table__)
NO_AREA = ""  # the code of the incidents routed to no area of a level
_WRITE_BATCH = 10_000  # rows per executemany
_COMPACT_ROWS = 2_000_000  # pending rows that are merged before more are added
_READ_PARTITION = 50_000
CountColumns = dict[str, npt.NDArray[Any]]  # count rows as equally long columns: a key, then its sums
# What the counts of an incident depend on: lon, lat, category, status, reported_at and its community, grid and
# microgrid codes.
CountedFields = tuple[float, float, str, str, datetime, str | None, str | None, str | None]

# The generalisation formula on numpy arrays (`gridmap.geo.generalise`), as the SQL of the public answers runs it.
NUMPY_CELL_MATH = CellMath(floor=np.floor, cos_degrees=lambda d: np.cos(np.radians(d)), abs=np.abs)


class Span(StrEnum):
    """The period a row counts: one China-time day, one calendar month, or all time."""

    DAY = "day"
    MONTH = "month"
    EVER = "ever"


def cell_degrees(level: int) -> float:
    """Degrees a cell of quadtree `level` spans."""
    return QUADTREE_ROOT_DEG / 2.0**level


def level_of(cell_deg: float) -> int | None:
    """The quadtree level whose cells are exactly `cell_deg` degrees, or None when there is none."""
    level = round(np.log2(QUADTREE_ROOT_DEG / cell_deg))
    return level if cell_degrees(level) == cell_deg else None


def china_day(moment: datetime) -> int:
    """The China-time day of `moment`, as days since 1970-01-01."""
    return (moment + CHINA_OFFSET - EPOCH) // timedelta(days=1)


def day_start(day: int) -> datetime:
    """The instant China-time day `day` starts."""
    return EPOCH + timedelta(days=day) - CHINA_OFFSET


def month_starts(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The first day of the month holding each day (all as days since 1970-01-01)."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def month_start(day: int) -> int:
    """The first day of the month holding `day` (both as days since 1970-01-01)."""
    return int(month_starts(np.array([day], dtype=np.int64))[0])


def spans_at(level: int) -> tuple[Span, ...]:
    """The periods counted at a quadtree level."""
    return (Span.DAY, Span.MONTH, Span.EVER) if level <= FINEST_DAY_LEVEL else (Span.MONTH, Span.EVER)


@dataclass(frozen=True)
class CountedColumns:
    """What the counts depend on, for many incidents at once: points, category, status, China-time day and the
    codes of the areas they were routed to (`NO_AREA` for none), by level."""

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    category: npt.NDArray[np.object_]
    status: npt.NDArray[np.object_]
    day: npt.NDArray[np.int64]
    codes: dict[Level, npt.NDArray[np.object_]]

    @classmethod
    def of(cls, rows: Sequence[CountedFields]) -> CountedColumns:
        """Columns of `CountedFields` rows."""
        return cls(
            lon=np.array([row[0] for row in rows], dtype=np.float64),
            lat=np.array([row[1] for row in rows], dtype=np.float64),
            category=np.array([row[2] for row in rows], dtype=object),
            status=np.array([row[3] for row in rows], dtype=object),
            day=np.array([china_day(row[4]) for row in rows], dtype=np.int64),
            codes={
                level: np.array([row[5 + number] or NO_AREA for row in rows], dtype=object)
                for number, level in enumerate(Level)
            },
        )

    @classmethod
    def joined(cls, parts: Sequence[CountedColumns]) -> CountedColumns:
        """The columns of `parts` one after the other."""
        return cls(
            lon=np.concatenate([part.lon for part in parts]),
            lat=np.concatenate([part.lat for part in parts]),
            category=np.concatenate([part.category for part in parts]),
            status=np.concatenate([part.status for part in parts]),
            day=np.concatenate([part.day for part in parts]),
            codes={level: np.concatenate([part.codes[level] for part in parts]) for level in Level},
        )

    def periods(self) -> dict[Span, npt.NDArray[np.int64]]:
        """The first day of each incident's day, month and all time (day 0)."""
        return {Span.DAY: self.day, Span.MONTH: month_starts(self.day), Span.EVER: np.zeros_like(self.day)}


def counted_fields(incident: Incident) -> CountedFields:
    """The fields of an incident its counts depend on."""
    route = (incident.community_code, incident.grid_code, incident.microgrid_code)
    return incident.lon, incident.lat, incident.category, incident.status.value, incident.state.reported_at, *route


def _area_parts(columns: CountedColumns, weight: int) -> Iterator[CountColumns]:
    """The incidents' area rows, ungrouped, as columns: one part per level and period, each incident once."""
    size = len(columns.day)
    for level in Level:
        for span, start in columns.periods().items():
            yield {
                "level": np.full(size, level.value, dtype=object),
                "span": np.full(size, span.value, dtype=object),
                "start_day": start,
                "code": columns.codes[level],
                "category": columns.category,
                "status": columns.status,
                "count": np.full(size, weight),
            }


def _cell_parts(columns: CountedColumns, weight: int) -> Iterator[CountColumns]:
    """The incidents' cell rows, ungrouped, as columns: one part per placement, level and period, each incident
    once."""
    starts = columns.periods()
    placed = {EXACT: (columns.lon, columns.lat)}
    placed[PUBLIC_GRID_M] = cell_centre(columns.lon, columns.lat, float(PUBLIC_GRID_M), NUMPY_CELL_MATH)
    size = len(columns.day)
    for level in COUNTED_LEVELS:
        cell_deg = cell_degrees(level)
        for generalised_m in (EXACT, PUBLIC_GRID_M):
            lon, lat = placed[generalised_m]
            x, y = np.floor(lon / cell_deg).astype(np.int64), np.floor(lat / cell_deg).astype(np.int64)
            for span in spans_at(level):
                yield {
                    "generalised_m": np.full(size, generalised_m),
                    "level": np.full(size, level),
                    "span": np.full(size, span.value, dtype=object),
                    "x": x,
                    "y": y,
                    "start_day": starts[span],
                    "category": columns.category,
                    "status": columns.status,
                    "count": np.full(size, weight),
                    "lon_sum": lon * weight,
                    "lat_sum": lat * weight,
                }


@dataclass(frozen=True)
class Tally:
    """A table of kept counts: its key columns, the columns summed per key (`count` first), and its rows of some
    incidents (ungrouped, counted with a weight)."""

    table: Table
    key: list[str]
    sums: list[str]
    parts: Callable[[CountedColumns, int], Iterator[CountColumns]]


CELLS = Tally(COUNTS, KEY, SUMS, _cell_parts)
AREAS = Tally(AREA_COUNTS, AREA_KEY, ["count"], _area_parts)
TALLIES = (CELLS, AREAS)


def _grouped(tally: Tally, rows: CountColumns) -> CountColumns:
    """Rows with the same key summed into one, in key order (vectorised: fast for one incident and for millions)."""
    # Each row's group, numbered in key order: the groups of the key's first columns and the rank of the row's
    # value in the next column as one number, ranked again (pandas ranks strings by hashing, numpy by sorting
    # Python objects, ten times slower).
    group = np.zeros(len(rows["count"]), dtype=np.int64)
    groups = 1
    for name in tally.key:
        ranks, values = pd.factorize(rows[name], sort=True)
        numbers, group = np.unique(group * len(values) + ranks, return_inverse=True)
        groups = len(numbers)
    a_row = np.empty(groups, dtype=np.int64)
    a_row[group] = np.arange(len(group))  # of each group: the rows of a group have the same key
    grouped = {name: rows[name][a_row] for name in tally.key}
    for name in tally.sums:
        grouped[name] = np.bincount(group, weights=rows[name], minlength=groups)
    grouped["count"] = grouped["count"].round().astype(np.int64)
    return grouped


def _joined(parts: Sequence[CountColumns]) -> CountColumns:
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _where(rows: CountColumns, chosen: npt.NDArray[np.bool_]) -> CountColumns:
    return {name: values[chosen] for name, values in rows.items()}


@dataclass
class _Pending:
    """Grouped changes to one tally not written yet, and how many rows they hold."""

    parts: list[CountColumns] = field(default_factory=list)
    rows: int = 0


@dataclass
class CountChanges:
    """Changes to the counts gathered from incidents added and removed, written with `write` in one go."""

    _pending: dict[str, _Pending] = field(default_factory=dict)

    def add(self, incidents: Sequence[CountedFields], weight: int = 1) -> None:
        """Count the incidents once more (`weight` -1: once less)."""
        if not incidents:
            return
        columns = CountedColumns.of(incidents)
        for tally in TALLIES:
            pending = self._pending.setdefault(tally.table.name, _Pending())
            part = _grouped(tally, _joined(list(tally.parts(columns, weight))))
            pending.parts.append(part)
            pending.rows += len(part["count"])
            if pending.rows > _COMPACT_ROWS:
                pending.parts = [_merged(tally, pending.parts)]
                pending.rows = len(pending.parts[0]["count"])

    def write(self, connection: Connection) -> None:
        """Add the gathered changes to the stored counts, deleting the rows they bring to zero."""
        for tally in TALLIES:
            pending = self._pending.pop(tally.table.name, None)
            if pending is None:
                continue
            changes = _merged(tally, pending.parts)
            add_counts(connection, tally, changes)
            emptied = _where(changes, changes["count"] < 0)
            for batch in _batches({f"k_{name}": emptied[name] for name in tally.key}):
                connection.execute(_delete_emptied(tally), batch)


def _merged(tally: Tally, parts: list[CountColumns]) -> CountColumns:
    merged = _grouped(tally, _joined(parts))
    # A pin moved within a cell leaves its count and changes its sums.
    return _where(merged, np.logical_or.reduce([merged[name] != 0 for name in tally.sums]))


def _delete_emptied(tally: Tally) -> Delete:
    columns = tally.table.c
    return delete(tally.table).where(
        *(columns[name] == bindparam(f"k_{name}") for name in tally.key), columns["count"] <= 0
    )


def add_counts(connection: Connection, tally: Tally, changes: CountColumns) -> None:
    """Add rows of changes (the tally's key and sums, one row per key) to its stored counts."""
    if connection.dialect.name == "postgresql" and len(changes["count"]) > _WRITE_BATCH:
        # An executemany of upserts sends and plans every row (about 7,000 a second: minutes for the counts of a
        # bulk import); the rows are copied into a temporary table and added from it in one statement instead.
        staged = _staged(connection, tally, changes)
        connection.execute(_adding(tally, postgresql_insert(tally.table).from_select(list(changes), select(staged))))
        staged.drop(connection)
        return
    upsert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = _adding(tally, upsert(tally.table))
    for batch in _batches(changes):
        connection.execute(statement, batch)


def _adding(tally: Tally, statement: PostgresqlInsert | SqliteInsert) -> PostgresqlInsert | SqliteInsert:
    """`statement` adding the sums of the rows it inserts to those of a stored key."""
    added = {name: tally.table.c[name] + statement.excluded[name] for name in tally.sums}
    return statement.on_conflict_do_update(index_elements=tally.key, set_=added)


def _staged(connection: Connection, tally: Tally, changes: CountColumns) -> Table:
    """A temporary table (dropped at commit at the latest) holding the changes."""
    staged = Table(
        f"{tally.table.name}_changes",
        MetaData(),
        *(Column(name, tally.table.c[name].type) for name in changes),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    staged.create(connection)
    copy_columns(connection, staged, {name: values.tolist() for name, values in changes.items()})
    return staged


def _batches(rows: CountColumns) -> Iterator[list[dict[str, object]]]:
    """The rows as parameter dictionaries of Python values, `_WRITE_BATCH` at a time."""
    names = list(rows)
    total = len(rows[names[0]]) if names else 0
    for start in range(0, total, _WRITE_BATCH):
        values = zip(*(rows[name][start : start + _WRITE_BATCH].tolist() for name in names), strict=True)
        yield [dict(zip(names, row, strict=True)) for row in values]


def count_change(connection: Connection, before: Incident | None, after: Incident) -> None:
    """Keep the counts in step with one incident stored (`before` None) or changed from `before`."""
    counted = counted_fields(after)
    if before is not None and counted_fields(before) == counted:
        return
    changes = CountChanges()
    changes.add([counted])
    if before is not None:
        changes.add([counted_fields(before)], weight=-1)
    changes.write(connection)


_COUNTED = (
    IncidentRow.lon,
    IncidentRow.lat,
    IncidentRow.category,
    IncidentRow.status,
    IncidentRow.reported_at,
    IncidentRow.community_code,
    IncidentRow.grid_code,
    IncidentRow.microgrid_code,
)


def recount_incidents(connection: Connection, tallies: Sequence[Tally] = TALLIES) -> int:
    """Replace every count of `tallies` by a count of the stored incidents; the number of count rows written."""
    for tally in tallies:
        connection.execute(delete(tally.table))
    result = connection.execute(select(*_COUNTED).execution_options(yield_per=_READ_PARTITION))
    read = [CountedColumns.of(cast(Sequence[CountedFields], rows)) for rows in result.partitions()]
    if not read:
        return 0
    everything = CountedColumns.joined(read)
    written = 0
    for tally in tallies:
        for part in tally.parts(everything, 1):
            rows = _grouped(tally, part)
            add_counts(connection, tally, rows)
            written += len(rows["count"])
    return written
