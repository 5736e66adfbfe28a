"""Shared fixtures: throwaway PostGIS databases for tests that need a real one.

GRIDMAP_TEST_PG_URL names a PostgreSQL server reachable as a superuser (default: postgres on localhost with
trust authentication). Each database made here is dropped at the end of the session. Migrated databases are
copies of one template migrated once per session (PostgreSQL copies a template's files, which takes a small
part of the time that creating the postgis extension and running the migrations takes). Without a server the
tests that need one are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

from gridmap.store import upgrade_database

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DROPPING_CONNECTIONS = 8  # per test process, well below PostgreSQL's default of 100 connections

# Property tests draw new examples on every run here, to keep finding cases; under CI they draw the same ones each
# time, so that whether a change lands never depends on luck (a case found here becomes a plain test).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")


def _unavailable(reason: str) -> NoReturn:
    message = f"no PostGIS for the tests ({reason}); set GRIDMAP_TEST_PG_URL"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgis_databases() -> Iterator[Callable[..., str]]:
    """A factory of new databases: empty but for the postgis extension, or copies of `template`; gives URLs."""
    server = make_url(os.environ.get("GRIDMAP_TEST_PG_URL", DEFAULT_PG_URL))
    conninfo = server.set(drivername="postgresql").render_as_string(hide_password=False)
    made: list[str] = []

    def create(template: str | None = None) -> str:
        name = f"gridmap_test_{uuid.uuid4().hex[:12]}"
        try:
            with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
            made.append(name)
            database = server.set(database=name)
            if template is None:
                with psycopg.connect(database.set(drivername="postgresql").render_as_string(hide_password=False)) as db:
                    db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as err:
            _unavailable(str(err).strip().splitlines()[0])
        return database.render_as_string(hide_password=False)

    yield create

    def drop(name: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # Each DROP DATABASE waits for a checkpoint (seconds on a busy disk); drops waiting at once share one.
    with ThreadPoolExecutor(max_workers=DROPPING_CONNECTIONS) as pool:
        list(pool.map(drop, made))


@pytest.fixture(scope="session")
def postgis_url(postgis_databases: Callable[..., str]) -> str:
    """One PostGIS database for the whole session (tests sharing it must clean up after themselves)."""
    return postgis_databases()


@pytest.fixture(scope="session")
def migrated_postgis_databases(postgis_databases: Callable[..., str]) -> Callable[[], str]:
    """A factory of new databases holding gridmap's tables at the newest revision, copied from one template."""
    template_url = postgis_databases()
    upgrade_database(template_url)  # disposes its engine: a template must have no open connection when copied
    template = make_url(template_url).database
    return lambda: postgis_databases(template)
