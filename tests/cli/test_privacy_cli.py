"""`gridmap privacy`: a dispatcher exports and erases a resident's data from the command line, and the
retention purge says what it would delete before it deletes anything."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import EXIT_INPUT_ERROR
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, bearer
from tests.security.test_incident_access import NAME, PHONE, report_in_002_with_photo


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def _store_url(client: TestClient) -> str:
    url: str = client.app.state.settings.database_url  # type: ignore[attr-defined]
    return url


def test_export_then_erase_a_resident(client: TestClient, tmp_path: Path) -> None:
    report = report_in_002_with_photo(client)
    store = _store_url(client)
    out = tmp_path / "resident.geojson"

    code, output = _run("privacy", "export", "--phone", PHONE, "--out", out, "--store", store)
    assert code == 0, output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in exported["features"]] == [report["id"]]
    assert NAME in out.read_text(encoding="utf-8")  # the export is for the resident: their own data

    code, output = _run("privacy", "erase", "--phone", PHONE, "--store", store)
    assert code == 0 and "would delete 1 contacts and 1 photos" in output and "--apply" in output
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    contact = client.get(f"/api/v1/incidents/{report['id']}/contact", headers=planner).json()
    assert PHONE in json.dumps(contact, ensure_ascii=False)  # a dry run deletes nothing

    code, output = _run("privacy", "erase", "--phone", PHONE, "--apply", "--store", store)
    assert code == 0 and "deleted 1 contacts and 1 photos" in output
    contact = client.get(f"/api/v1/incidents/{report['id']}/contact", headers=planner).json()
    assert PHONE not in json.dumps(contact, ensure_ascii=False) and NAME not in json.dumps(contact, ensure_ascii=False)
    assert client.get(f"/api/v1/incidents/{report['id']}", headers=planner).status_code == 200  # the incident stays


def test_purge_of_open_incidents_deletes_nothing_and_erase_needs_someone(client: TestClient) -> None:
    report_in_002_with_photo(client)
    store = _store_url(client)
    code, output = _run("privacy", "purge", "--days", "0", "--apply", "--store", store)
    assert code == 0 and "0 closed incidents past their retention period" in output
    code, output = _run("privacy", "erase", "--store", store)
    assert code == EXIT_INPUT_ERROR and "--phone or --name" in output
