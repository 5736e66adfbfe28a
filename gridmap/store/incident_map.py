"""Incident maps in SQL: counts per square cell (clusters, heat), per area (choropleth), points and time extent.

The viewer never receives every incident: the database groups them. A cell is a square of `cell_deg`
degrees numbered from longitude 0 and latitude 0 (`x = floor(lon / cell_deg)`), so the same cell holds the
same incidents whatever part of the map is in view. Every query takes the `IncidentFilter` of the incident
list, turned into SQL by the same function, so a map and a list with the same filter agree. A filter with
`generalised_m` (a public answer) places each incident at its generalised point, for the bbox and the cells.

Cells of a quadtree level, over a bbox of whole cells, filtered by category, status and China-time days, are
summed from the kept counts (`gridmap.store.incident_counts`), whatever the number of incidents; so are the
counts per area and the extent's days and number without a bbox (the extent's first and last time are then read
from the incidents of those two days). Any other question counts the incidents themselves, with the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gridmap.errors import InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.incidents.workflow import Status
from gridmap.store.bulk_writes import BulkWrites
from gridmap.store.incident_counts import (
    AREA_COUNTS,
    COUNTED_LEVELS,
    COUNTS,
    EXACT,
    NO_AREA,
    PUBLIC_GRID_M,
    TALLIES,
    Span,
    china_day,
    day_start,
    level_of,
    month_start,
    recount_incidents,
    spans_at,
)
from gridmap.store.incident_store import IncidentCell, IncidentFilter, IncidentPoint
from gridmap.store.incidents import _conditions, generalised_point, kind_conditions
from gridmap.store.tables import IncidentRow

MAX_POINTS = 1_000_000


def _level(level: Level | str) -> Level:
    try:
        return Level(level)
    except ValueError:
        msg = f"level {level!r} is not one of community, grid, microgrid"
        raise InvalidInput(msg) from None


def _area_column(level: Level | str) -> InstrumentedAttribute[str | None]:
    """The routed code column of a level."""
    columns = {
        Level.COMMUNITY: IncidentRow.community_code,
        Level.GRID: IncidentRow.grid_code,
        Level.MICROGRID: IncidentRow.microgrid_code,
    }
    return columns[_level(level)]


class IncidentMapQueries(BulkWrites):
    """The incident-map half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def incident_cells(self, where: IncidentFilter, cell_deg: float) -> list[IncidentCell]:
        """Matching incidents counted per square cell of `cell_deg` degrees, with each cell's mean point.

        With `where.generalised_m` the incidents are counted (and averaged) at their generalised points.
        """
        if not (math.isfinite(cell_deg) and cell_deg > 0):
            msg = f"a cell must be a positive number of degrees, not {cell_deg!r}"
            raise InvalidInput(msg)
        with self._transaction() as session:
            counted = _summed_cells(session, where, cell_deg)
        return self.recounted_cells(where, cell_deg) if counted is None else counted

    def recounted_cells(self, where: IncidentFilter, cell_deg: float) -> list[IncidentCell]:
        """`incident_cells` counted from the incidents themselves, not from the kept counts."""
        # The cell numbers are computed in a subquery and grouped outside it: grouping by an expression with a
        # bound parameter would not be recognised as the selected expression by PostgreSQL.
        lon, lat = (
            (IncidentRow.lon, IncidentRow.lat)
            if where.generalised_m is None
            else generalised_point(where.generalised_m)
        )
        placed = (
            select(
                func.floor(lon / cell_deg).label("x"),
                func.floor(lat / cell_deg).label("y"),
                lon.label("lon"),
                lat.label("lat"),
            )
            .where(*_conditions(where))
            .subquery()
        )
        query = (
            select(placed.c.x, placed.c.y, func.count(), func.avg(placed.c.lon), func.avg(placed.c.lat))
            .group_by(placed.c.x, placed.c.y)
            .order_by(placed.c.y, placed.c.x)
        )
        with self._transaction() as session:
            rows = session.execute(query).all()
        return [
            IncidentCell(x=int(x), y=int(y), count=int(count), lon=float(lon), lat=float(lat))
            for x, y, count, lon, lat in rows
        ]

    def rebuild_incident_counts(self) -> int:
        """Count every stored incident again into the kept map counts; the number of count rows."""
        with self._write_transaction() as session:
            written = recount_incidents(session.connection())
            self._end_bulk_write(session, [tally.table.name for tally in TALLIES], written)
            return written

    def incident_area_counts(self, where: IncidentFilter, level: Level) -> dict[str, int]:
        """Matching incidents counted per community, grid or microgrid code they were routed to."""
        with self._transaction() as session:
            summed = _summed_areas(session, where, _level(level))
        return self.recounted_area_counts(where, level) if summed is None else summed

    def recounted_area_counts(self, where: IncidentFilter, level: Level) -> dict[str, int]:
        """`incident_area_counts` counted from the incidents themselves, not from the kept counts."""
        column = _area_column(level)
        query = select(column, func.count()).where(*_conditions(where), column.is_not(None)).group_by(column)
        with self._transaction() as session:
            return {str(code): int(count) for code, count in session.execute(query).all()}

    def incident_points(self, where: IncidentFilter, limit: int) -> tuple[list[IncidentPoint], int]:
        """Up to `limit` matching incidents, newest report first, as map points; and how many matched in all."""
        if not 0 < limit <= MAX_POINTS:
            msg = f"limit must be 1-{MAX_POINTS}"
            raise InvalidInput(msg)
        conditions = _conditions(where)
        columns = (
            IncidentRow.id,
            IncidentRow.lon,
            IncidentRow.lat,
            IncidentRow.category,
            IncidentRow.status,
            IncidentRow.reported_at,
        )
        query = select(*columns).where(*conditions).order_by(IncidentRow.reported_at.desc(), IncidentRow.id)
        with self._transaction() as session:
            rows = session.execute(query.limit(limit)).all()
            matched = len(rows)
            if matched == limit:
                matched = session.scalar(select(func.count()).select_from(IncidentRow).where(*conditions)) or 0
        points = [
            IncidentPoint(id=id_, lon=lon, lat=lat, category=category, status=Status(status), reported_at=reported_at)
            for id_, lon, lat, category, status, reported_at in rows
        ]
        return points, matched

    def incident_extent(self, where: IncidentFilter) -> tuple[datetime | None, datetime | None, int]:
        """The first and last report time of the matching incidents (None when none match), and their number."""
        with self._transaction() as session:
            counted = _counted_extent(session, where)
        return self.recounted_extent(where) if counted is None else counted

    def recounted_extent(self, where: IncidentFilter) -> tuple[datetime | None, datetime | None, int]:
        """`incident_extent` counted from the incidents themselves, not from the kept counts."""
        query = select(func.min(IncidentRow.reported_at), func.max(IncidentRow.reported_at), func.count()).where(
            *_conditions(where)
        )
        with self._transaction() as session:
            first, last, total = session.execute(query).one()
        return first, last, int(total)


