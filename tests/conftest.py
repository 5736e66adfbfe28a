"""Shared fixtures: throwaway PostGIS databases for tests that need a real one.

GRIDMAP_TEST_PG_URL names a PostgreSQL server reachable as a superuser (default: postgres on localhost with
trust authentication). Each database made here is dropped at the end of the session. Migrated databases are
copies of one template migrated once per session (PostgreSQL copies a template's files, which takes a small
part of the time that creating the postgis extension and running the migrations takes). Most tests get no new
database but one of this process's copies of a template, put back as the template was before the test (rows
deleted and copied back, sequences set back: about 60 ms on a loaded machine, where copying the 16 MB costs
0.2-1 s and dropping the copy later as much again). Tests that migrate or change the schema ask for a new
database (postgis_databases), as do the two server processes sharing one store (migrated_postgis_databases).
Without a server the tests that need one are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

from gridmap.store import upgrade_database

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DROPPING_CONNECTIONS = 8  # per test process, well below PostgreSQL's default of 100 connections
KEPT_TABLES = ("alembic_version", "spatial_ref_sys")  # the schema's revision and PostGIS's own rows

# Property tests draw new examples on every run here, to keep finding cases; under CI they draw the same ones each
# time, so that whether a change lands never depends on luck (a case found here becomes a plain test).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")


# The modules that take longest, each on one worker under --dist loadscope: started first, so that neither is left
# running alone at the end while the other worker idles (the schemathesis contract takes minutes on a loaded machine
# and has two tests: xdist's own order, most tests first, would start it among the last).
LONGEST_MODULES = ("tests/security/test_openapi_contract.py", "tests/geo/test_coverage_matrix.py")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist is loaded: keep the order made below
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first, as a scheduler of jobs of known length would: LONGEST_MODULES, then the browser modules (a few
    tests of seconds each), then the others, the most tests first. A module's tests stay together and in order."""
    by_module: dict[str, list[pytest.Item]] = defaultdict(list)
    for item in items:
        by_module[item.nodeid.split("::")[0]].append(item)

    def rank(module: str) -> tuple[int, bool, int]:
        tests = by_module[module]
        longest = LONGEST_MODULES.index(module) if module in LONGEST_MODULES else len(LONGEST_MODULES)
        return longest, not any(test.get_closest_marker("browser") for test in tests), -len(tests)

    items[:] = [item for module in sorted(by_module, key=rank) for item in by_module[module]]


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
def migrated_postgis_template(postgis_databases: Callable[..., str]) -> str:
    """The URL of a database holding gridmap's tables at the newest revision, to be copied (never opened)."""
    template_url = postgis_databases()
    upgrade_database(template_url)  # disposes its engine: a template must have no open connection when copied
    return template_url


@pytest.fixture(scope="session")
def migrated_postgis_databases(
    postgis_databases: Callable[..., str], migrated_postgis_template: str
) -> Callable[[], str]:
    """A factory of new databases holding gridmap's tables at the newest revision, copied from one template."""
    return lambda: postgis_databases(make_url(migrated_postgis_template).database)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding gridmap's tables at the newest revision, made once per test process to be copied
    (never opened again): copying it takes a few ms, migrating a new file about 0.1 s of CPU."""
    path = tmp_path_factory.mktemp("migrated") / "gridmap.db"
    upgrade_database(f"sqlite:///{path}")  # disposes its engine: no connection (nor WAL file) is left
    return path


@pytest.fixture
def migrated_sqlite_url(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    """The URL of a new SQLite file in tmp_path holding gridmap's tables at the newest revision, and no rows."""
    target = tmp_path / "gridmap.db"
    shutil.copyfile(migrated_sqlite_template, target)
    return f"sqlite:///{target}"


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class _Contents:
    """What a template database holds beyond its schema: each table's rows and each sequence's position."""

    tables: tuple[str, ...]  # every table of the app, quoted
    rows: dict[str, bytes]  # quoted table -> its rows in COPY's binary format, for tables that have any
    sequences: str  # one SELECT that sets every sequence where it stood

    @classmethod
    def read(cls, url: str) -> _Contents:
        with psycopg.connect(_libpq(url)) as db:
            tables = tuple(
                name
                for (name,) in db.execute(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> ALL(%s) ORDER BY tablename",
                    [list(KEPT_TABLES)],
                )
            )
            rows: dict[str, bytes] = {}
            with db.cursor() as cursor:
                for table in tables:
                    if cursor.execute(f"SELECT EXISTS (SELECT FROM {table})").fetchone() == (True,):
                        with cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                            rows[table] = b"".join(copy)
            positions = db.execute(
                "SELECT format('setval(%L, %s, %L)', format('%I', sequencename), coalesce(last_value, start_value), "
                "last_value IS NOT NULL) FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename"
            ).fetchall()
        return cls(tables, rows, "SELECT " + ", ".join(setval for (setval,) in positions) if positions else "")

    def put_back(self, url: str) -> None:
        """Make the database at `url` (a copy of the template these were read from) hold what the template does."""
        with psycopg.connect(_libpq(url)) as db:
            # Nothing of the previous test may still hold a connection, as with a new database.
            db.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            # Every table is emptied and filled whole, so neither foreign keys nor triggers need to fire. DELETE,
            # not TRUNCATE: a TRUNCATE makes new files for every table and index (about 600 ms for these 23).
            db.execute(
                "SET LOCAL session_replication_role = replica; "
                + " ".join(f"DELETE FROM {table};" for table in self.tables)
            )
            with db.cursor() as cursor:
                for table, data in self.rows.items():
                    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
                        copy.write(data)
            if self.sequences:
                db.execute(self.sequences)


class PostgisCopies:
    """Databases copied from templates once per test process, each given to one test at a time and put back as
    its template was before it is given again."""

    def __init__(self, create: Callable[..., str]) -> None:
        self._create = create
        self._contents: dict[str, _Contents] = {}  # template URL -> what its copies must hold
        self._free: dict[str, list[str]] = {}  # template URL -> copies no test holds, as the last test left them
        self._template_of: dict[str, str] = {}  # copy URL -> its template's URL

    def take(self, template_url: str) -> str:
        """The URL of a database holding what the database at `template_url` holds, until given back."""
        free = self._free.setdefault(template_url, [])
        if free:
            url = free.pop()
            self._contents[template_url].put_back(url)
            return url
        url = self._create(make_url(template_url).database)
        if template_url not in self._contents:
            self._contents[template_url] = _Contents.read(url)
        self._template_of[url] = template_url
        return url

    def give_back(self, url: str) -> None:
        self._free[self._template_of[url]].append(url)


@pytest.fixture(scope="session")
def postgis_copies(postgis_databases: Callable[..., str]) -> PostgisCopies:
    """This test process's copies of template databases."""
    return PostgisCopies(postgis_databases)


@pytest.fixture
def postgis_copy_of(postgis_copies: PostgisCopies) -> Iterator[Callable[[str], str]]:
    """copy_of(template URL) -> the URL of a database holding what the template holds, this test's alone."""
    taken: list[str] = []

    def copy_of(template_url: str) -> str:
        taken.append(postgis_copies.take(template_url))
        return taken[-1]

    yield copy_of
    for url in taken:
        postgis_copies.give_back(url)
