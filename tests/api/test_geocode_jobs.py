"""POST /api/v1/geocode/jobs and the job's status and result: batch geocoding in the background, for planners."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN
from tests.api.test_geocode import write_registry

JOBS = "/api/v1/geocode/jobs"
UPLOAD = (
    "household_id,address,lon,lat,head_name,phone\n"
    "A1,福建省寿宁县胜利街五号,,,测试甲,138****0001\n"
    "A2,胜利街3号,,,测试乙,\n"
    "A3,不存在路99号,,,,\n"
    "\n"
    "A4,,999,999,,\n"
)


def submit(client: TestClient, headers: dict[str, str], body: str | bytes = UPLOAD, **form: str) -> Any:
    content = body.encode("utf-8") if isinstance(body, str) else body
    files = {"file": ("../地址.csv", content, "text/csv")}
    return client.post(JOBS, files=files, data=form, headers=headers)


def finished(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """The job's status once it is done or failed (within ten seconds)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"{JOBS}/{job_id}", headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_job_geocodes_the_upload_and_offers_the_result(client: TestClient, planner_headers: dict[str, str]) -> None:
    write_registry(client)
    response = submit(client, planner_headers)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in ("queued", "running", "done") and job["created_by"] == "规划员"
    assert response.headers["location"].endswith(f"{JOBS}/{job['id']}")
    assert job["filename"] == "地址.csv"

    status = finished(client, job["id"], planner_headers)
    assert status["status"] == "done", status
    assert status["rows_done"] == 4 and status["finished_at"]
    summary = status["summary"]
    assert (summary["rows"], summary["unmatched"], summary["row_errors"]) == (4, 2, 1)
    assert summary["levels"]["door"] == 2 and summary["assignments"] == {"covered": 2}
    assert "测试" not in str(status)

    result = client.get(f"{JOBS}/{job['id']}/result", headers=planner_headers)
    assert result.status_code == 200 and result.headers["content-type"].startswith("text/csv")
    rows = {row["household_id"]: row for row in csv.DictReader(io.StringIO(result.text))}
    assert rows["A1"]["grid_code"] == f"{TOWN}001004" and rows["A1"]["match_level"] == "door"
    assert rows["A1"]["head_name"] == "测试甲"  # the owner gets their own columns back
    assert rows["A3"]["match_level"] == "none" and rows["A4"]["row_error"] == "coordinates out of range"


def test_only_planners_submit_and_only_the_owner_or_an_admin_reads(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    write_registry(client)
    assert_problem(submit(client, {}), 401)
    for role in (Role.VIEWER, Role.WORKER):
        assert_problem(submit(client, bearer(add_token(client, f"user-{role.value}", role))), 403)
    job_id = submit(client, planner_headers).json()["id"]
    finished(client, job_id, planner_headers)

    other = bearer(add_token(client, "另一规划员", Role.PLANNER))
    assert_problem(client.get(f"{JOBS}/{job_id}", headers=other), 403)
    assert_problem(client.get(f"{JOBS}/{job_id}/result", headers=other), 403)
    admin = bearer(add_token(client, "管理员", Role.ADMIN))
    assert client.get(f"{JOBS}/{job_id}/result", headers=admin).status_code == 200
    viewer = bearer(add_token(client, "居民", Role.VIEWER))
    assert_problem(client.get(f"{JOBS}/{job_id}", headers=viewer), 403)


def test_unknown_jobs_bad_files_and_bad_options(client: TestClient, planner_headers: dict[str, str]) -> None:
    write_registry(client)
    body = assert_problem(client.get(f"{JOBS}/{'0' * 32}", headers=planner_headers), 404)
    assert f"there is no geocode job {'0' * 32}" in body["detail"]
    assert_problem(client.get(f"{JOBS}/not-an-id", headers=planner_headers), 400)
    assert_problem(submit(client, planner_headers, crs="mars"), 400)

    job_id = submit(client, planner_headers, "name,phone\n张三,1\n").json()["id"]
    status = finished(client, job_id, planner_headers)
    assert status["status"] == "failed" and "地址.csv" in status["error"] and "address" in status["error"]
    assert "/tmp" not in status["error"]
    body = assert_problem(client.get(f"{JOBS}/{job_id}/result", headers=planner_headers), 409)
    assert "failed" in body["detail"]


def test_gbk_uploads_are_read(client: TestClient, planner_headers: dict[str, str]) -> None:
    write_registry(client)
    job_id = submit(client, planner_headers, "household_id,address\nG1,胜利街5号\n".encode("gbk")).json()["id"]
    assert finished(client, job_id, planner_headers)["summary"]["levels"] == {"door": 1}
    result = client.get(f"{JOBS}/{job_id}/result", headers=planner_headers).text
    assert "胜利街5号" in result and f"{TOWN}001004" in result


def test_without_a_registry_in_the_store_no_job_starts(client: TestClient, planner_headers: dict[str, str]) -> None:
    body = assert_problem(submit(client, planner_headers), 404)
    assert body["detail"] == "no address registry is loaded: gridmap registry import FILE"
    assert client.app.state.store.list_jobs("geocode") == []  # type: ignore[attr-defined]
