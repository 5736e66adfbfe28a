"""A viewer's token reports like an anonymous resident: accepted (not 403), recorded as a resident's report
through the app, and rate-limited like one; staff tokens still report under their own account."""

from __future__ import annotations

from gridmap.store.account_store import Role
from tests.api.conftest import AppFactory, TestClient, add_token, assert_problem, bearer
from tests.api.test_incidents import IN_00101, report_body


def test_a_viewer_reports_as_a_resident_through_the_app(make_client: AppFactory) -> None:
    client = make_client(report_burst=2, reports_per_hour=1.0)
    viewer = bearer(add_token(client, "看板用户", Role.VIEWER))
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    response = client.post("/api/v1/incidents", json=report_body(), headers=viewer)
    assert response.status_code == 201, response.text
    incident = client.get(f"/api/v1/incidents/{response.json()['id']}", headers=planner).json()
    assert incident["channel"] == "app"
    reported = incident["history"][0]
    assert (reported["actor"], reported["role"]) == ("resident", "resident")
    assert "看板用户" not in response.text + str(incident)
    # Open311 takes it too, and the two reports used the client's bucket of resident reports.
    lon, lat = IN_00101
    form = {"service_code": "noise_livestock", "lat": str(lat), "long": str(lon)}
    assert client.post("/open311/v2/requests.json", data=form, headers=viewer).status_code == 201
    assert_problem(client.post("/api/v1/incidents", json=report_body(), headers=viewer), 429)


def test_staff_still_report_under_their_own_account(client: TestClient) -> None:
    worker = bearer(add_token(client, "张发敏", Role.WORKER))
    response = client.post("/api/v1/incidents", json=report_body(channel="patrol"), headers=worker)
    assert response.status_code == 201, response.text
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    incident = client.get(f"/api/v1/incidents/{response.json()['id']}", headers=planner).json()
    assert (incident["channel"], incident["history"][0]["role"]) == ("patrol", "worker")