# The filter fields the kept counts can answer; a filter setting any other field counts the incidents.
_COUNTED_FIELDS = ("status", "statuses", "category", "excluded_categories", "reported_since", "reported_before")
_ANSWERABLE = dict.fromkeys((*_COUNTED_FIELDS, "bbox", "generalised_m"))


def _summed_cells(session: Session, where: IncidentFilter, cell_deg: float) -> list[IncidentCell] | None:
    """The cells summed from the kept counts, or None when the counts cannot answer exactly (see the module)."""
    level = level_of(cell_deg)
    placement = {None: EXACT, float(PUBLIC_GRID_M): PUBLIC_GRID_M}.get(where.generalised_m)
    if level is None or placement is None or level > COUNTED_LEVELS[-1]:
        return None
    if replace(where, **_ANSWERABLE) != IncidentFilter():
        return None
    counted = next(finer for finer in COUNTED_LEVELS if finer >= level)
    periods = _periods(COUNTS, where.reported_since, where.reported_before, spans_at(counted))
    cells = (None, None, None, None) if where.bbox is None else _whole_cells(where.bbox, cell_deg)
    if periods is None or cells is None:
        return None
    shift = counted - level
    conditions = [COUNTS.c.generalised_m == placement, COUNTS.c.level == counted, periods]
    for column, first, end in ((COUNTS.c.x, cells[0], cells[2]), (COUNTS.c.y, cells[1], cells[3])):
        if first is not None:
            conditions.append(column >= first << shift)
        if end is not None:
            conditions.append(column < end << shift)
    conditions += kind_conditions(where, COUNTS.c.category, COUNTS.c.status)
    sums = (func.sum(COUNTS.c["count"]), func.sum(COUNTS.c.lon_sum), func.sum(COUNTS.c.lat_sum))
    query = select(COUNTS.c.x, COUNTS.c.y, *sums).where(*conditions).group_by(COUNTS.c.x, COUNTS.c.y)
    merged: dict[tuple[int, int], tuple[int, float, float]] = {}
    for x, y, count, lon_sum, lat_sum in session.execute(query):
        key = (int(x) >> shift, int(y) >> shift)
        before = merged.get(key, (0, 0.0, 0.0))
        merged[key] = (before[0] + int(count), before[1] + float(lon_sum), before[2] + float(lat_sum))
    return [
        IncidentCell(x=x, y=y, count=count, lon=lon_sum / count, lat=lat_sum / count)
        for (x, y), (count, lon_sum, lat_sum) in sorted(merged.items(), key=lambda item: (item[0][1], item[0][0]))
        if count > 0
    ]


