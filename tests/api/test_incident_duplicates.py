"""Duplicate candidates, marking and unlinking through the API, on both backends: an earlier open incident of the
same category, near in place (50 m), time (7 days) and words, is offered on the report's staff detail; marking
links and closes the report and its reporter reads "duplicate of SN-..."; a dispatcher can unlink it again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from gridmap.incidents.model import Incident
from tests.api.conftest import AppFactory, TestClient, assert_problem
from tests.api.test_incident_field_loop import post, staff_headers, step
from tests.api.test_incidents import IN_00101, report_body
from tests.boundary_builders import STEP

REPORTER_KEY = "a-reporters-own-secret-0001"
TEN_METRES_EAST = (IN_00101[0] + STEP * 0.05, IN_00101[1])  # STEP is about 200 m
EIGHTY_METRES_EAST = (IN_00101[0] + STEP * 0.4, IN_00101[1])


def report(client: TestClient, **values: Any) -> dict[str, Any]:
    response = client.post("/api/v1/incidents", json=report_body(**values))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def candidate_ids(client: TestClient, incident_id: str, headers: dict[str, str]) -> list[str]:
    detail = client.get(f"/api/v1/incidents/{incident_id}", headers=headers).json()
    return [candidate["id"] for candidate in detail["duplicate_candidates"]]


def test_an_earlier_open_incident_near_in_place_time_and_words_is_a_candidate(client: TestClient) -> None:
    _, planner = staff_headers(client)
    original = report(client, description="邻居家的鸡天天叫")
    other_category = report(client, category="parking_spaces", description="邻居家的鸡天天叫")
    far = report(client, where=EIGHTY_METRES_EAST, description="邻居家的鸡天天叫")
    unlike = report(client, where=TEN_METRES_EAST, description="楼道里堆满了纸箱")
    again = report(client, where=TEN_METRES_EAST, description="邻居家的鸡一直叫")
    detail = client.get(f"/api/v1/incidents/{again['id']}", headers=planner).json()
    assert [c["id"] for c in detail["duplicate_candidates"]] == [original["id"]]
    found = detail["duplicate_candidates"][0]
    assert found["number"] == original["number"] and 5 < found["distance_m"] < 15 and found["similarity"] >= 50
    # Candidates are earlier reports: the original is offered none of the later ones.
    assert candidate_ids(client, original["id"], planner) == []
    for unrelated in (other_category, far, unlike):
        assert original["id"] not in candidate_ids(client, unrelated["id"], planner)
    # A closed (here: rejected) original is no candidate, nor is one reported more than 7 days before.
    step(client, original["id"], "rejected", planner, "不属实")
    assert candidate_ids(client, again["id"], planner) == []


def test_the_distance_and_days_are_settings(make_client: AppFactory) -> None:
    client = make_client(duplicate_distance_m=100.0, duplicate_days=1.0)
    _, planner = staff_headers(client)
    original = report(client)
    later = report(client, where=EIGHTY_METRES_EAST)
    assert candidate_ids(client, later["id"], planner) == [original["id"]]
    store = client.app.state.store  # type: ignore[attr-defined]

    def two_days_earlier(incident: Incident) -> Incident:
        earlier = incident.state.reported_at - timedelta(days=2)
        return replace(incident, state=replace(incident.state, reported_at=earlier))

    store.change_incident(original["id"], two_days_earlier)
    assert candidate_ids(client, later["id"], planner) == []


def test_marking_links_and_closes_tells_the_reporter_and_a_dispatcher_can_unlink(client: TestClient) -> None:
    worker, planner = staff_headers(client)
    original = report(client)
    again = report(client, where=TEN_METRES_EAST, reporter_key=REPORTER_KEY)
    key = {"X-Reporter-Key": REPORTER_KEY}
    follow = client.get(f"/api/v1/incidents/{again['id']}/follow-up", headers=key).json()
    assert (follow["status"], follow["stage_zh"], follow["duplicate_of_number"]) == (
        "reported",
        "已收到，等待受理",
        None,
    )
    assert_problem(client.get(f"/api/v1/incidents/{again['id']}/follow-up"), 403)
    assert_problem(client.get(f"/api/v1/incidents/{again['id']}/follow-up", headers={"X-Reporter-Key": "x" * 20}), 403)

    itself = post(client, again["id"], "transitions", {"to": "duplicate", "duplicate_of": again["id"]}, planner)
    assert_problem(itself, 422)
    marked = post(client, again["id"], "transitions", {"to": "duplicate", "duplicate_of": original["id"]}, planner)
    assert (marked.json()["status"], marked.json()["duplicate_of"]) == ("duplicate", original["id"])
    assert marked.json()["duplicate_candidates"] == []
    follow = client.get(f"/api/v1/incidents/{again['id']}/follow-up", headers=key).json()
    assert follow["duplicate_of_number"] == original["number"] and follow["stage_en"].startswith("A duplicate")
    # What the reporter reads names no one and repeats no words.
    assert set(follow) == {
        "id",
        "number",
        "status",
        "stage_zh",
        "stage_en",
        "duplicate_of_number",
        "rating",
        "can_rate",
    }
    # A duplicate of a duplicate is refused: link to the original instead.
    third = report(client, where=TEN_METRES_EAST)
    assert_problem(
        post(client, third["id"], "transitions", {"to": "duplicate", "duplicate_of": again["id"]}, planner), 409
    )

    assert_problem(post(client, again["id"], "unlink-duplicate", {}, worker), 403)
    unlinked = post(client, again["id"], "unlink-duplicate", {"note": "不是同一处"}, planner).json()
    assert (unlinked["status"], unlinked["duplicate_of"], unlinked["stage"]) == ("reported", None, "file")
    assert unlinked["history"][-1]["action"] == "unlink_duplicate"
    assert_problem(post(client, again["id"], "unlink-duplicate", {}, planner), 409)
    follow = client.get(f"/api/v1/incidents/{again['id']}/follow-up", headers=key).json()
    assert (follow["status"], follow["duplicate_of_number"]) == ("reported", None)
