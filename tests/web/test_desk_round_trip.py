"""The whole loop in a real headless Chromium, every step on a page: a resident reports with a photo on /report,
the grid worker verifies it on a phone (/desk), the dispatcher files and dispatches it at a desk, the worker starts
it, adds an after photo and resolves it, checks the fix when asked, the dispatcher closes it, and the resident
rates it from "my reports"; the grid's score counts the rating.

Helpers come from test_desk.py (the desk) and test_report_page.py (the reporting page); a test waits for what it
expects to see, never for a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.web.test_desk import (
    DESK,
    PHONE,
    WAIT_MS,
    _photo,
    act,
    api,
    count,
    open_desk,
    open_from_queue,
    refresh,
    wait_count,
)
from tests.web.test_report_page import fill_report, image_file, inside, open_report, send, tap_map, wait_for_place
from tests.web.test_viewer import Server, _need_chromium, _start

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a new SQLite database holding the published sample region."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("desk-round-trip"))


def field_answer(page: Any, action: str, note: str = "") -> None:
    """Click a field-loop or photo button, give its note, confirm, and wait for the history to grow by its entry."""
    entries = page.locator("#incident-body .history li")
    before = entries.count()
    page.click(f"#incident-panel button.action[data-action='{action}']")
    form = page.locator(f"form.action-form[data-action='{action}']")
    if note:
        form.locator("textarea[name='note']").fill(note)
    form.locator("button[type='submit']").click()
    page.wait_for_function(
        "(before) => document.querySelectorAll('#incident-body .history li').length > before",
        arg=before,
        timeout=WAIT_MS,
    )


def grid_score(server: Server, grid: str, since: datetime) -> dict[str, Any]:
    """The grid's row of scores over the incidents reported from `since` until an hour from now."""
    period = {"by": "grid", "since": since.isoformat(), "before": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    rows = api(server, server.planner_token, "incident-scores?" + urlencode(period))["rows"]
    return next((row for row in rows if row["key"] == grid), {"rated": 0, "satisfied": 0})


def test_a_report_goes_from_the_resident_to_the_rating(browser: Any, server: Server, tmp_path: Path) -> None:
    grid = next(g for g in server.of_level("grid") if g["properties"].get("worker"))
    code = grid["properties"]["code"]
    store = open_store(server.database_url)
    try:
        worker_token = store.add_user(grid["properties"]["worker"], Role.WORKER)
    finally:
        store.close()
    started = datetime.now(UTC) - timedelta(minutes=1)

    # The resident reports on the phone, with a photo.
    resident = open_report(browser, server.base)
    r = resident.page
    tap_map(r, *inside(grid))
    assert wait_for_place(r) == "inside"
    fill_report(r, "小区门口积水 round trip")
    r.set_input_files("#photos", [image_file("water.jpg", "JPEG")])
    incident = send(r)
    assert incident["grid"] == code

    # The worker's phone shows it among the new reports; the dispatcher asks for a verification (核实).
    worker = open_desk(browser, server, worker_token, PHONE)
    planner = open_desk(browser, server, server.planner_token, DESK)
    w, p = worker.page, planner.page
    assert w.locator(f".incident-card[data-incident-id='{incident['id']}']").count() == 1
    open_from_queue(p, "file", incident["id"], "reported")
    field_answer(p, "ask-verify", "请现场核实")
    refresh(w)
    open_from_queue(w, "new", incident["id"], "reported")
    field_answer(w, "verified", "现场属实")
    w.click("#panel-back")

    # The dispatcher files and dispatches it to the grid.
    refresh(p)
    open_from_queue(p, "file", incident["id"], "reported")
    act(p, "accepted", "核实属实，立案")
    act(p, "dispatched", "请今日处理")

    # The worker starts, adds a photo of the fix and resolves it.
    refresh(w)
    open_from_queue(w, "mine", incident["id"], "dispatched")
    act(w, "in_progress")
    w.click("#incident-panel button.action[data-action='photo']")
    photo_form = w.locator("form.action-form[data-action='photo']")
    photo_form.locator("input[name='photos']").set_input_files(
        files=[{"name": "drained.png", "mimeType": "image/png", "buffer": _photo()}]
    )
    photo_form.locator("button[type='submit']").click()
    w.wait_for_selector(".photo-column[data-kind='after'] .photo-thumb img", timeout=WAIT_MS)
    act(w, "resolved", "积水已排除")
    w.click("#panel-back")

    # The dispatcher asks for a check (核查), the worker passes it, and the dispatcher closes the incident.
    refresh(p)
    open_from_queue(p, "check", incident["id"], "resolved")
    field_answer(p, "ask-check", "请核查")
    refresh(w)
    open_from_queue(w, "all", incident["id"], "resolved")
    field_answer(w, "check-passed", "复查无积水")
    refresh(p)
    check_before = count(p, "check")
    open_from_queue(p, "check", incident["id"], "resolved")
    act(p, "closed", "核查无误，结案")
    wait_count(p, "check", check_before - 1)
    p.screenshot(path=str(tmp_path / "closed.png"))
    actions = [entry["action"] for entry in api(server, server.planner_token, f"incidents/{incident['id']}")["history"]]
    for expected in ("verify_request", "verify_confirm", "photo", "check_request", "check_pass"):
        assert expected in actions

    # The resident's "my reports" offers the rating; five stars count as satisfied in the grid's score.
    scored_before = grid_score(server, code, started)
    r.reload()
    r.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=WAIT_MS)
    item = r.locator(f"#mine-list li[data-id='{incident['id']}']")
    rating = item.locator("form.rating")
    rating.wait_for(timeout=WAIT_MS)
    assert "已办结" in item.locator(".mine-status[data-status='closed']").inner_text()
    rating.locator("button.star[data-rating='5']").click()
    with r.expect_response(lambda response: response.url.endswith("/rating")) as answer:
        rating.locator("button[type=submit]").click()
    assert answer.value.status == 200
    item.locator(".ok").wait_for(timeout=WAIT_MS)
    r.screenshot(path=str(tmp_path / "rated.png"))
    scored = grid_score(server, code, started)
    assert (scored["rated"], scored["satisfied"]) == (scored_before["rated"] + 1, scored_before["satisfied"] + 1)
    assert scored["satisfaction_rate"] == 1.0
    for visit in (resident, worker, planner):
        assert visit.console_errors == []
        assert visit.outside_requests() == []
        visit.page.context.close()