def _area_conditions(where: IncidentFilter, level: Level) -> list[ColumnElement[bool]] | None:
    """SQL for the area count rows of `level` the filter counts, or None when they cannot answer it exactly: a
    filter on anything but category, status and China-time days (a bbox among them; without one, a public
    filter's generalisation changes nothing)."""
    if replace(where, **dict.fromkeys((*_COUNTED_FIELDS, "generalised_m"))) != IncidentFilter():
        return None
    periods = _periods(AREA_COUNTS, where.reported_since, where.reported_before, tuple(Span))
    if periods is None:
        return None
    columns = AREA_COUNTS.c
    return [columns.level == level.value, periods, *kind_conditions(where, columns.category, columns.status)]


def _summed_areas(session: Session, where: IncidentFilter, level: Level) -> dict[str, int] | None:
    """The counts per area code of `level` summed from the kept counts, or None when they cannot answer."""
    conditions = _area_conditions(where, level)
    if conditions is None:
        return None
    columns = AREA_COUNTS.c
    query = (
        select(columns.code, func.sum(columns["count"]))
        .where(*conditions, columns.code != NO_AREA)
        .group_by(columns.code)
    )
    return {str(code): int(count) for code, count in session.execute(query) if count > 0}


def _counted_extent(session: Session, where: IncidentFilter) -> tuple[datetime | None, datetime | None, int] | None:
    """The extent with its first and last day and number from the kept counts (communities: every incident is
    counted once at that level, `NO_AREA` for those in none), the times from the incidents of those days; None
    when the counts cannot answer."""
    conditions = _area_conditions(where, Level.COMMUNITY)
    if conditions is None:
        return None
    columns = AREA_COUNTS.c
    total = int(session.scalar(select(func.sum(columns["count"])).where(*conditions)) or 0)
    if total == 0:
        return None, None, 0
    # The first and last day holding a match: the day rows of the period read in key order, one row each way.
    since, before = where.reported_since, where.reported_before
    day_rows = select(columns.start_day).where(
        columns.level == Level.COMMUNITY.value,
        columns.span == Span.DAY.value,
        *kind_conditions(where, columns.category, columns.status),
        *([] if since is None else [columns.start_day >= china_day(since)]),
        *([] if before is None else [columns.start_day < china_day(before)]),
    )
    first_day = int(session.scalar(day_rows.order_by(columns.start_day).limit(1)) or 0)
    last_day = int(session.scalar(day_rows.order_by(columns.start_day.desc()).limit(1)) or 0)
    return _time_on(session, where, first_day, func.min), _time_on(session, where, last_day, func.max), total


