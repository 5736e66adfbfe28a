"""`gridmap demo load`: the demo goes into a store on request only, never at the server's start-up."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gridmap.api.app import create_app
from gridmap.cli import app as cli
from gridmap.incidents.model import Incident
from gridmap.incidents.stats import month_period
from gridmap.io.incidents import read_incidents
from gridmap.services.demo import INCIDENTS_FILE, store_holdings
from gridmap.settings import Settings
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.api.conftest import SAMPLE_PATH, add_token, bearer, database_url, publish_region
from tests.api.region import write_region

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
runner = CliRunner()


def demo_load(*args: str) -> tuple[int, str]:
    """Run `gridmap demo load ARGS`; (exit code, output)."""
    result = runner.invoke(cli, ["demo", "load", "--data", str(DATA), *args])
    return result.exit_code, " ".join(result.output.split())


def started(url: str, tmp_path: Path) -> TestClient:
    """The app on `url`, with the repository's data folder where the old start-up looked for the sample."""
    client = TestClient(create_app(Settings(database_url=url, sample_dir=DATA, public_read=True, tiles_url="")))
    client.__enter__()
    return client


@pytest.fixture(scope="module")
def demo_incidents() -> list[Incident]:
    """The demo's incidents as the file holds them (read once for both backends)."""
    return read_incidents(DATA / INCIDENTS_FILE)


def test_the_demo_loads_into_an_empty_store_and_once_only(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, demo_incidents: list[Incident]
) -> None:
    url = database_url(backend, tmp_path, request)
    code, output = demo_load("--store", url)
    assert code == 0, output
    assert "20,000 households (20,000 placed)" in output and "2,000 incidents" in output
    client = started(url, tmp_path)
    try:
        headers = bearer(add_token(client, "规划员", Role.PLANNER))
        listed = client.get("/api/v1/incidents", params={"limit": 5}, headers=headers)
        assert listed.status_code == 200, listed.text
        assert listed.json()["matched"] == len(demo_incidents) == 2000
        stats = client.get("/api/v1/incidents/stats", params={"month": "2026-10", "by": "community"})
        start_at, end_at = month_period("2026-10")
        october = Counter(i.community_code for i in demo_incidents if start_at <= i.state.reported_at < end_at)
        assert {a["area_code"]: a["total"] for a in stats.json()["areas"]} == dict(october)
        geocoded = client.get("/api/v1/geocode", params={"q": "朝阳新村1栋1单元101室"}).json()
        assert geocoded["match"]["level"] != "none" and geocoded["location"]["grid"] is not None
    finally:
        client.__exit__(None, None, None)
    code, output = demo_load("--store", url)  # a second load is refused, naming what the store holds
    assert code != 0 and "holds 1 boundary sets, 20,000 households, 2,000 incidents" in output
    assert "--force" in output
    code, output = demo_load("--store", url, "--if-empty")  # as scripts/serve.sh runs it: nothing, and success
    assert code == 0 and "demo not loaded" in output
    with open_store(url) as store:
        assert store.household_revision()[0] == 20_000 and len(store.list_versions()) == 1


def test_force_loads_beside_what_the_store_holds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    publish_region(url, write_region(tmp_path / "mine" / SAMPLE_PATH).parents[1])
    code, output = demo_load("--store", url)
    assert code != 0 and "holds 1 boundary sets" in output
    with open_store(url) as store:
        assert store.household_revision()[0] == 0 and store.address_revision()[0] == 0  # nothing was added
    code, output = demo_load("--store", url, "--force")
    assert code == 0, output
    with open_store(url) as store:
        assert len(store.list_versions()) == 2 and store.address_revision()[0] > 5000


def test_a_missing_demo_file_is_named_before_anything_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    write_region(tmp_path / "data" / SAMPLE_PATH)
    result = runner.invoke(cli, ["demo", "load", "--store", url, "--data", str(tmp_path / "data")])
    assert result.exit_code != 0 and "addresses.csv: a demo file is missing" in " ".join(result.output.split())
    with open_store(url) as store:
        assert store_holdings(store) == []


def test_the_server_loads_nothing_into_an_empty_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url(backend, tmp_path, request)
    client = started(url, tmp_path)  # the sample region and incidents are right there in sample_dir
    try:
        assert client.get("/api/v1/geocode", params={"q": "朝阳新村1栋"}).status_code == 404
    finally:
        client.__exit__(None, None, None)
    with open_store(url) as store:
        assert store_holdings(store) == []
