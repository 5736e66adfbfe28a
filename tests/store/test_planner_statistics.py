"""After a version or a draft's rows are written in bulk, the database's query planner knows how many there are.

Without statistics a query by parent on a new draft read the whole version (PostgreSQL waits for autovacuum,
which a server may run late or not at all; SQLite never gathers them by itself).
"""

from __future__ import annotations

from sqlalchemy import text

from gridmap.store.interface import BoundaryStore
from tests.boundary_builders import community_of_grids
from tests.store.conftest import engine_of, frame_from


def planner_rows(store: BoundaryStore) -> tuple[float, int]:
    """The feature table's row count as the planner last measured it (-1: never), and as it is."""
    engine = engine_of(store)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM grid_features")).scalar_one()
        if engine.dialect.name == "sqlite":
            # sqlite_stat1 is created by the first ANALYZE; each index's statistics start with the table's rows
            if connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() is None:
                return -1, rows
            stats = connection.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'grid_features'")).scalars()
            return max((float(stat.split()[0]) for stat in stats), default=-1), rows
        query = text("SELECT reltuples FROM pg_class WHERE oid = CAST('grid_features' AS regclass)")
        return float(connection.execute(query).scalar_one()), rows


def test_the_planner_counts_an_imported_version_and_a_started_draft(store: BoundaryStore) -> None:
    region = frame_from(community_of_grids(10, 10))  # a community and its 100 grids
    version = store.import_version("aoyang", region, who="a", why="b")
    known, rows = planner_rows(store)
    assert known == rows >= len(region)
    store.start_draft(version.id, who="a", why="b")
    assert planner_rows(store) == (rows + len(region), rows + len(region))
