"""Incident numbers and the clock through the API, on both backends: numbers given once and found again, due
times per stage, the overdue and due-soon filters, holds, extensions and sending back.

The app's clock is the real one, so nothing here asserts a wall-clock time: due times are checked against the
app's own working calendar, and the overdue cases are made by moving a stored due time into the past.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gridmap.incidents.calendar import CHINA_TIME
from gridmap.incidents.deadlines import Stage
from gridmap.incidents.open311 import parse_report
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.services import incidents as incident_service
from gridmap.services.incident_clock import IncidentRules
from gridmap.store.account_store import Role
from tests.api.conftest import AppFactory, TestClient, add_token, assert_problem, bearer
from tests.api.test_incidents import IN_00101, report_body

# Declares this year and the next as plain Monday-Friday years, so that the tests pass in any year, whether or
# not chinesecalendar knows it yet (the real calendar is tested in tests/incidents/test_calendar.py).
LIMITS = """
[working_hours]
periods = ["08:30-12:00", "14:00-17:30"]
[default]
file = "2h"
dispatch = "2h"
handle = "3d"
check = "1d"
[categories.illegal_construction]
handle = "1d"
[calendar.years.{this}]
[calendar.years.{next}]
"""


@pytest.fixture
def due_client(make_client: AppFactory, tmp_path: Path) -> TestClient:
    """An app whose working calendar covers this year and the next."""
    year = datetime.now(CHINA_TIME).year
    path = tmp_path / "limits.toml"
    path.write_text(LIMITS.format(this=year, next=year + 1), encoding="utf-8")
    return make_client(time_limits=path)


def rules(client: TestClient) -> IncidentRules:
    found: IncidentRules = client.app.state.incident_rules  # type: ignore[attr-defined]
    return found


def report(client: TestClient, **values: Any) -> dict[str, Any]:
    response = client.post("/api/v1/incidents", json=report_body(**values))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def set_due(client: TestClient, incident_id: str, due_at: datetime) -> None:
    """Move a stored incident's due time (its trail unchanged), as time passing would."""
    store = client.app.state.store  # type: ignore[attr-defined]
    store.change_incident(incident_id, lambda incident: replace(incident, due_at=due_at))


def test_reports_get_the_days_next_number_and_are_found_by_it(due_client: TestClient) -> None:
    first, second = report(due_client), report(due_client, description="楼道堆放杂物")
    day = at(first["reported_at"]).astimezone(CHINA_TIME).strftime("%Y%m%d")
    assert first["number"] == f"SN-{day}-0001" and second["number"] == f"SN-{day}-0002"
    staff = bearer(add_token(due_client, "规划员", Role.PLANNER))
    by_number = due_client.get(f"/api/v1/incidents?number={second['number'].lower()}", headers=staff).json()
    assert [found["id"] for found in by_number["incidents"]] == [second["id"]]
    by_q = due_client.get(f"/api/v1/incidents?q={first['number']}", headers=staff).json()
    assert [found["id"] for found in by_q["incidents"]] == [first["id"]]
    by_text = due_client.get("/api/v1/incidents?q=杂物", headers=staff).json()
    assert [found["id"] for found in by_text["incidents"]] == [second["id"]]
    assert due_client.get(f"/api/v1/incidents/{first['id']}", headers=staff).json()["number"] == first["number"]


def test_the_prefix_is_the_countys_setting(make_client: AppFactory) -> None:
    client = make_client(incident_number_prefix="GT")
    assert report(client)["number"].startswith("GT-")


def test_concurrent_reports_never_share_a_number(due_client: TestClient) -> None:
    app = due_client.app
    reported_at = datetime(2026, 11, 27, 10, 0, tzinfo=CHINA_TIME)
    form = {"service_code": "noise_livestock", "long": str(IN_00101[0]), "lat": str(IN_00101[1]), "description": "鸡"}

    def one(_: int) -> str | None:
        incident, _created = incident_service.report_incident(
            store=app.state.store,  # type: ignore[attr-defined]
            locators=app.state.locators,  # type: ignore[attr-defined]
            version=app.state.versions.default(),  # type: ignore[attr-defined]
            request=parse_report(form, default_taxonomy()),
            reporter="resident",
            role="resident",
            at=reported_at,
            rules=rules(due_client),
        )
        return incident.number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(one, range(24)))
    assert sorted(n or "" for n in numbers) == [f"SN-20261127-{seq:04d}" for seq in range(1, 25)]


