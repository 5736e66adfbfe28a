"""The incident API on both backends: report (routing, idempotency, rate limit), list, read, transitions."""

from __future__ import annotations

from typing import Any

from gridmap.geo.crs import Datum, from_wgs84
from gridmap.store.account_store import Role
from tests.api.conftest import AppFactory, TestClient, add_token, assert_problem, bearer
from tests.boundary_builders import LAT0, LON0, STEP

COMMUNITY_1 = "350924100001"
IN_00101 = (LON0 + 0.25 * STEP, LAT0 + 1.5 * STEP)  # west half of grid 001 (north-west cell)


def report_body(where: tuple[float, float] = IN_00101, **values: Any) -> dict[str, Any]:
    """A resident's report of noisy chickens at `where`."""
    lon, lat = where
    return {"category": "noise_livestock", "lon": lon, "lat": lat, "description": "邻居家的鸡", **values}


def test_a_report_is_routed_to_its_grid_and_worker(client: TestClient) -> None:
    response = client.post("/api/v1/incidents", json=report_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["community"], body["grid"], body["microgrid"]) == (
        COMMUNITY_1,
        f"{COMMUNITY_1}001",
        f"{COMMUNITY_1}00101",
    )
    assert body["worker"] == "张发敏" and body["status"] == "reported" and "reporter" not in body


def test_a_point_outside_every_grid_is_refused_saying_so(client: TestClient) -> None:
    body = assert_problem(client.post("/api/v1/incidents", json=report_body((LON0 - STEP, LAT0))), 422)
    assert "grid" in body["detail"]
    assert_problem(client.post("/api/v1/incidents", json=report_body(category="no_such")), 422)


def test_an_idempotency_key_makes_one_incident(client: TestClient) -> None:
    key = {"Idempotency-Key": "0b7c8e0e-report-1"}
    first = client.post("/api/v1/incidents", json=report_body(), headers=key)
    again = client.post("/api/v1/incidents", json=report_body(), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert_problem(client.post("/api/v1/incidents", json=report_body(description="别的事"), headers=key), 409)
    staff = bearer(add_token(client, "规划员", Role.PLANNER))
    assert client.get("/api/v1/incidents", headers=staff).json()["matched"] == 1


def test_public_reports_are_rate_limited_per_client(make_client: AppFactory) -> None:
    client = make_client(report_burst=2, reports_per_hour=1.0)
    assert [client.post("/api/v1/incidents", json=report_body()).status_code for _ in range(2)] == [201, 201]
    refused = client.post("/api/v1/incidents", json=report_body())
    assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) > 3000
    # Staff reporting with a token (patrols) are not limited.
    worker = bearer(add_token(client, "张发敏", Role.WORKER))
    assert client.post("/api/v1/incidents", json=report_body(channel="patrol"), headers=worker).status_code == 201


def test_listing_filters_and_pages(client: TestClient) -> None:
    staff = bearer(add_token(client, "规划员", Role.PLANNER))
    for lon, lat in (IN_00101, (LON0 + 1.5 * STEP, LAT0 + 0.5 * STEP), IN_00101):
        assert client.post("/api/v1/incidents", json=report_body((lon, lat))).status_code == 201
    assert_problem(client.get("/api/v1/incidents"), 401)
    everything = client.get("/api/v1/incidents", headers=staff).json()
    assert everything["matched"] == 3 and len(everything["incidents"]) == 3
    in_001 = client.get(f"/api/v1/incidents?grid={COMMUNITY_1}001&limit=1", headers=staff).json()
    assert in_001["matched"] == 2 and len(in_001["incidents"]) == 1
    bbox = f"{LON0 + STEP},{LAT0},{LON0 + 2 * STEP},{LAT0 + STEP}"
    assert client.get(f"/api/v1/incidents?bbox={bbox}", headers=staff).json()["matched"] == 1
    assert client.get("/api/v1/incidents?status=accepted", headers=staff).json()["matched"] == 0
    assert_problem(client.get("/api/v1/incidents?status=done", headers=staff), 400)
    assert_problem(client.get("/api/v1/incidents?since=2026-10-01T00:00:00", headers=staff), 400)
    later = client.get("/api/v1/incidents?since=2099-01-01T00:00:00%2B08:00", headers=staff).json()
    assert later["matched"] == 0


