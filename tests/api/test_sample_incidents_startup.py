"""The demo start-up: an empty store gets the sample region and then its sample incidents, once."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gridmap.api.app import create_app
from gridmap.incidents.stats import month_period
from gridmap.io.incidents import read_incidents
from gridmap.sample.incidents import INCIDENTS_FILE
from gridmap.settings import Settings
from gridmap.store.interface import Role
from tests.api.conftest import SAMPLE_PATH, AppFactory, add_token, bearer, database_url

REPO = Path(__file__).resolve().parents[2]


def sample_folder(folder: Path) -> Path:
    """A sample folder holding copies of the committed boundaries and incidents."""
    for relative in (SAMPLE_PATH, INCIDENTS_FILE):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "data" / relative, folder / relative)
    return folder


def start(settings: Settings) -> TestClient:
    client = TestClient(create_app(settings))
    client.__enter__()
    return client


def test_the_sample_server_has_the_sample_incidents_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = Settings(
        database_url=database_url(backend, tmp_path, request),
        sample_dir=sample_folder(tmp_path / "sample"),
        public_read=True,
        tiles_url="",
    )
    expected = read_incidents(tmp_path / "sample" / INCIDENTS_FILE)
    for run in range(2):  # a restart finds them there and adds none
        client = start(settings)
        try:
            headers = bearer(add_token(client, f"规划员{run}", Role.PLANNER))
            listed = client.get("/api/v1/incidents", params={"limit": 5}, headers=headers)
            assert listed.status_code == 200, listed.text
            assert listed.json()["matched"] == len(expected) > 1000
            stats = client.get("/api/v1/incidents/stats", params={"month": "2026-10", "by": "community"})
            assert stats.status_code == 200, stats.text
            start_at, end_at = month_period("2026-10")
            october = Counter(i.community_code for i in expected if start_at <= i.state.reported_at < end_at)
            assert {a["area_code"]: a["total"] for a in stats.json()["areas"]} == dict(october)
        finally:
            client.__exit__(None, None, None)


def test_a_sample_folder_without_incidents_gives_none(make_client: AppFactory) -> None:
    # make_client's sample folder holds a test region and no incidents file.
    client = make_client()
    headers = bearer(add_token(client, "规划员", Role.PLANNER))
    assert client.get("/api/v1/incidents", headers=headers).json()["matched"] == 0