def test_each_stage_gets_its_due_time_in_working_time(due_client: TestClient) -> None:
    incident = report(due_client)
    calendar = rules(due_client).limits.calendar
    assert incident["stage"] == "file"
    assert at(incident["due_at"]) == calendar.add(at(incident["reported_at"]), timedelta(hours=2))
    planner = bearer(add_token(due_client, "规划员", Role.PLANNER))
    url = f"/api/v1/incidents/{incident['id']}"
    for status, stage in (("accepted", Stage.DISPATCH), ("dispatched", Stage.HANDLE)):
        moved = due_client.post(f"{url}/transitions", json={"to": status}, headers=planner).json()
        step_at = at(moved["history"][-1]["at"])
        assert moved["stage"] == stage.value
        assert at(moved["due_at"]) == rules(due_client).limits.due("noise_livestock", stage, step_at)
        assert moved["overdue"] is False
    # Starting the work keeps the handling clock.
    started = due_client.post(f"{url}/transitions", json={"to": "in_progress"}, headers=planner).json()
    assert started["due_at"] == moved["due_at"]
    for status in ("resolved", "closed"):
        done = due_client.post(f"{url}/transitions", json={"to": status}, headers=planner).json()
    assert (done["stage"], done["due_at"], done["overdue"]) == (None, None, False)


def test_queues_filter_and_sort_by_due_time(due_client: TestClient) -> None:
    late, soon, later = report(due_client), report(due_client), report(due_client)
    now = datetime.now(UTC)
    set_due(due_client, late["id"], now - timedelta(days=2))
    set_due(due_client, soon["id"], now + timedelta(minutes=1))
    set_due(due_client, later["id"], now + timedelta(days=200))
    staff = bearer(add_token(due_client, "规划员", Role.PLANNER))

    def ids(query: str) -> list[str]:
        answer = due_client.get(f"/api/v1/incidents?{query}", headers=staff)
        assert answer.status_code == 200, answer.text
        return [found["id"] for found in answer.json()["incidents"]]

    assert ids("overdue=true") == [late["id"]]
    assert ids("due_within_hours=4&sort=due") == [late["id"], soon["id"]]
    assert ids("sort=due") == [late["id"], soon["id"], later["id"]]
    # 2000 working hours run past the two years the calendar knows here: the window holds every due time.
    assert ids("due_within_hours=2000&sort=due") == [late["id"], soon["id"], later["id"]]
    listed = {found["id"]: found for found in due_client.get("/api/v1/incidents", headers=staff).json()["incidents"]}
    assert (listed[late["id"]]["overdue"], listed[late["id"]]["due_soon"]) == (True, False)
    assert (listed[soon["id"]]["overdue"], listed[soon["id"]]["due_soon"]) == (False, True)
    assert (listed[later["id"]]["overdue"], listed[later["id"]]["due_soon"]) == (False, False)
    assert_problem(due_client.get("/api/v1/incidents?overdue=false", headers=staff), 400)


