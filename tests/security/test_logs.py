"""No personal data in any log line: the real server, started as `gridmap serve` with its access log on, is
sent the requests that carry addresses, names, phones, descriptions and residents' positions, and its whole
output is searched for each value sent."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gridmap.api.log_privacy import REDACTED, RedactAccessLog, redact_query
from gridmap.api.problems import install_problem_handlers
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.api.conftest import publish_region
from tests.web.test_viewer import REPO, SAMPLE, _free_port, _wait_until_up, _write_sample

# Values no log line may hold: each is sent in at least one request below.
ADDRESS = "寿宁县鳌阳镇胜利街七十七号之九"
NAME = "欧阳测试"
PHONE = "13912345678"
DESCRIPTION = "楼下邻居每晚十一点后装修噪音"
EMAIL = "ouyang.test@example.cn"


def test_redact_query_keeps_names_and_public_values() -> None:
    redacted = redact_query(f"/api/v1/geocode?q={ADDRESS}&level=grid&lon=119.5&bbox=1,2,3,4")
    assert ADDRESS not in redacted and "119.5" not in redacted
    assert redacted.startswith("/api/v1/geocode?q=")
    assert "level=grid" in redacted and "bbox=1,2,3,4" in redacted
    assert redact_query("/api/v1/collections") == "/api/v1/collections"


def test_access_record_is_rewritten() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/v1/geocode?q={PHONE}", "1.1", 200), None,
    )  # fmt: skip
    assert RedactAccessLog().filter(record)
    assert PHONE not in record.getMessage()
    assert f"q={REDACTED}" in record.getMessage()


def test_unexpected_error_log_withholds_the_message(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise ValueError(f"cannot store {NAME} {PHONE}")

    with caplog.at_level(logging.DEBUG), TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
    logged = "\n".join(record.getMessage() + str(record.exc_info or "") for record in caplog.records)
    assert "ValueError" in logged  # the error is logged...
    assert PHONE not in logged and NAME not in logged  # ...without what it quoted


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str, tuple[float, float]]]:
    """`gridmap serve` on a new SQLite store where the sample region was published; its output goes to a file."""
    folder = tmp_path_factory.mktemp("logs")
    sample = _write_sample(folder / "sample")
    database_url = f"sqlite:///{folder / 'gridmap.db'}"
    publish_region(database_url, folder / "sample")  # `gridmap serve` loads nothing by itself
    port = _free_port()
    log_path = folder / "server.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "GRIDMAP_DATABASE_URL": database_url,
        "GRIDMAP_SAMPLE_DIR": str(folder / "sample"),
    }
    command = [sys.executable, "-m", "gridmap", "serve", "--port", str(port), "--access-log"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, process)
            store = open_store(database_url)
            try:
                token = store.add_user("规划员", Role.PLANNER)
            finally:
                store.close()
            grids = [f for f in json.loads(sample.read_text("utf-8"))["features"] if f["properties"]["level"] == "grid"]
            inside = shapely.geometry.shape(grids[0]["geometry"]).representative_point()
            yield base, log_path, token, (inside.x, inside.y)
        finally:
            process.terminate()
            process.wait(timeout=15)
    assert SAMPLE.name in sample.name


def _personal_requests(base: str, token: str, point: tuple[float, float]) -> list[httpx.Response]:
    lon, lat = point
    planner = {"Authorization": f"Bearer {token}"}
    json_body = {"content-type": "application/json"}
    report: dict[str, Any] = {
        "category": "environment_noise",
        "lon": lon,
        "lat": lat,
        "description": DESCRIPTION,
        "address": ADDRESS,
        "reporter": NAME,
    }
    with httpx.Client(base_url=base, timeout=30) as http:
        categories = http.get("/open311/v2/services.json").json()
        report["category"] = categories[0]["service_code"]
        return [
            http.get("/api/v1/geocode", params={"q": ADDRESS}),
            http.get("/api/v1/geocode", params={"q": f"{NAME} {PHONE}"}, headers=planner),
            http.get("/api/v1/locate", params={"lon": lon, "lat": lat}),
            http.post("/api/v1/incidents", json=report),
            http.post("/api/v1/incidents", json={**report, "lon": "not a number", "reporter": PHONE}),
            http.post("/api/v1/incidents", content=f'{{"phone": "{PHONE}"', headers=json_body),
            http.post(
                "/api/v1/incidents/reports",
                data={**{k: str(v) for k, v in report.items()}, "description": f"{DESCRIPTION} {PHONE}"},
                files={"photos": ("a.png", b"not an image " + PHONE.encode(), "image/png")},
            ),
            http.post(
                "/open311/v2/requests.json",
                data={
                    "service_code": report["category"],
                    "lat": str(lat),
                    "long": str(lon),
                    "description": DESCRIPTION,
                    "address_string": ADDRESS,
                    "first_name": NAME,
                    "phone": PHONE,
                    "email": EMAIL,
                },
            ),
            http.get("/api/v1/incidents", params={"q": PHONE}, headers=planner),
            http.get(f"/api/v1/geocode?q={PHONE}%00", headers=planner),
        ]  # fmt: skip


def test_no_personal_value_reaches_the_server_log(served: tuple[str, Path, str, tuple[float, float]]) -> None:
    base, log_path, token, point = served
    answers = _personal_requests(base, token, point)
    assert any(answer.status_code == 201 for answer in answers)  # reports were really stored
    time.sleep(0.5)  # let the server flush its access lines
    logged = log_path.read_text(encoding="utf-8", errors="replace")
    assert "/api/v1/geocode?q=" in logged  # the access log is on and saw the requests...
    for value in (ADDRESS, NAME, PHONE, DESCRIPTION, EMAIL, f"{point[0]}", f"{point[1]}"):
        assert value not in logged, f"{value!r} reached the server log"
    # ...also percent-encoded, as a query string carries it
    for value in (ADDRESS, NAME, DESCRIPTION):
        encoded = httpx.URL("/", params={"q": value}).query.decode()
        assert encoded[2:] not in logged
