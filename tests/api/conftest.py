"""Apps on a real store: SQLite in tmp_path, and PostGIS through tests/conftest.py when a server is there.

Each app starts through its lifespan on a store where the test region was imported and published first, as
`gridmap demo load` does with the sample region (the server itself loads nothing into an empty store). The region
is imported and published once per session and backend; each app gets its own copy of that store (a SQLite file
copied; on PostGIS one of this process's copies of it, put back as it was before each test), so no test sees
another's writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient as TestClient

from gridmap.api.app import create_app
from gridmap.services.demo import REGION_FILE, load_demo_region
from gridmap.settings import Settings
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.api.region import write_region

SAMPLE_PATH = REGION_FILE  # where the demo loader reads the region, under its data folder
BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]

AppFactory = Callable[..., TestClient]
PublishedTemplate = Callable[[str], str]  # backend -> the URL of the published template
PublishedCopy = Callable[[str, Path], str]  # (backend, folder) -> the URL of the test's copy


def database_url(backend: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """A migrated database on `backend` holding nothing, the test's alone."""
    if backend == "sqlite":
        return sqlite_file(folder)
    copy_of: Callable[[str], str] = request.getfixturevalue("postgis_copy_of")
    return copy_of(request.getfixturevalue("migrated_postgis_template"))


def sqlite_file(folder: Path) -> str:
    """The URL of a new SQLite database in `folder`."""
    return f"sqlite:///{folder / 'gridmap.db'}"


def publish_region(url: str, data_dir: Path) -> None:
    """Import and publish the region at data_dir/SAMPLE_PATH into the store at `url` (migrated first on SQLite)."""
    with open_store(url, upgrade=url.startswith("sqlite")) as store:
        load_demo_region(store, data_dir)


def templates_filled_by(
    fill: Callable[[str, Path], None], tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> PublishedTemplate:
    """Templates made when first asked for, one per backend: a migrated database (migrated by `fill` on SQLite)
    that fill(url, folder) fills and leaves closed (a template must have no open connection to be copied)."""
    templates: dict[str, str] = {}

    def template(backend: str) -> str:
        if backend not in templates:
            folder = tmp_path_factory.mktemp("template")
            if backend == "sqlite":
                url = sqlite_file(folder)
            else:
                url = request.getfixturevalue("migrated_postgis_databases")()
            fill(url, folder)
            templates[backend] = url
        return templates[backend]

    return template


def _publish_test_region(url: str, folder: Path) -> None:
    write_region(folder / "sample" / SAMPLE_PATH)
    publish_region(url, folder / "sample")


@pytest.fixture(scope="session")
def published_templates(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> PublishedTemplate:
    """The URL of a database holding the test region published, one per backend, made when first asked for."""
    return templates_filled_by(_publish_test_region, tmp_path_factory, request)


def copy_sqlite(source: Path, target: Path) -> None:
    """A new SQLite database at `target` holding what the one at `source` holds (SQLite's backup API)."""
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as fresh:
        original.backup(fresh)


@pytest.fixture
def published_databases(published_templates: PublishedTemplate, request: pytest.FixtureRequest) -> PublishedCopy:
    """A factory of databases holding the test region published, copies of one published per backend."""
    return lambda backend, folder: copy_of_template(backend, published_templates(backend), folder, request)


def copy_of_template(backend: str, template_url: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """The URL of a database holding what the template at `template_url` holds, the test's alone: a SQLite file
    in `folder`, or one of this process's PostGIS copies of the template."""
    if backend == "sqlite":
        target = folder / "gridmap.db"
        copy_sqlite(Path(template_url.removeprefix("sqlite:///")), target)
        return f"sqlite:///{target}"
    copy_of: Callable[[str], str] = request.getfixturevalue("postgis_copy_of")
    return copy_of(template_url)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """sqlite, and postgis where a server is available."""
    name: str = request.param
    return name


@pytest.fixture
def make_client(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[AppFactory]:
    """Start apps on new databases: make_client(**settings) -> a started TestClient (stopped afterwards)."""
    started: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        folder = tmp_path_factory.mktemp("api")
        write_region(folder / "sample" / SAMPLE_PATH)
        url = request.getfixturevalue("published_databases")(backend, folder)
        values: dict[str, Any] = {
            "database_url": url,
            "sample_dir": folder / "sample",
            "jobs_dir": folder / "jobs",
            "public_read": True,
            "max_upload_bytes": 1_000_000,
            "tiles_url": "",
            "tiles_datum": "wgs84",
            "purge_interval_s": 0,  # the retention timer is tested on its own
        }
        client = TestClient(create_app(Settings(**{**values, **overrides})))
        client.__enter__()
        started.append(client)
        return client

    yield make
    for client in started:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    """An app with the test region published as version 1 of the set `default`."""
    return make_client()


def add_token(client: TestClient, name: str, role: Role) -> str:
    """A new user's token on the client's store."""
    token: str = client.app.state.store.add_user(name, role)  # type: ignore[attr-defined]
    return token


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def planner_headers(client: TestClient) -> dict[str, str]:
    """Headers of a planner on `client`."""
    return bearer(add_token(client, "规划员", Role.PLANNER))


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 7807 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:gridmap:problem:")
    assert body["title"] and body["detail"]
    return body
