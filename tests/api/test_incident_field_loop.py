"""The field loop through the API, on both backends: a dispatcher asks the worker to verify a report before filing
(核实) and to check a fix before closing (核查); after photos for the categories that need them; the rules' refusals
name the rule; near-boundary reports list both candidate grids."""

from __future__ import annotations

from typing import Any

from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.test_incident_photos import photo_files
from tests.api.test_incidents import COMMUNITY_1, report_body
from tests.boundary_builders import LAT0, LON0, STEP
from tests.incidents.test_photos import image_bytes

GRID_001, GRID_002 = f"{COMMUNITY_1}001", f"{COMMUNITY_1}002"
# About 2 m west of the border between grids 001 and 002 (STEP is about 200 m).
NEAR_002 = (LON0 + 0.99 * STEP, LAT0 + 1.5 * STEP)


def staff_headers(client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    """Headers of grid 001's worker and of a dispatcher."""
    return bearer(add_token(client, "张发敏", Role.WORKER)), bearer(add_token(client, "规划员", Role.PLANNER))


def reported(client: TestClient, **values: Any) -> str:
    response = client.post("/api/v1/incidents", json=report_body(**values))
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["id"]
    return incident_id


def post(client: TestClient, incident_id: str, route: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/incidents/{incident_id}/{route}", json=body, headers=headers)


def step(client: TestClient, incident_id: str, to: str, headers: dict[str, str], note: str = "") -> dict[str, Any]:
    response = post(client, incident_id, "transitions", {"to": to, "note": note}, headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def add_after_photo(client: TestClient, incident_id: str, headers: dict[str, str]) -> dict[str, Any]:
    files = photo_files(("fixed.jpg", image_bytes("JPEG")))
    response = client.post(
        f"/api/v1/incidents/{incident_id}/photos",
        data={"kind": "after", "note": "修好了"},
        files=files,
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_worker_verifies_a_report_from_their_queue_before_it_is_filed(client: TestClient) -> None:
    worker, planner = staff_headers(client)
    incident_id = reported(client)
    assert_problem(post(client, incident_id, "field-task", {"task": "verify"}, worker), 403)
    asked = post(client, incident_id, "field-task", {"task": "verify", "note": "请现场核实"}, planner).json()
    assert (asked["status"], asked["field_task"]) == ("reported", "verify")
    assert_problem(post(client, incident_id, "field-task", {"task": "verify"}, planner), 409)  # one waits already
    queue = client.get("/api/v1/incidents?field_task=verify", headers=worker).json()
    assert [found["id"] for found in queue["incidents"]] == [incident_id]
    assert client.get("/api/v1/incidents?field_task=check", headers=worker).json()["matched"] == 0
    assert_problem(
        post(client, incident_id, "field-answer", {"task": "verify", "confirmed": False}, worker), 422
    )  # says what was seen
    verified = post(
        client, incident_id, "field-answer", {"task": "verify", "confirmed": True, "note": "确有其事"}, worker
    ).json()
    assert (verified["status"], verified["field_task"]) == ("reported", None)
    assert [e["action"] for e in verified["history"]] == ["report", "verify_request", "verify_confirm"]
    assert client.get("/api/v1/incidents?field_task=verify", headers=worker).json()["matched"] == 0
    assert step(client, incident_id, "accepted", planner)["status"] == "accepted"
    assert_problem(
        post(client, incident_id, "field-answer", {"task": "verify", "confirmed": True}, worker), 409
    )  # filed: too late


def test_a_flagged_category_is_resolved_with_an_after_photo_and_closed_after_a_check(client: TestClient) -> None:
    worker, planner = staff_headers(client)
    incident_id = reported(client, category="public_facilities", description="路灯不亮")
    for status in ("accepted", "dispatched", "in_progress"):
        step(client, incident_id, status, planner)
    refused = assert_problem(post(client, incident_id, "transitions", {"to": "resolved"}, worker), 409)
    assert refused["rule"] == "after_photo_before_resolving" and "after photo" in refused["detail"]
    with_photo = add_after_photo(client, incident_id, worker)
    assert [(p["kind"], p["url"]) for p in with_photo["photo_details"]] == [
        ("after", f"/api/v1/incidents/{incident_id}/photos/1")
    ]
    assert client.get(f"/api/v1/incidents/{incident_id}/photos/1", headers=worker).status_code == 200
    step(client, incident_id, "resolved", worker, "已更换灯泡")

    refused = assert_problem(post(client, incident_id, "transitions", {"to": "closed"}, planner), 409)
    assert refused["rule"] == "check_before_closing"
    assert_problem(post(client, incident_id, "field-task", {"task": "check"}, worker), 403)
    assert post(client, incident_id, "field-task", {"task": "check"}, planner).json()["field_task"] == "check"
    queue = client.get("/api/v1/incidents?field_task=check", headers=worker).json()
    assert [found["id"] for found in queue["incidents"]] == [incident_id]
    assert_problem(post(client, incident_id, "field-answer", {"task": "check", "confirmed": False}, worker), 422)
    failed = post(
        client, incident_id, "field-answer", {"task": "check", "confirmed": False, "note": "灯又灭了"}, worker
    ).json()
    assert (failed["status"], failed["field_task"], failed["stage"]) == ("in_progress", None, "handle")
    # The photo of the failed fix does not count for the next one.
    refused = assert_problem(post(client, incident_id, "transitions", {"to": "resolved"}, worker), 409)
    assert refused["rule"] == "after_photo_before_resolving"
    second = add_after_photo(client, incident_id, worker)
    assert [p["url"].rsplit("/", 1)[1] for p in second["photo_details"]] == ["1", "2"]
    step(client, incident_id, "resolved", worker, "换了线路")
    assert (
        post(client, incident_id, "field-answer", {"task": "check", "confirmed": True, "note": "正常"}, worker).json()[
            "status"
        ]
        == "resolved"
    )
    closed = step(client, incident_id, "closed", planner)
    assert closed["status"] == "closed"
    assert_problem(add_photos_response(client, incident_id, worker), 409)  # final: no more photos


def add_photos_response(client: TestClient, incident_id: str, headers: dict[str, str]) -> Any:
    files = photo_files(("late.jpg", image_bytes("JPEG")))
    return client.post(f"/api/v1/incidents/{incident_id}/photos", data={"kind": "after"}, files=files, headers=headers)


def test_an_unflagged_category_closes_without_photo_or_check_and_reporter_photos_are_before(
    client: TestClient,
) -> None:
    _, planner = staff_headers(client)
    files = photo_files(("chickens.jpg", image_bytes("JPEG")))
    form = {key: str(value) for key, value in report_body().items()}
    incident_id = client.post("/api/v1/incidents/reports", data=form, files=files).json()["id"]
    for status in ("accepted", "dispatched", "in_progress", "resolved", "closed"):
        body = step(client, incident_id, status, planner)
    assert body["status"] == "closed"
    assert [p["kind"] for p in body["photo_details"]] == ["before"]
    assert_problem(client.post(f"/api/v1/incidents/{incident_id}/photos", data={"kind": "after"}, headers=planner), 422)


def test_a_report_near_a_boundary_lists_both_candidate_grids(client: TestClient) -> None:
    _, planner = staff_headers(client)
    near = client.get(f"/api/v1/incidents/{reported(client, where=NEAR_002)}", headers=planner).json()
    assert near["near_boundary"] is True
    assert (near["grid"], near["candidate_grids"]) == (GRID_001, [GRID_001, GRID_002])
    inside = client.get(f"/api/v1/incidents/{reported(client)}", headers=planner).json()
    assert (inside["near_boundary"], inside["candidate_grids"], inside["neighbour_grid"]) == (False, [], None)