def test_an_approved_extension_moves_the_due_time(due_client: TestClient) -> None:
    incident = report(due_client)
    url = f"/api/v1/incidents/{incident['id']}/clock"
    worker = bearer(add_token(due_client, "张发敏", Role.WORKER))
    planner = bearer(add_token(due_client, "规划员", Role.PLANNER))
    assert_problem(due_client.post(f"{url}/extension", json={"hours": 4, "note": " "}, headers=worker), 422)
    asked = due_client.post(f"{url}/extension", json={"hours": 4, "note": "等物业答复"}, headers=worker)
    assert asked.status_code == 200, asked.text
    assert asked.json()["pending_request"]["action"] == "extend_request"
    assert_problem(due_client.post(f"{url}/hold", json={"note": "再等等"}, headers=worker), 409)  # one at a time
    assert_problem(due_client.post(f"{url}/decision", json={"approve": True}, headers=worker), 403)
    approved = due_client.post(f"{url}/decision", json={"approve": True}, headers=planner).json()
    calendar = rules(due_client).limits.calendar
    assert calendar.between(at(incident["due_at"]), at(approved["due_at"])) == timedelta(hours=4)
    assert approved["pending_request"] is None
    assert [step["action"] for step in approved["history"][-2:]] == ["extend_request", "extend_approve"]
    assert_problem(due_client.post(f"{url}/decision", json={"approve": False}, headers=planner), 409)
    # A refusal leaves the due time.
    due_client.post(f"{url}/extension", json={"hours": 8, "note": "还要两天"}, headers=worker)
    refused = due_client.post(f"{url}/decision", json={"approve": False, "note": "先去看看"}, headers=planner).json()
    assert refused["due_at"] == approved["due_at"]


def test_a_held_clock_is_never_overdue_and_moves_by_the_time_held(due_client: TestClient) -> None:
    incident = report(due_client)
    url = f"/api/v1/incidents/{incident['id']}"
    worker = bearer(add_token(due_client, "张发敏", Role.WORKER))
    planner = bearer(add_token(due_client, "规划员", Role.PLANNER))
    assert_problem(due_client.post(f"{url}/clock/release", json={}, headers=planner), 409)
    due_client.post(f"{url}/clock/hold", json={"note": "等待业主回来"}, headers=worker)
    held = due_client.post(f"{url}/clock/decision", json={"approve": True}, headers=planner).json()
    assert held["held_since"] is not None
    set_due(due_client, incident["id"], datetime.now(UTC) - timedelta(days=1))
    assert due_client.get(f"{url}", headers=planner).json()["overdue"] is False
    assert due_client.get("/api/v1/incidents?overdue=true", headers=planner).json()["matched"] == 0
    past_due = due_client.get(url, headers=planner).json()["due_at"]
    released = due_client.post(f"{url}/clock/release", json={"note": "业主已回"}, headers=planner).json()
    held_for = rules(due_client).limits.calendar.between(at(held["held_since"]), at(released["history"][-1]["at"]))
    assert rules(due_client).limits.calendar.between(at(past_due), at(released["due_at"])) == held_for
    assert released["held_since"] is None and released["overdue"] is True


def test_sending_back_needs_a_reason_and_restarts_the_previous_stage(due_client: TestClient) -> None:
    incident = report(due_client, category="illegal_construction")
    url = f"/api/v1/incidents/{incident['id']}"
    worker = bearer(add_token(due_client, "张发敏", Role.WORKER))
    planner = bearer(add_token(due_client, "规划员", Role.PLANNER))
    assert_problem(due_client.post(f"{url}/send-back", json={"note": "x"}, headers=planner), 409)  # reported
    for status in ("accepted", "dispatched"):
        due_client.post(f"{url}/transitions", json={"to": status}, headers=planner)
    assert_problem(due_client.post(f"{url}/send-back", json={"note": ""}, headers=worker), 422)
    back = due_client.post(f"{url}/send-back", json={"note": "不在本网格"}, headers=worker).json()
    step = back["history"][-1]
    assert (back["status"], back["stage"]) == ("accepted", "dispatch")
    assert (step["action"], step["from"], step["to"], step["note"]) == (
        "send_back",
        "dispatched",
        "accepted",
        "不在本网格",
    )
    assert at(back["due_at"]) == rules(due_client).limits.due("illegal_construction", Stage.DISPATCH, at(step["at"]))
    # Un-filing is the dispatcher's.
    assert_problem(due_client.post(f"{url}/send-back", json={"note": "重新核实"}, headers=worker), 403)
    assert (
        due_client.post(f"{url}/send-back", json={"note": "重新核实"}, headers=planner).json()["status"] == "reported"
    )
