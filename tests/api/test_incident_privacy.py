"""Retention purge, export and erasure of a resident's data on both backends; the incidents stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gridmap.incidents.access import RetentionPolicy
from gridmap.services import privacy
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.security.test_incident_access import NAME, PHONE, report_in_002_with_photo

CLOSING = ("accepted", "dispatched", "in_progress", "resolved", "closed")


def test_purge_deletes_only_contacts_and_photos_of_incidents_closed_long_enough(client: TestClient) -> None:
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    closed, still_open = report_in_002_with_photo(client), report_in_002_with_photo(client)
    for step in CLOSING:
        url = f"/api/v1/incidents/{closed['id']}/transitions"
        assert client.post(url, json={"to": step}, headers=planner).status_code == 200
    store = client.app.state.store  # type: ignore[attr-defined]
    later = datetime.now(UTC) + timedelta(days=31)
    assert privacy.purge(store, now=later, dry_run=False, policy=RetentionPolicy(days=90)).incident_ids == []
    dry = privacy.purge(store, now=later, policy=RetentionPolicy(days=30))
    assert (dry.dry_run, dry.incident_ids, dry.contacts, dry.photos) == (True, [closed["id"]], 1, 1)
    assert client.get(closed["photos"][0], headers=planner).status_code == 200  # a dry run deletes nothing
    done = privacy.purge(
        store, now=later, dry_run=False, policy=RetentionPolicy(days=90, by_category={"noise_livestock": 30})
    )
    assert (done.incident_ids, done.contacts, done.photos) == ([closed["id"]], 1, 1)
    assert_problem(client.get(closed["photos"][0], headers=planner), 404)
    contact = client.get(f"/api/v1/incidents/{closed['id']}/contact", headers=planner).json()
    assert (contact["name"], contact["phone"], contact["removed_because"]) == (None, None, "retention")
    kept = client.get(f"/api/v1/incidents/{closed['id']}", headers=planner).json()
    assert kept["status"] == "closed" and kept["photos"] == []
    # The open incident keeps everything, and a second purge finds nothing more.
    assert client.get(f"/api/v1/incidents/{still_open['id']}/contact", headers=planner).json()["phone"] == PHONE
    assert client.get(still_open["photos"][0], headers=planner).status_code == 200
    assert privacy.purge(store, now=later, dry_run=False, policy=RetentionPolicy(days=30)).incident_ids == []


def test_a_dispatcher_exports_and_erases_a_residents_data(client: TestClient) -> None:
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    first, second = report_in_002_with_photo(client), report_in_002_with_photo(client)
    exported = client.post("/api/v1/privacy/residents/export", json={"phone": PHONE}, headers=planner).json()
    assert sorted(f["properties"]["id"] for f in exported["features"]) == sorted([first["id"], second["id"]])
    assert {f["properties"]["contact"]["name"] for f in exported["features"]} == {NAME}
    assert_problem(client.post("/api/v1/privacy/residents/export", json={}, headers=planner), 400)
    url = "/api/v1/privacy/residents/erase"
    dry = client.post(url, json={"name": NAME, "dry_run": True}, headers=planner).json()
    assert (dry["contacts"], dry["photos"]) == (2, 2)
    erased = client.post(url, json={"phone": PHONE}, headers=planner).json()
    assert (sorted(erased["incidents"]), erased["contacts"], erased["photos"]) == (
        sorted([first["id"], second["id"]]),
        2,
        2,
    )
    contact = client.get(f"/api/v1/incidents/{first['id']}/contact", headers=planner).json()
    assert (contact["name"], contact["phone"], contact["removed_because"]) == (None, None, "erased")
    assert client.get(f"/api/v1/incidents/{first['id']}", headers=planner).json()["status"] == "reported"
    again = client.post("/api/v1/privacy/residents/export", json={"phone": PHONE}, headers=planner).json()
    assert again["features"] == []
