"""`gridmap incidents clock ...` on both backends: an extension asked for and approved moves the due time, a hold
approved stops the clock and its release starts it again, sending back restarts the previous stage; the acting
account's role applies, and refusals exit non-zero with a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.incidents.workflow import AuditAction, Status
from gridmap.services.incident_clock import default_rules, started
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.api.conftest import BACKENDS, database_url
from tests.incidents.histories import History, china

runner = CliRunner()
DISPATCHER = "调度员"
VIEWER = "访客"
INCIDENT = "S-1"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store with a dispatcher, a viewer and one incident dispatched on 1 December 2026, its handling clock on."""
    url = database_url(request.param, tmp_path, request)
    dispatched = china(12, 1, 10)
    history = History.reported(1, china(12, 1, 9)).to("accepted", china(12, 1, 9, 30)).to("dispatched", dispatched)
    with open_store(url, upgrade=url.startswith("sqlite")) as store:
        store.add_user(DISPATCHER, Role.PLANNER)
        store.add_user(VIEWER, Role.VIEWER)
        store.create_incident(started(history.incident, default_rules(), dispatched))
    return url


def clock(store_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["incidents", "clock", *args, "--store", store_url])
    return result.exit_code, " ".join(result.output.split())


def test_extension_hold_release_and_send_back(store_url: str) -> None:
    with open_store(store_url) as store:
        due = store.get_incident(INCIDENT).due_at
    assert due is not None

    code, output = clock(store_url, "extend", INCIDENT, "--hours", "4", "--as", DISPATCHER, "--note", "需等待配件")
    assert code == 0, output
    assert "dispatched" in output and "extend_request pending" in output
    code, output = clock(store_url, "decide", INCIDENT, "--approve", "--as", DISPATCHER)
    assert code == 0 and "pending" not in output, output
    with open_store(store_url) as store:
        extended = store.get_incident(INCIDENT)
    assert extended.due_at is not None and extended.due_at > due
    assert [e.action for e in extended.audit][-2:] == [AuditAction.EXTEND_REQUEST, AuditAction.EXTEND_APPROVE]
    assert extended.audit[-1].actor == DISPATCHER and extended.audit[-2].note == "需等待配件"

    assert clock(store_url, "hold", INCIDENT, "--as", DISPATCHER, "--note", "等待答复")[0] == 0
    code, output = clock(store_url, "decide", INCIDENT, "--approve", "--as", DISPATCHER)
    assert code == 0 and "clock held" in output, output
    code, output = clock(store_url, "release", INCIDENT, "--as", DISPATCHER)
    assert code == 0 and "clock held" not in output, output
    with open_store(store_url) as store:
        released = store.get_incident(INCIDENT)
    assert released.held_since is None and released.audit[-1].action is AuditAction.HOLD_RELEASE

    code, output = clock(store_url, "send-back", INCIDENT, "--as", DISPATCHER, "--note", "派错网格")
    assert code == 0 and "accepted" in output, output
    with open_store(store_url) as store:
        assert store.get_incident(INCIDENT).status is Status.ACCEPTED


def test_refusals_exit_non_zero_and_change_nothing(store_url: str) -> None:
    code, output = clock(store_url, "decide", INCIDENT, "--approve", "--as", DISPATCHER)
    assert code != 0 and "no request" in output
    code, output = clock(store_url, "hold", INCIDENT, "--as", VIEWER, "--note", "等待")
    assert code != 0 and "needs a worker" in output
    code, output = clock(store_url, "hold", INCIDENT, "--as", "无此人", "--note", "等待")
    assert code != 0 and "no user named" in output
    code, output = clock(store_url, "send-back", INCIDENT, "--as", DISPATCHER, "--note", " ")
    assert code != 0 and "note" in output
    with open_store(store_url) as store:
        incident = store.get_incident(INCIDENT)
    assert incident.status is Status.DISPATCHED and incident.audit[-1].action is AuditAction.TRANSITION
