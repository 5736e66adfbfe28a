"""After a version or a draft's rows are written in bulk, the database's query planner knows how many there are.

Without statistics a query by parent on a new draft read the whole version (PostgreSQL waits for autovacuum,
which a server may run late or not at all; SQLite never gathers them by itself).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gridmap.address.registry import StandardAddress
from gridmap.store.household_store import HouseholdRecord
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


def planner_knows(store: BoundaryStore, tables: list[str]) -> dict[str, tuple[float, int]]:
    """Each PostgreSQL table's row count as the planner last measured it, and as it is."""
    found = {}
    with engine_of(store).connect() as connection:
        for table in tables:
            known = connection.execute(text(f"SELECT reltuples FROM pg_class WHERE relname = '{table}'")).scalar_one()
            found[table] = (float(known), connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    return found


@pytest.mark.postgis
def test_the_other_bulk_writes_on_postgis_leave_the_planner_their_rows(postgis_store: BoundaryStore) -> None:
    """A household register, an address registry and the incident map's counts written in bulk are measured at
    once; a few rows beside many are not worth an ANALYZE (autovacuum's own rule: 50 + 10 %)."""
    tables = ["households", "address_registry", "incident_cell_counts", "incident_area_counts"]
    measured_as_they_are(postgis_store, tables)
    before = planner_knows(postgis_store, tables)
    lon, lat = 119.5, 27.45
    households = [HouseholdRecord(f"B{n:04d}", "胜利街", lon + n * 1e-5, lat, people=2) for n in range(300)]
    postgis_store.add_households(households)
    postgis_store.add_addresses([StandardAddress(f"door:胜利街:{n}", lon + n * 1e-5, lat) for n in range(300)])
    made = generate_incidents(frame_from(region_features()), count=200, seed=7)
    postgis_store.import_incidents(iter(made), batch=50)
    measured_as_they_are(postgis_store, ["incident_cell_counts", "incident_area_counts"])
    with engine_of(postgis_store).begin() as connection:  # counts gone: the rebuild writes them all again
        connection.execute(text("DELETE FROM incident_cell_counts"))
        connection.execute(text("DELETE FROM incident_area_counts"))
    measured_as_they_are(postgis_store, ["incident_cell_counts", "incident_area_counts"])
    postgis_store.rebuild_incident_counts()
    after = planner_knows(postgis_store, tables)
    for table in tables:
        known, rows = after[table]
        assert known == rows > 0, (table, before[table], after[table])
    postgis_store.add_households([HouseholdRecord("B9999", "胜利街", lon, lat, people=1)])
    assert planner_knows(postgis_store, ["households"])["households"][0] == after["households"][1]


@pytest.mark.postgis
def test_a_bulk_write_on_postgis_plans_each_statement_afresh(postgis_store: BoundaryStore) -> None:
    """Within an import, no statement keeps a plan made while its table was empty; afterwards the default again."""
    assert isinstance(postgis_store, PostgisStore)
    with postgis_store._write_transaction() as session:
        postgis_store._start_bulk_write(session)
        assert session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    with engine_of(postgis_store).connect() as connection:
        assert connection.execute(text("SHOW plan_cache_mode")).scalar_one() == "auto"


@pytest.mark.postgis
def test_feature_rows_written_past_the_vacuum_threshold_on_postgis_leave_every_page_all_visible(
    postgis_store: BoundaryStore,
) -> None:
    """A draft's index-only reads (its frames' places) need not visit the table for rows none can miss; no JIT."""
    engine = engine_of(postgis_store)
    region = frame_from(community_of_grids(40, 30))  # 1,201 features: past the threshold of 1,000 rows
    version = postgis_store.import_version("aoyang", region, who="a", why="b")
    postgis_store.start_draft(version.id, who="a", why="b")
    with engine.connect() as connection:
        pages = text("SELECT relpages, relallvisible FROM pg_class WHERE oid = CAST('grid_features' AS regclass)")
        written, visible = connection.execute(pages).one()
        assert visible == written > 0
        assert connection.execute(text("SHOW jit")).scalar_one() == "off"
