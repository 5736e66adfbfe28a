"""POST /api/v1/households/assign: a household table assigned to grids in the background, for planners."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import geopandas as gpd
import shapely

from gridmap.api.app import create_app
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN
from tests.boundary_builders import LAT0, LON0, STEP

JOBS = "/api/v1/households/assign"
INSIDE = (LON0 + 0.5 * STEP, LAT0 + 1.5 * STEP)  # grid 001001
ON_EDGE = (LON0 + STEP, LAT0 + 1.5 * STEP)  # grids 001001 and 001002: the smaller code
OUTSIDE = (LON0 - 0.5 * STEP, LAT0 + 1.5 * STEP)  # west of 001001
UPLOAD = (
    "household_id,lon,lat,head_name\n"
    f"A1,{INSIDE[0]},{INSIDE[1]},测试甲\n"
    f"A2,{ON_EDGE[0]},{ON_EDGE[1]},测试乙\n"
    f"A3,{OUTSIDE[0]},{OUTSIDE[1]},\n"
    "A4,,,\n"
)


def submit(client: TestClient, headers: dict[str, str], body: bytes, name: str = "../住户.csv", **form: str) -> Any:
    return client.post(JOBS, files={"file": (name, body, "application/octet-stream")}, data=form, headers=headers)


def finished(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """The job's status once it is done or failed (within twenty seconds)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"{JOBS}/{job_id}", headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def result_rows(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, dict[str, str]]:
    result = client.get(f"{JOBS}/{job_id}/result", headers=headers)
    assert result.status_code == 200 and result.headers["content-type"].startswith("text/csv")
    return {row["household_id"]: row for row in csv.DictReader(io.StringIO(result.text))}


def test_a_job_assigns_the_upload_and_survives_a_restart(client: TestClient, planner_headers: dict[str, str]) -> None:
    response = submit(client, planner_headers, UPLOAD.encode("gbk"))
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"].endswith(f"{JOBS}/{job['id']}")
    assert job["filename"] == "住户.csv"
    status = finished(client, job["id"], planner_headers)
    assert status["status"] == "done", status
    assert status["rows_done"] == 4
    summary = status["summary"]
    assert summary["rows"] == 4 and summary["unlocated"] == 1
    assert summary["covered"]["grid"] == 2 and summary["uncovered"]["grid"] == 1
    assert "测试" not in str(status)
    rows = result_rows(client, job["id"], planner_headers)
    assert rows["A1"]["grid_code"] == f"{TOWN}001001" and rows["A1"]["head_name"] == "测试甲"
    assert rows["A2"]["grid_code"] == f"{TOWN}001001"
    assert rows["A2"]["microgrid_code"].startswith(f"{TOWN}001001")
    assert rows["A3"]["grid_code"] == "" and rows["A3"]["nearest_grid_code"] == f"{TOWN}001001"
    assert 90 < float(rows["A3"]["distance_m"]) < 110  # half a step, about 100 m
    assert rows["A4"]["location_source"] == ""

    settings = client.app.state.settings  # type: ignore[attr-defined]
    with TestClient(create_app(settings)) as restarted:
        assert finished(restarted, job["id"], planner_headers)["summary"] == summary
        assert result_rows(restarted, job["id"], planner_headers)["A1"]["grid_code"] == f"{TOWN}001001"


def test_geopackage_uploads_and_a_chosen_version(client: TestClient, planner_headers: dict[str, str]) -> None:
    frame = gpd.GeoDataFrame({"household_id": ["G1"]}, geometry=[shapely.Point(*INSIDE)], crs=4326)
    buffer = io.BytesIO()
    frame.to_file(buffer, driver="GPKG")
    job_id = submit(client, planner_headers, buffer.getvalue(), name="homes.gpkg", version="1").json()["id"]
    assert finished(client, job_id, planner_headers)["status"] == "done"
    assert result_rows(client, job_id, planner_headers)["G1"]["grid_code"] == f"{TOWN}001001"


def test_who_may_do_what_and_bad_requests(client: TestClient, planner_headers: dict[str, str]) -> None:
    assert_problem(submit(client, {}, UPLOAD.encode()), 401)
    assert_problem(submit(client, bearer(add_token(client, "居民", Role.VIEWER)), UPLOAD.encode()), 403)
    assert_problem(submit(client, planner_headers, UPLOAD.encode(), version="99"), 404)
    assert_problem(submit(client, planner_headers, UPLOAD.encode(), crs="mars"), 400)
    assert_problem(submit(client, planner_headers, b"x", name="homes.xlsx"), 422)
    job_id = submit(client, planner_headers, b"household_id,name\nH1,x\n").json()["id"]
    status = finished(client, job_id, planner_headers)
    assert status["status"] == "failed" and "住户.csv" in status["error"] and "/tmp" not in status["error"]
    assert_problem(client.get(f"{JOBS}/{job_id}/result", headers=planner_headers), 409)
    other = bearer(add_token(client, "另一规划员", Role.PLANNER))
    assert_problem(client.get(f"{JOBS}/{job_id}", headers=other), 403)
    assert_problem(client.get(f"{JOBS}/{'0' * 32}", headers=planner_headers), 404)