def _time_on(session: Session, where: IncidentFilter, day: int, pick: Callable[..., Any]) -> datetime | None:
    """The earliest or latest (`pick`: func.min or func.max) report time of the matches on China-time day `day`
    (the filter holds only category, status and whole days: `_area_conditions`)."""
    on_day = (IncidentRow.reported_at >= day_start(day), IncidentRow.reported_at < day_start(day + 1))
    # The kinds are compared as expressions, not bare columns, so that no backend reads all of a category's or a
    # status's rows through their indexes (100,000s at 2,000,000) instead of one day's through the report time's.
    kinds = kind_conditions(where, IncidentRow.category.concat(""), IncidentRow.status.concat(""))
    return session.scalar(select(pick(IncidentRow.reported_at)).where(*on_day, *kinds))


def _whole_cells(
    bbox: tuple[float, float, float, float], cell_deg: float
) -> tuple[int | None, int | None, int | None, int | None] | None:
    """The cell numbers [first, end) of columns and rows a bbox of whole cells spans (None: up to the world's
    edge); None when an edge cuts through cells."""
    edges: list[int | None] = []
    for value, world_edge in zip(bbox, (-180.0, -90.0, 180.0, 90.0), strict=True):
        number = round(value / cell_deg)
        if value == world_edge:
            edges.append(None)
        elif number * cell_deg == value:
            edges.append(number)
        else:
            return None
    return edges[0], edges[1], edges[2], edges[3]


def _periods(
    table: Table, since: datetime | None, before: datetime | None, spans: tuple[Span, ...]
) -> ColumnElement[bool] | None:
    """SQL for the count rows of `table` whose periods make up [since, before) exactly: whole months, and days at
    the ends; None when an end is not the start of a China-time day or the level keeps no days that are needed."""
    if since is None and before is None:
        return table.c.span == Span.EVER.value
    first = None if since is None else china_day(since)
    end = None if before is None else china_day(before)
    if (since is not None and day_start(first or 0) != since) or (before is not None and day_start(end or 0) != before):
        return None
    # Whole months [month_from, month_to), and the days before and after them.
    month_from = None if first is None else _first_whole_month(first)
    month_to = None if end is None else month_start(end)
    if month_from is not None and month_to is not None and month_from > month_to:
        days = [(first, end)]
        months = None
    else:
        days = [(first, month_from), (month_to, end)]
        months = _span_between(table, Span.MONTH, month_from, month_to)
    day_parts = [
        _span_between(table, Span.DAY, start, stop)
        for start, stop in days
        if start is not None and stop is not None and start < stop
    ]
    if day_parts and Span.DAY not in spans:
        return None
    parts = [part for part in (months, *day_parts) if part is not None]
    return or_(*parts) if parts else false()


def _first_whole_month(day: int) -> int:
    """The first day of the first month starting on or after `day` (31 days after a month's first is in the next)."""
    return day if month_start(day) == day else month_start(month_start(day) + 31)


def _span_between(table: Table, span: Span, first: int | None, end: int | None) -> ColumnElement[bool] | None:
    """SQL for the rows of `table` of `span` starting on days [first, end); None when that is no day at all."""
    if first is not None and end is not None and first >= end:
        return None
    conditions = [table.c.span == span.value]
    if first is not None:
        conditions.append(table.c.start_day >= first)
    if end is not None:
        conditions.append(table.c.start_day < end)
    return and_(*conditions)
