"""The reporter's rating and pin moves over the API on both backends: the reporter key, staff tokens, re-routing."""

from __future__ import annotations

from typing import Any

import pytest

from gridmap.geo.crs import Datum, from_wgs84
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import grid_centre
from tests.api.test_incidents import COMMUNITY_1, IN_00101, report_body
from tests.boundary_builders import LAT0, LON0, STEP

REPORTER_KEY = "c3f1a0b2-resident-secret-7d41"
OTHER_KEY = "0000aaaa-someone-elses-key-99"
CENTRE_002 = grid_centre(0, 1, 1)  # the north-east grid of community 1
# 0.00005 degrees (about 5 m) west of the line between grids 001 and 002.
NEAR_001_002 = (LON0 + STEP - 0.00005, LAT0 + 1.5 * STEP)


def reported(client: TestClient, **values: Any) -> str:
    """The id of a new report at IN_00101 made with the reporter key."""
    response = client.post("/api/v1/incidents", json=report_body(reporter_key=REPORTER_KEY, **values))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def key(value: str) -> dict[str, str]:
    """The reporter key header."""
    return {"X-Reporter-Key": value}


@pytest.fixture
def tokens(client: TestClient) -> dict[str, dict[str, str]]:
    """Headers of a worker, a planner and a viewer."""
    return {
        "worker": bearer(add_token(client, "张发敏", Role.WORKER)),
        "planner": bearer(add_token(client, "规划员", Role.PLANNER)),
        "viewer": bearer(add_token(client, "访客", Role.VIEWER)),
    }


def close(client: TestClient, incident_id: str, tokens: dict[str, dict[str, str]]) -> None:
    """Take the incident through the workflow to closed."""
    url = f"/api/v1/incidents/{incident_id}/transitions"
    steps = [("accepted", "worker"), ("dispatched", "planner"), ("in_progress", "worker")]
    for to, role in [*steps, ("resolved", "worker"), ("closed", "planner")]:
        assert client.post(url, json={"to": to, "note": "处理"}, headers=tokens[role]).status_code == 200


