"""Opening and migrating a store, on SQLite and on PostGIS: what every aggregate's tables stand on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from gridmap.errors import Conflict, InvalidInput
from gridmap.store import create_engine_for, migrate, open_store, upgrade_database
from tests.store.conftest import sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database gridmap has never touched."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    create: Callable[[], str] = request.getfixturevalue("postgis_databases")
    return create()


def test_migrations_run_on_an_empty_database(empty_database: str) -> None:
    with pytest.raises(Conflict, match="has no gridmap tables"):
        open_store(empty_database)

    assert upgrade_database(empty_database) == migrate.head_revision()

    engine = create_engine_for(empty_database)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"boundary_sets", "boundary_versions", "grid_features", "users"} <= tables
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert "grid_feature_rtree" in tables
            else:
                index = connection.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_grid_features_geometry'")
                ).scalar_one()
                assert "USING gist (geometry)" in index
        migrate.downgrade(engine, "base")
        assert not {"boundary_sets", "grid_features", "grid_feature_rtree"} & set(inspect(engine).get_table_names())
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    with open_store(empty_database) as store:
        assert store.list_sets() == []


def test_open_store_names_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot store boundaries"):
        open_store("mysql://localhost/gridmap")
    with pytest.raises(InvalidInput, match="not a database URL"):
        open_store("gridmap.db")
    with pytest.raises(InvalidInput, match="cannot open the database"):
        open_store(f"sqlite:///{tmp_path / 'missing' / 'gridmap.db'}")
