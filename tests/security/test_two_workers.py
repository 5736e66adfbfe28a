"""Two worker processes, one truth: a real `uvicorn --workers 2` on a loopback port, on SQLite and PostGIS.

An attacker spreading requests over the workers gets no more reports through than one burst, a geocoding
job is answered by every worker, and a revoked token is refused at once by both. Each request opens a new
connection, so the kernel hands them to either worker; the jobs' `runner` shows that both answered.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from gridmap.services.address_registry import import_registry
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.api.conftest import SAMPLE_PATH, publish_region
from tests.api.region import write_region
from tests.api.test_incidents import report_body
from tests.web.test_viewer import running_app

BURST = 3
ATTEMPTS = 12
REGISTRY = "id,road,number,compound,building,unit,room,lon,lat\ndoor:胜利街:1,胜利街,1,,,,,{lon},{lat}\n"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def call(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    """One request on a new connection (bounded in time); the status and the JSON body (None if not JSON)."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return Answer(status, json.loads(raw))
    except ValueError:
        return Answer(status, None)


@dataclass(frozen=True)
class TwoWorkers:
    base: str
    database_url: str
    planner: dict[str, str]
    planner_name: str


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def two_worker_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The app under `uvicorn --workers 2` on a prepared database (a burst of 3 reports per client): its base URL
    and database URL. Started once per backend for the module's tests: three processes, each importing the app."""
    tmp_path = tmp_path_factory.mktemp("two-workers")
    sample = tmp_path / "sample"
    write_region(sample / SAMPLE_PATH)
    lon, lat = report_body()["lon"], report_body()["lat"]
    registry = tmp_path / "addresses.csv"
    registry.write_text(REGISTRY.format(lon=lon, lat=lat), encoding="utf-8")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    else:
        make: Callable[[], str] = request.getfixturevalue("migrated_postgis_databases")
        url = make()
    # Once before the workers start, as `gridmap serve` and `gridmap demo load` do.
    publish_region(url, sample)
    with open_store(url) as store:
        import_registry(store, registry)
    settings = {"report_burst": str(BURST), "reports_per_hour": "1", "jobs_dir": str(tmp_path / "jobs")}
    with running_app(tmp_path, url, sample, workers=2, **settings) as base:
        yield base, url


@pytest.fixture
def two_workers(two_worker_app: tuple[str, str]) -> TwoWorkers:
    """The app, with a planner of the test's own (a test revokes its planner's token); only the report test sends
    reports, so it alone draws on the burst."""
    base, url = two_worker_app
    name = f"规划员-{uuid.uuid4().hex[:8]}"
    with open_store(url) as store:
        planner = {"Authorization": f"Bearer {store.add_user(name, Role.PLANNER)}"}
    return TwoWorkers(base, url, planner, name)


def test_the_report_limit_admits_one_burst_across_both_workers(two_workers: TwoWorkers) -> None:
    body = json.dumps(report_body()).encode()

    def report(_n: int) -> int:
        headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        return call(f"{two_workers.base}/api/v1/incidents", method="POST", data=body, headers=headers).status

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        statuses = sorted(pool.map(report, range(ATTEMPTS)))
    assert statuses == [201] * BURST + [429] * (ATTEMPTS - BURST)


def test_a_geocoding_job_is_seen_by_every_poll(two_workers: TwoWorkers) -> None:
    base, planner = two_workers.base, two_workers.planner
    boundary = uuid.uuid4().hex
    upload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\nhousehold_id,address\r\nA1,胜利街1号\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()
    headers = {**planner, "Content-Type": f"multipart/form-data; boundary={boundary}"}

    def submit(_n: int) -> Answer:
        return call(f"{base}/api/v1/geocode/jobs", method="POST", data=upload, headers=headers)

    # Concurrent submissions, so that a busy worker leaves the next connection to the other; a few rounds at
    # most, until both workers have accepted a job (the second may still be starting at first).
    jobs: list[Answer] = []
    runners: set[str] = set()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _round in range(5):
            jobs += pool.map(submit, range(8))
            assert {job.status for job in jobs} == {202}
            with open_store(two_workers.database_url) as store:
                runners = {store.get_job(job.body["id"]).runner for job in jobs}
            if len(runners) == 2:
                break
        assert len(runners) == 2, f"every job landed on one worker ({runners}); the test would prove nothing"
        urls = [f"{base}/api/v1/geocode/jobs/{jobs[n % len(jobs)].body['id']}" for n in range(30)]
        polls = list(pool.map(lambda url: call(url, headers=planner), urls))
    assert [poll.status for poll in polls] == [200] * 30
    assert {poll.body["id"] for poll in polls} <= {job.body["id"] for job in jobs}

    last = jobs[-1].body["id"]
    for _ in range(300):  # a few seconds at most: the job geocodes one row
        status = call(f"{base}/api/v1/geocode/jobs/{last}", headers=planner).body["status"]
        if status in ("done", "failed"):
            break
        time.sleep(0.02)
    assert status == "done"
    results = [call(f"{base}/api/v1/geocode/jobs/{last}/result", headers=planner).status for _ in range(10)]
    assert results == [200] * 10


def test_a_revoked_token_is_refused_at_once_by_both_workers(two_workers: TwoWorkers) -> None:
    base, planner = two_workers.base, two_workers.planner
    assert [call(f"{base}/api/v1/incidents", headers=planner).status for _ in range(10)] == [200] * 10
    with open_store(two_workers.database_url) as store:
        [token] = [token for token in store.list_tokens() if token.user == two_workers.planner_name]
        store.revoke_token(token.id, at=datetime.now(UTC))
    assert [call(f"{base}/api/v1/incidents", headers=planner).status for _ in range(10)] == [401] * 10