def test_the_reporter_rates_a_closed_incident_once_with_their_key(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    incident_id = reported(client)
    url = f"/api/v1/incidents/{incident_id}/rating"
    not_closed = assert_problem(client.post(url, json={"rating": 5}, headers=key(REPORTER_KEY)), 409)
    assert "closed" in not_closed["detail"]
    close(client, incident_id, tokens)
    assert "X-Reporter-Key" in assert_problem(client.post(url, json={"rating": 5}), 403)["detail"]
    assert_problem(client.post(url, json={"rating": 5}, headers=key(OTHER_KEY)), 403)
    assert_problem(client.post(url, json={"rating": 5}, headers=tokens["planner"]), 403)  # a token is not the key
    assert_problem(client.post(url, json={"rating": 6}, headers=key(REPORTER_KEY)), 400)
    rated = client.post(url, json={"rating": 4, "note": "处理得快"}, headers=key(REPORTER_KEY))
    assert rated.status_code == 200, rated.text
    assert (rated.json()["rating"], rated.json()["status"]) == (4, "closed")
    again = assert_problem(client.post(url, json={"rating": 5}, headers=key(REPORTER_KEY)), 409)
    assert "already rated" in again["detail"]
    history = client.get(f"/api/v1/incidents/{incident_id}", headers=tokens["worker"]).json()["history"]
    assert (history[-1]["action"], history[-1]["rating"], history[-1]["role"]) == ("rate", 4, "resident")
    assert_problem(client.post("/api/v1/incidents/no-such/rating", json={"rating": 5}, headers=key(OTHER_KEY)), 404)


def test_an_incident_reported_without_a_key_cannot_be_rated_by_anyone(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    response = client.post("/api/v1/incidents", json=report_body())
    incident_id = response.json()["id"]
    close(client, incident_id, tokens)
    assert_problem(
        client.post(f"/api/v1/incidents/{incident_id}/rating", json={"rating": 5}, headers=key("x" * 16)), 403
    )
    assert_problem(client.post("/api/v1/incidents", json=report_body(reporter_key="short")), 400)


def test_the_reporter_moves_the_pin_to_another_grid_and_back(client: TestClient) -> None:
    incident_id = reported(client)
    url = f"/api/v1/incidents/{incident_id}/location"
    lon, lat = CENTRE_002
    moved = client.post(url, json={"lon": lon, "lat": lat}, headers=key(REPORTER_KEY))
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["grid"], body["microgrid"], body["worker"]) == (f"{COMMUNITY_1}002", f"{COMMUNITY_1}00201", "李秀英")
    assert (body["lon"], body["lat"]) == (lon, lat) and body["near_boundary"] is False
    assert body["history"][-1]["action"] == "move"
    assert f"{COMMUNITY_1}001 -> {COMMUNITY_1}002" in body["history"][-1]["note"]
    assert body["history"][-1]["actor"] == "resident"  # never a resident's name
    back = client.post(url, json={"lon": IN_00101[0], "lat": IN_00101[1]}, headers=key(REPORTER_KEY)).json()
    assert (back["grid"], back["worker"]) == (f"{COMMUNITY_1}001", "张发敏")
    assert [e["action"] for e in back["history"]] == ["report", "move", "move"]


def test_a_move_near_a_boundary_is_flagged(client: TestClient) -> None:
    first = client.post("/api/v1/incidents", json=report_body(reporter_key=REPORTER_KEY)).json()
    assert first["near_boundary"] is False and first["boundary_distance_m"] > 40  # about 49 m from the edge
    url = f"/api/v1/incidents/{first['id']}/location"
    lon, lat = NEAR_001_002
    near = client.post(url, json={"lon": lon, "lat": lat}, headers=key(REPORTER_KEY)).json()
    assert near["grid"] == f"{COMMUNITY_1}001" and near["near_boundary"] is True
    assert 4.0 < near["boundary_distance_m"] < 6.0
    reported_near = client.post("/api/v1/incidents", json=report_body(NEAR_001_002)).json()
    assert reported_near["near_boundary"] is True


def test_who_may_move_the_pin(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    incident_id = reported(client)
    url = f"/api/v1/incidents/{incident_id}/location"
    lon, lat = CENTRE_002
    point = {"lon": lon, "lat": lat}
    assert_problem(client.post(url, json=point), 401)
    assert_problem(client.post(url, json=point, headers=key(OTHER_KEY)), 403)
    assert_problem(client.post(url, json=point, headers=tokens["viewer"]), 403)
    by_worker = client.post(url, json=point, headers=tokens["worker"])
    assert by_worker.status_code == 200, by_worker.text
    assert (by_worker.json()["history"][-1]["actor"], by_worker.json()["history"][-1]["role"]) == ("张发敏", "worker")
    # Now in grid 002: out of 张发敏's reach, as if it did not exist; the dispatcher still reaches it.
    assert_problem(client.post(url, json=point, headers=tokens["worker"]), 404)
    outside = assert_problem(client.post(url, json={"lon": LON0 - STEP, "lat": LAT0}, headers=tokens["planner"]), 422)
    assert "outside every grid" in outside["detail"]
    assert_problem(client.post(url, json={"lon": 200, "lat": lat}, headers=tokens["planner"]), 422)
    assert_problem(client.post(url, json={**point, "datum": "mars"}, headers=tokens["planner"]), 422)
    assert_problem(client.post("/api/v1/incidents/no-such/location", json=point, headers=tokens["planner"]), 404)
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=tokens["planner"]).json()["grid"] == (
        f"{COMMUNITY_1}002"
    )


def test_no_move_after_dispatch(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    incident_id = reported(client)
    steps = f"/api/v1/incidents/{incident_id}/transitions"
    assert client.post(steps, json={"to": "accepted"}, headers=tokens["worker"]).status_code == 200
    assert client.post(steps, json={"to": "dispatched"}, headers=tokens["planner"]).status_code == 200
    lon, lat = CENTRE_002
    url = f"/api/v1/incidents/{incident_id}/location"
    assert_problem(client.post(url, json={"lon": lon, "lat": lat}, headers=key(REPORTER_KEY)), 409)
    assert_problem(client.post(url, json={"lon": lon, "lat": lat}, headers=tokens["planner"]), 409)
    read = client.get(f"/api/v1/incidents/{incident_id}", headers=tokens["worker"]).json()
    assert read["grid"] == f"{COMMUNITY_1}001"


def test_a_gcj02_pin_is_converted_before_routing(client: TestClient) -> None:
    incident_id = reported(client)
    gcj_lon, gcj_lat = (float(v) for v in from_wgs84(*CENTRE_002, Datum.GCJ02))
    assert abs(gcj_lon - CENTRE_002[0]) > 0.003  # the offset is hundreds of metres: more than a grid
    url = f"/api/v1/incidents/{incident_id}/location"
    body = client.post(url, json={"lon": gcj_lon, "lat": gcj_lat, "datum": "gcj02"}, headers=key(REPORTER_KEY))
    assert body.status_code == 200, body.text
    moved = body.json()
    assert moved["grid"] == f"{COMMUNITY_1}002"
    assert abs(moved["lon"] - CENTRE_002[0]) < 1e-5 and abs(moved["lat"] - CENTRE_002[1]) < 1e-5
