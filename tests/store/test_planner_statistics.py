"""After a version or a draft's rows are written in bulk, the database's query planner knows how many there are.

Without statistics a query by parent on a new draft read the whole version (PostgreSQL waits for autovacuum,
which a server may run late or not at all; SQLite never gathers them by itself).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gridmap.store.interface import BoundaryStore
from gridmap.store.postgis import PostgisStore
from gridmap_demo.incidents import generate_incidents
from tests.boundary_builders import community_of_grids
from tests.store.conftest import engine_of, frame_from, region_features


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


def measured_as_they_are(store: BoundaryStore, tables: list[str]) -> None:
    """Let the planner measure the tables as this test finds them (a database reused by earlier tests may have
    left it counting rows they have since deleted)."""
    with engine_of(store).begin() as connection:
        for table in tables:
            connection.execute(text(f"ANALYZE {table}"))


def test_the_planner_counts_an_imported_version_and_a_started_draft(store: BoundaryStore) -> None:
    measured_as_they_are(store, ["grid_features"])
    region = frame_from(community_of_grids(10, 10))  # a community and its 100 grids
    version = store.import_version("aoyang", region, who="a", why="b")
    known, rows = planner_rows(store)
    assert known == rows >= len(region)
    store.start_draft(version.id, who="a", why="b")
    assert planner_rows(store) == (rows + len(region), rows + len(region))


@pytest.mark.postgis
def test_a_bulk_incident_import_on_postgis_leaves_the_planner_its_rows(postgis_store: BoundaryStore) -> None:
    tables = ["incidents", "incident_audit", "incident_cell_counts", "incident_area_counts"]
    measured_as_they_are(postgis_store, tables)
    made = generate_incidents(frame_from(region_features()), count=120, seed=5)
    assert postgis_store.import_incidents(iter(made), batch=10) == len(made)
    with engine_of(postgis_store).connect() as connection:
        for table in tables:
            known = connection.execute(text(f"SELECT reltuples FROM pg_class WHERE relname = '{table}'")).scalar_one()
            rows = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert known == rows > 0, table


@pytest.mark.postgis
def test_a_bulk_write_on_postgis_plans_each_statement_afresh(postgis_store: BoundaryStore) -> None:
    """Within an import, no statement keeps a plan made while its table was empty; afterwards the default again."""
    assert isinstance(postgis_store, PostgisStore)
    with postgis_store._write_transaction() as session:
        postgis_store._start_bulk_write(session)
        assert session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    with engine_of(postgis_store).connect() as connection:
        assert connection.execute(text("SHOW plan_cache_mode")).scalar_one() == "auto"
