"""Attacks on incident access, on both backends: a worker reaching another grid's incident (detail, photos,
steps, list), a viewer reading more than the public, and a reporter's name or phone in any staff answer."""

from __future__ import annotations

from typing import Any

from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import grid_centre
from tests.api.test_incident_photos import REPORTS, form_fields, photo_files
from tests.api.test_incidents import COMMUNITY_1, IN_00101, report_body
from tests.incidents.test_photos import image_bytes

NAME, PHONE = "王小明", "13912345678"
REPORTER_KEY = "9f0e-the-residents-own-secret-1"
CENTRE_002 = grid_centre(0, 1, 1)  # grid 002, worked by 李秀英


def report_in_002_with_photo(client: TestClient) -> dict[str, Any]:
    """A resident's report with a photo, name and phone in grid 002."""
    fields = form_fields(CENTRE_002, reporter=NAME, phone=PHONE, reporter_key=REPORTER_KEY)
    response = client.post(REPORTS, data=fields, files=photo_files(("a.png", image_bytes("PNG"))))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_worker_cannot_reach_another_grids_incident(client: TestClient) -> None:
    theirs = report_in_002_with_photo(client)
    mine = client.post("/api/v1/incidents", json=report_body(IN_00101)).json()
    worker_001 = bearer(add_token(client, "张发敏", Role.WORKER))
    url = f"/api/v1/incidents/{theirs['id']}"
    assert_problem(client.get(url, headers=worker_001), 404)
    assert_problem(client.get(theirs["photos"][0], headers=worker_001), 404)
    assert_problem(client.post(f"{url}/transitions", json={"to": "accepted"}, headers=worker_001), 404)
    assert_problem(
        client.post(f"{url}/location", json={"lon": IN_00101[0], "lat": IN_00101[1]}, headers=worker_001), 404
    )
    # Marking their own incident a duplicate of the other grid's does not confirm it exists either.
    step = {"to": "duplicate", "duplicate_of": theirs["id"]}
    assert_problem(client.post(f"/api/v1/incidents/{mine['id']}/transitions", json=step, headers=worker_001), 404)
    listed = client.get("/api/v1/incidents?limit=1000", headers=worker_001).json()
    assert [i["id"] for i in listed["incidents"]] == [mine["id"]] and listed["matched"] == 1
    listed_002 = client.get(f"/api/v1/incidents?grid={COMMUNITY_1}002", headers=worker_001).json()
    assert listed_002["matched"] == 0
    # Nothing changed: grid 002's own worker still finds it reported, with its photo.
    worker_002 = bearer(add_token(client, "李秀英", Role.WORKER))
    read = client.get(url, headers=worker_002).json()
    assert read["status"] == "reported" and client.get(theirs["photos"][0], headers=worker_002).status_code == 200
    assert client.post(f"{url}/transitions", json={"to": "accepted"}, headers=worker_002).status_code == 200


def test_a_scoped_dispatcher_reaches_only_their_community(client: TestClient) -> None:
    theirs = report_in_002_with_photo(client)
    elsewhere = bearer(client.app.state.store.add_user("别处调度", Role.PLANNER, scope="350924100009"))  # type: ignore[attr-defined]
    here = bearer(client.app.state.store.add_user("本社区调度", Role.PLANNER, scope=COMMUNITY_1))  # type: ignore[attr-defined]
    url = f"/api/v1/incidents/{theirs['id']}"
    for path in (url, theirs["photos"][0], f"{url}/contact"):
        assert_problem(client.get(path, headers=elsewhere), 404)
    assert client.get("/api/v1/incidents", headers=elsewhere).json()["matched"] == 0
    erase = client.post("/api/v1/privacy/residents/erase", json={"phone": PHONE}, headers=elsewhere).json()
    assert erase["incidents"] == [] and erase["contacts"] == 0
    assert client.get(f"{url}/contact", headers=here).json()["phone"] == PHONE


def test_a_viewer_reads_no_more_than_the_public(client: TestClient) -> None:
    theirs = report_in_002_with_photo(client)
    viewer = bearer(add_token(client, "访客", Role.VIEWER))
    url = f"/api/v1/incidents/{theirs['id']}"
    for path in ("/api/v1/incidents", url, theirs["photos"][0], f"{url}/contact"):
        assert_problem(client.get(path, headers=viewer), 403)
    assert_problem(client.post(f"{url}/transitions", json={"to": "accepted"}, headers=viewer), 403)
    assert_problem(client.post("/api/v1/privacy/residents/export", json={"phone": PHONE}, headers=viewer), 403)


def test_no_staff_answer_names_the_resident(client: TestClient) -> None:
    theirs = report_in_002_with_photo(client)
    assert NAME not in str(theirs) and PHONE not in str(theirs)
    worker = bearer(add_token(client, "李秀英", Role.WORKER))
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    url = f"/api/v1/incidents/{theirs['id']}"
    client.post(f"{url}/transitions", json={"to": "accepted"}, headers=worker)
    answers = [
        client.get(url, headers=worker).text,
        client.get(url, headers=planner).text,
        client.get("/api/v1/incidents", headers=worker).text,
        client.get("/open311/v2/requests.json").text,
        client.get(f"/open311/v2/requests/{theirs['id']}.json").text,
    ]
    for text in answers:
        assert NAME not in text and PHONE not in text
    history = client.get(url, headers=planner).json()["history"]
    assert [(e["actor"], e["role"]) for e in history] == [("resident", "resident"), ("李秀英", "worker")]
    # Only dispatchers and the reporter (with their key) see the contact.
    assert_problem(client.get(f"{url}/contact", headers=worker), 403)
    assert_problem(client.get(f"{url}/contact"), 401)
    assert_problem(client.get(f"{url}/contact", headers={"X-Reporter-Key": "x" * 20}), 403)
    for headers in (planner, {"X-Reporter-Key": REPORTER_KEY}):
        contact = client.get(f"{url}/contact", headers=headers).json()
        assert (contact["name"], contact["phone"]) == (NAME, PHONE)
