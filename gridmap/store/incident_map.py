"""Incident maps in SQL: counts per square cell (clusters, heat), per area (choropleth), points and time extent.

The viewer never receives every incident: the database groups them. A cell is a square of `cell_deg`
degrees numbered from longitude 0 and latitude 0 (`x = floor(lon / cell_deg)`), so the same cell holds the
same incidents whatever part of the map is in view. Every query takes the `IncidentFilter` of the incident
list, turned into SQL by the same function, so a map and a list with the same filter agree. A filter with
`generalised_m` (a public answer) places each incident at its generalised point, for the bbox and the cells.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gridmap.errors import InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.incidents.workflow import Status
from gridmap.store.incident_store import IncidentCell, IncidentFilter, IncidentPoint
from gridmap.store.incidents import _conditions, generalised_point
from gridmap.store.tables import IncidentRow

MAX_POINTS = 1_000_000


def _area_column(level: Level | str) -> InstrumentedAttribute[str | None]:
    """The routed code column of a level."""
    try:
        chosen = Level(level)
    except ValueError:
        msg = f"level {level!r} is not one of community, grid, microgrid"
        raise InvalidInput(msg) from None
    columns = {
        Level.COMMUNITY: IncidentRow.community_code,
        Level.GRID: IncidentRow.grid_code,
        Level.MICROGRID: IncidentRow.microgrid_code,
    }
    return columns[chosen]


class IncidentMapQueries:
    """The incident-map half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def incident_cells(self, where: IncidentFilter, cell_deg: float) -> list[IncidentCell]:
        """Matching incidents counted per square cell of `cell_deg` degrees, with each cell's mean point.

        With `where.generalised_m` the incidents are counted (and averaged) at their generalised points.
        """
        if not (math.isfinite(cell_deg) and cell_deg > 0):
            msg = f"a cell must be a positive number of degrees, not {cell_deg!r}"
            raise InvalidInput(msg)
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

    def incident_area_counts(self, where: IncidentFilter, level: Level) -> dict[str, int]:
        """Matching incidents counted per community, grid or microgrid code they were routed to."""
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
        query = select(func.min(IncidentRow.reported_at), func.max(IncidentRow.reported_at), func.count()).where(
            *_conditions(where)
        )
        with self._transaction() as session:
            first, last, total = session.execute(query).one()
        return first, last, int(total)
