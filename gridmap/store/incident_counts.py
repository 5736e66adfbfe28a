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
themselves. Every write of an incident changes its rows in its own transaction (`CountChanges`);
`recount_incidents` rebuilds them all from the incidents.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gridmap.geo.generalise import DEFAULT_SIZE_M, CellMath, cell_centre
from gridmap.incidents.model import Incident
from gridmap.store.tables import IncidentCellCount, IncidentRow

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
_WRITE_BATCH = 10_000  # rows per executemany
_COMPACT_ROWS = 2_000_000  # pending rows that are merged before more are added
_READ_PARTITION = 50_000
CountColumns = dict[str, npt.NDArray[Any]]  # count rows as equally long columns: KEY, then SUMS

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
    """What the counts depend on, for many incidents at once: points, category, status and China-time day."""

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    category: npt.NDArray[np.object_]
    status: npt.NDArray[np.object_]
    day: npt.NDArray[np.int64]

    @classmethod
    def of(cls, rows: Sequence[tuple[float, float, str, str, datetime]]) -> CountedColumns:
        """Columns of (lon, lat, category, status, reported_at) rows."""
        return cls(
            lon=np.array([row[0] for row in rows], dtype=np.float64),
            lat=np.array([row[1] for row in rows], dtype=np.float64),
            category=np.array([row[2] for row in rows], dtype=object),
            status=np.array([row[3] for row in rows], dtype=object),
            day=np.array([china_day(row[4]) for row in rows], dtype=np.int64),
        )


def counted_fields(incident: Incident) -> tuple[float, float, str, str, datetime]:
    """The fields of an incident its counts depend on."""
    return incident.lon, incident.lat, incident.category, incident.status.value, incident.state.reported_at


def _keyed_parts(columns: CountedColumns, weight: int) -> Iterator[CountColumns]:
    """The incidents' rows, ungrouped, as columns: one part per placement, level and period, each incident once."""
    starts = {Span.DAY: columns.day, Span.MONTH: month_starts(columns.day), Span.EVER: np.zeros_like(columns.day)}
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


def _grouped(rows: CountColumns) -> CountColumns:
    """Rows with the same key summed into one, in key order (numpy: fast for one incident and for millions)."""
    labels, codes = zip(*(np.unique(rows[name], return_inverse=True) for name in KEY), strict=True)
    keys, inverse = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)
    grouped = {name: labels[number][keys[:, number]] for number, name in enumerate(KEY)}
    for name in SUMS:
        grouped[name] = np.bincount(inverse.ravel(), weights=rows[name], minlength=len(keys))
    grouped["count"] = grouped["count"].round().astype(np.int64)
    return grouped


def _joined(parts: Sequence[CountColumns]) -> CountColumns:
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _where(rows: CountColumns, chosen: npt.NDArray[np.bool_]) -> CountColumns:
    return {name: values[chosen] for name, values in rows.items()}


@dataclass
class CountChanges:
    """Changes to the counts gathered from incidents added and removed, written with `write` in one go."""

    _pending: list[CountColumns] = field(default_factory=list)
    _rows: int = 0

    def add(self, incidents: Sequence[tuple[float, float, str, str, datetime]], weight: int = 1) -> None:
        """Count the incidents' (lon, lat, category, status, reported_at) once more (`weight` -1: once less)."""
        if not incidents:
            return
        part = _grouped(_joined(list(_keyed_parts(CountedColumns.of(incidents), weight))))
        self._pending.append(part)
        self._rows += len(part["count"])
        if self._rows > _COMPACT_ROWS:
            self._pending = [self._merged()]
            self._rows = len(self._pending[0]["count"])

    def _merged(self) -> CountColumns:
        merged = _grouped(_joined(self._pending))
        # A pin moved within a cell leaves its count and changes its sums.
        return _where(merged, np.logical_or.reduce([merged[name] != 0 for name in SUMS]))

    def write(self, connection: Connection) -> None:
        """Add the gathered changes to the stored counts, deleting the rows they bring to zero."""
        if not self._pending:
            return
        changes = self._merged()
        add_counts(connection, changes)
        emptied = _where(changes, changes["count"] < 0)
        for batch in _batches({f"k_{name}": emptied[name] for name in KEY}):
            connection.execute(_DELETE_EMPTIED, batch)
        self._pending, self._rows = [], 0


_DELETE_EMPTIED = delete(COUNTS).where(
    *(COUNTS.c[name] == bindparam(f"k_{name}") for name in KEY), COUNTS.c["count"] <= 0
)


def add_counts(connection: Connection, changes: CountColumns) -> None:
    """Add rows of changes (KEY and SUMS columns, one row per key) to the stored counts."""
    upsert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = upsert(COUNTS)
    statement = statement.on_conflict_do_update(
        index_elements=KEY, set_={name: COUNTS.c[name] + statement.excluded[name] for name in SUMS}
    )
    for batch in _batches(changes):
        connection.execute(statement, batch)


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


def recount_incidents(connection: Connection) -> int:
    """Replace every count by a count of the stored incidents; the number of count rows written."""
    connection.execute(delete(COUNTS))
    columns = (IncidentRow.lon, IncidentRow.lat, IncidentRow.category, IncidentRow.status, IncidentRow.reported_at)
    result = connection.execute(select(*columns).execution_options(yield_per=_READ_PARTITION))
    read = [CountedColumns.of(list(rows)) for rows in result.partitions()]
    if not read:
        return 0
    everything = CountedColumns(
        *(
            np.concatenate([getattr(part, name) for part in read])
            for name in ("lon", "lat", "category", "status", "day")
        )
    )
    written = 0
    for part in _keyed_parts(everything, 1):
        rows = _grouped(part)
        add_counts(connection, rows)
        written += len(rows["count"])
    return written
