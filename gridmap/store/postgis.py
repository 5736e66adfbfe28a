"""The PostGIS backend: spatial questions answered in SQL on a GiST-indexed geometry column."""

from __future__ import annotations

from collections.abc import Sequence

from geoalchemy2 import functions as st
from sqlalchemy import ColumnElement, Engine, Float, Select, Table, create_engine, func, select, text
from sqlalchemy.orm import Session

from gridmap.geo.metric import degree_window_factor
from gridmap.store.postgresql_copy import copy_columns
from gridmap.store.spatial import Bbox
from gridmap.store.sql import SqlBoundaryStore
from gridmap.store.tables import WGS84_SRID, GridFeature

# PostgreSQL's defaults for autovacuum's ANALYZE: rows changed beyond this many plus this share of the table
_ANALYZE_THRESHOLD = 50
_ANALYZE_SCALE_FACTOR = 0.1
# Feature rows written (inserted, updated or deleted) since the table's last VACUUM beyond which a write VACUUMs it:
# autovacuum's default insert threshold, without its share of the table (20 %, which a draft's rows never reach once
# a few versions are stored).
_VACUUM_THRESHOLD = 1_000


def postgis_engine(url: str) -> Engine:
    """An engine for a postgresql+psycopg:// URL that checks connections before handing them out."""
    # hide_parameters: a database error's message must not quote the row (names, phones) it failed on.
    # jit off: the planner costs a spatial query by boxes far above its work (an ST_Intersects per box and row), so
    # PostgreSQL compiled it, 8-13 ms each, for a query of 10-20 ms; a following draft status asks 15 of them.
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args={"options": "-c jit=off"})


def _point(lon: float, lat: float) -> ColumnElement[object]:
    return st.ST_SetSRID(st.ST_MakePoint(lon, lat), WGS84_SRID)


class PostgisStore(SqlBoundaryStore):
    """Boundaries on PostgreSQL with PostGIS: ST_Covers, ST_Intersects and KNN ordering on a GiST index."""

    exact_spatial_sql = True

    def _refresh_statistics(self, session: Session, added: int) -> None:
        """Until autovacuum's next round (or for ever, on a server running without it) a new draft's query by
        parent read the whole version through the (version, level) part of its index: 200 ms instead of 0.3 ms
        at 100,000 microgrids. About 0.5 s at 450,000 rows (ANALYZE reads a sample)."""
        self._analyze_grown(session, [GridFeature.__tablename__], added)

    def _features_written(self, rows: int) -> None:
        """VACUUM the feature table once the rows written since its last vacuum pass `_VACUUM_THRESHOLD` (those the
        statistics count, which may lag, and the `rows` just committed): it marks the pages all-visible, so that the
        index-only scans of a draft (counting a frame's places, version_frames.py) need not read the table too.
        Edits dirty about 5 pages each: without it, after 800 edits 78 % of a 10,000-grid draft's pages needed heap
        reads, even with autovacuum (whose 20 % share of the table a draft never reaches). Its cost follows the pages
        written since (the visibility map skips the rest): at 10,000 grids 50-65 ms after a new draft, about 0.1 s
        once per 100 edits. SKIP_LOCKED: a vacuum already running does the same work, so a write never waits on it."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            since = connection.scalar(
                text(
                    "SELECT n_dead_tup + n_ins_since_vacuum FROM pg_stat_user_tables "
                    "WHERE relid = CAST(:table AS regclass)"
                ),
                {"table": GridFeature.__tablename__},
            )
            if rows + (since or 0) > _VACUUM_THRESHOLD:
                connection.execute(text(f'VACUUM (SKIP_LOCKED) "{GridFeature.__tablename__}"'))

    def _insert_rows(self, session: Session, table: Table, rows: list[dict[str, object]]) -> None:
        copy_columns(session.connection(), table, {name: [row[name] for row in rows] for name in rows[0]})

    def _start_bulk_write(self, session: Session) -> None:
        """Custom plans for the rest of the transaction: the generic plan of a statement psycopg prepared while the
        incidents table was still empty kept reading it whole as the import filled it (1 s per check of a
        batch's ids at 36,000 rows, growing with every batch)."""
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def _end_bulk_write(self, session: Session, tables: Sequence[str], added: int) -> None:
        self._analyze_grown(session, tables, added)

    @staticmethod
    def _analyze_grown(session: Session, tables: Sequence[str], added: int) -> None:
        """ANALYZE each table for which `added` rows are many beside what the planner last counted in it, by
        autovacuum's default rule, at once rather than at autovacuum's next round."""
        for table in tables:
            known = session.scalar(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"), {"table": table}
            )
            if known is None or known < 0 or added > _ANALYZE_THRESHOLD + _ANALYZE_SCALE_FACTOR * known:
                session.execute(text(f'ANALYZE "{table}"'))

    def _intersects_bbox(self, bbox: Bbox) -> ColumnElement[bool]:
        return st.ST_Intersects(GridFeature.geometry, st.ST_MakeEnvelope(*bbox, WGS84_SRID))

    def _covers_point(self, lon: float, lat: float) -> ColumnElement[bool]:
        return st.ST_Covers(GridFeature.geometry, _point(lon, lat))

    def _extent_query(self, conditions: Sequence[ColumnElement[bool]]) -> Select[tuple[float, float, float, float]]:
        box = select(st.ST_Extent(GridFeature.geometry).label("box")).where(*conditions).subquery()
        return select(
            func.ST_XMin(box.c.box), func.ST_YMin(box.c.box), func.ST_XMax(box.c.box), func.ST_YMax(box.c.box)
        )

    def _nearest_candidates(
        self, session: Session, conditions: Sequence[ColumnElement[bool]], lon: float, lat: float
    ) -> Sequence[GridFeature]:
        """The row nearest in degrees (KNN on the index), then every row that may be as near in metres."""
        point = _point(lon, lat)
        nearest_deg = session.scalar(
            select(st.ST_Distance(GridFeature.geometry, point))
            .where(*conditions)
            .order_by(GridFeature.geometry.op("<->", return_type=Float)(point))
            .limit(1)
        )
        if nearest_deg is None:
            return []
        reach = float(nearest_deg) * degree_window_factor(lat)
        return session.scalars(
            select(GridFeature).where(*conditions, st.ST_DWithin(GridFeature.geometry, point, reach))
        ).all()