def test_transitions_follow_the_workflow_and_its_roles(client: TestClient) -> None:
    incident_id = client.post("/api/v1/incidents", json=report_body()).json()["id"]
    worker = bearer(add_token(client, "张发敏", Role.WORKER))
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    viewer = bearer(add_token(client, "访客", Role.VIEWER))
    url = f"/api/v1/incidents/{incident_id}/transitions"
    assert_problem(client.post(url, json={"to": "accepted"}), 401)
    assert_problem(client.post(url, json={"to": "accepted"}, headers=viewer), 403)
    body = assert_problem(client.post(url, json={"to": "resolved"}, headers=worker), 409)
    assert "allowed next: accepted, rejected, duplicate" in body["detail"]
    assert client.post(url, json={"to": "accepted"}, headers=worker).status_code == 200
    assert_problem(client.post(url, json={"to": "dispatched"}, headers=worker), 403)
    assert client.post(url, json={"to": "dispatched", "note": "张发敏去看"}, headers=planner).status_code == 200
    assert_problem(client.post(url, json={"to": "closed"}, headers=planner), 409)
    read = client.get(f"/api/v1/incidents/{incident_id}", headers=worker).json()
    assert read["status"] == "dispatched"
    assert [(e["action"], e["to"]) for e in read["history"]] == [
        ("report", "reported"),
        ("transition", "accepted"),
        ("transition", "dispatched"),
    ]
    assert read["history"][2]["actor"] == "规划员" and read["history"][2]["note"] == "张发敏去看"
    assert_problem(client.get("/api/v1/incidents/no-such", headers=worker), 404)
    assert_problem(client.post("/api/v1/incidents/no-such/transitions", json={"to": "accepted"}, headers=worker), 404)


def test_open311_services_requests_and_one_request(client: TestClient) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert {"noise_livestock", "other"} <= {s["service_code"] for s in services}
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)
    lon, lat = IN_00101
    form = {"service_code": "noise_livestock", "lat": str(lat), "long": str(lon), "description": "鸡", "phone": "138"}
    posted = client.post("/open311/v2/requests.json", data=form)
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    item = client.get(f"/open311/v2/requests/{request_id}.json").json()[0]
    assert (item["service_request_id"], item["status"], item["agency_responsible"]) == (request_id, "open", COMMUNITY_1)
    assert "phone" not in item and "138" not in str(item)
    assert [i["service_request_id"] for i in client.get("/open311/v2/requests.json?status=open").json()] == [request_id]
    assert client.get("/open311/v2/requests.json?status=closed").json() == []
    assert client.get("/open311/v2/requests.json?page=2&page_size=1").json() == []
    assert_problem(client.get("/open311/v2/requests.json?status=pending"), 400)
    assert_problem(client.get("/open311/v2/requests.json?page_size=500"), 400)
    assert_problem(client.get("/open311/v2/requests/no-such.json"), 404)
    body = assert_problem(client.post("/open311/v2/requests.json", data={**form, "lat": "91"}), 422)
    assert "field 'lat'" in body["detail"]


def test_open311_gcj02_points_are_converted_before_routing(client: TestClient) -> None:
    gcj_lon, gcj_lat = (float(v) for v in from_wgs84(*IN_00101, Datum.GCJ02))
    form = {"service_code": "other", "lat": str(gcj_lat), "long": str(gcj_lon), "datum": "gcj02"}
    posted = client.post("/open311/v2/requests.json", data=form)
    assert posted.status_code == 201, posted.text
    staff = bearer(add_token(client, "调度员", Role.PLANNER))  # exact points; the public's are generalised
    item = client.get(f"/open311/v2/requests/{posted.json()[0]['service_request_id']}.json", headers=staff).json()[0]
    assert abs(item["long"] - IN_00101[0]) < 1e-5 and abs(item["lat"] - IN_00101[1]) < 1e-5


def test_the_categories_stay_public_when_reading_is_not(make_client: AppFactory) -> None:
    client = make_client(public_read=False)
    services = client.get("/open311/v2/services.json")
    assert services.status_code == 200
    assert "illegal_construction" in {s["service_code"] for s in services.json()}
    assert_problem(client.get("/open311/v2/requests.json"), 401)
