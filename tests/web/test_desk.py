"""The incident desk (/desk) in a real headless Chromium against the real app on the sample region: a resident's
report (with a photo, through the API as the reporting page sends it) goes round the loop on the desk, the grid
worker on a phone and the dispatcher at a desk, each step a button on the page; the queues' counts and the
history follow, and a step somebody else took first is refused with who took it. Screenshots go to tmp_path.

A test waits for what it expects to see (a queue's count, the panel's status), or for the page's counter of
queue loads (`body[data-refreshes]`), never for a fixed time.
"""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from PIL import Image

from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.web.test_viewer import Server, Visit, _need_chromium, _start

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
WAIT_MS = 20_000
OTHER_PLANNER = "调度员乙"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a new SQLite database holding the published sample region."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("desk"))


@pytest.fixture(scope="module")
def grid(server: Server) -> dict[str, Any]:
    """The grid the reports are made in: the first with a worker."""
    return next(g for g in server.of_level("grid") if g["properties"].get("worker"))


@pytest.fixture(scope="module")
def tokens(server: Server, grid: dict[str, Any]) -> dict[str, str]:
    """Tokens of the grid's worker (named as the published grid names them) and of a second dispatcher."""
    store = open_store(server.database_url)
    try:
        return {
            "worker": store.add_user(grid["properties"]["worker"], Role.WORKER),
            "other": store.add_user(OTHER_PLANNER, Role.PLANNER),
        }
    finally:
        store.close()


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def report(server: Server, grid: dict[str, Any], text: str, category: str = "living_environment") -> dict[str, Any]:
    """A resident's report with a photo well inside `grid`, as the reporting page sends it (multipart, no token)."""
    area = shapely.geometry.shape(grid["geometry"])
    point = area.buffer(-0.2 * area.area**0.5).representative_point()
    fields = {"category": category, "lon": str(point.x), "lat": str(point.y), "description": text}
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + _photo()
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{server.base}/api/v1/incidents/reports",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Idempotency-Key": uuid.uuid4().hex},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def api(server: Server, token: str, path: str, body: Any = None) -> Any:
    """An API answer's JSON, with `token` (POST when there is a body)."""
    request = urllib.request.Request(
        f"{server.base}/api/v1/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def step(server: Server, token: str, incident_id: str, to: str) -> None:
    """A workflow step through the API, as another member of staff's desk would send it."""
    api(server, token, f"incidents/{incident_id}/transitions", {"to": to})


def open_desk(browser: Any, server: Server, token: str, viewport: dict[str, int]) -> Visit:
    """The desk signed in with `token`, once its queues are loaded."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.add_init_script(f"window.sessionStorage.setItem('gridmapToken', {json.dumps(token)});")
    page = context.new_page()
    visit = Visit(page)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", lambda message: visit.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
    page.goto(server.base + "/desk")
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=WAIT_MS)
    return visit


def count(page: Any, queue: str) -> int:
    """The count on a queue's tab."""
    text = page.locator(f".queue-tab[data-queue='{queue}'] .queue-count").get_attribute("data-count")
    return int(text or "-1")


def wait_count(page: Any, queue: str, expected: int) -> None:
    """Wait until a queue's tab shows `expected` (the queues reload after each action)."""
    page.wait_for_function(
        "([queue, expected]) => document.querySelector(`.queue-tab[data-queue='${queue}'] .queue-count`)"
        ".dataset.count === String(expected)",
        arg=[queue, expected],
        timeout=WAIT_MS,
    )


def refresh(page: Any) -> None:
    """Reload the queues now (as the 15 s poll would) and wait until they are drawn."""
    page.evaluate("() => window.gridmapDesk.refreshNow()")


def open_from_queue(page: Any, queue: str, incident_id: str, status: str) -> None:
    """Pick a queue, click the incident's card, and wait for the panel to show it with `status`, drawn afresh: the
    panel may still show the same incident from before (same id and status), whose buttons the answer to this click
    replaces; a test acting on those would click into a form that is then gone."""
    page.click(f".queue-tab[data-queue='{queue}']")
    page.evaluate(
        "() => { for (const part of document.getElementById('incident-body').children) part.dataset.old = 1; }"
    )
    page.click(f".incident-card[data-incident-id='{incident_id}']")
    shown = f"#incident-panel[data-incident-id='{incident_id}'][data-status='{status}']"
    page.wait_for_selector(shown, timeout=WAIT_MS)
    page.wait_for_function(
        "() => { const body = document.getElementById('incident-body');"
        " return body.children.length > 0 && !body.querySelector(':scope > [data-old]'); }",
        timeout=WAIT_MS,
    )


def act(page: Any, to: str, note: str = "") -> None:
    """Click the step's button, give its note, confirm, and wait for the panel to show the new status."""
    page.click(f"#incident-panel button.action[data-to='{to}']")
    form = page.locator(f"form.action-form[data-to='{to}']")
    if note:
        form.locator("textarea[name='note']").fill(note)
    form.locator("button[type='submit']").click()
    page.wait_for_selector(f"#incident-panel[data-status='{to}']", timeout=WAIT_MS)


def test_a_report_goes_round_the_loop_on_the_desk(
    browser: Any, server: Server, grid: dict[str, Any], tokens: dict[str, str], tmp_path: Path
) -> None:
    worker = open_desk(browser, server, tokens["worker"], PHONE)
    planner = open_desk(browser, server, server.planner_token, DESK)
    w, p = worker.page, planner.page
    new_before, file_before = count(w, "new"), count(p, "file")
    incident = report(server, grid, "楼道堆放杂物 desk loop")
    number = incident.get("number")

    # The worker's phone: the report is among their grid's new reports.
    refresh(w)
    assert count(w, "new") == new_before + 1
    assert w.locator(f".incident-card[data-incident-id='{incident['id']}']").count() == 1
    w.screenshot(path=str(tmp_path / "worker-queue.png"))

    # The dispatcher files and dispatches it from the desk, the photo shown beside it.
    refresh(p)
    assert count(p, "file") == file_before + 1
    open_from_queue(p, "file", incident["id"], "reported")
    p.wait_for_selector("#incident-panel .photo-thumb img", timeout=WAIT_MS)
    assert p.locator(".leaflet-interactive.desk-pin").count() == 1
    assert "楼道堆放杂物" in p.locator("#incident-body").inner_text()
    p.screenshot(path=str(tmp_path / "planner-incident.png"))
    dispatch_before = count(p, "dispatch")
    act(p, "accepted", "属实，立案")
    wait_count(p, "file", file_before)
    assert count(p, "dispatch") == dispatch_before + 1
    act(p, "dispatched", "请今日处理")
    wait_count(p, "dispatch", dispatch_before)

    # The worker starts and resolves it with a note, on the phone.
    mine_before = count(w, "mine")
    refresh(w)
    assert count(w, "mine") == mine_before + 1
    open_from_queue(w, "mine", incident["id"], "dispatched")
    assert w.locator(".queues").is_hidden()  # a phone shows the incident full width
    act(w, "in_progress")
    act(w, "resolved", "已清理完毕")
    w.screenshot(path=str(tmp_path / "worker-resolved.png"))
    w.click("#panel-back")
    w.wait_for_selector("#incident-panel", state="hidden")
    assert w.locator(".queues").is_visible()

    # The dispatcher checks and closes it; the history lists every step.
    check_before = count(p, "check")
    refresh(p)
    assert count(p, "check") == check_before + 1
    open_from_queue(p, "check", incident["id"], "resolved")
    act(p, "closed", "核查无误")
    wait_count(p, "check", check_before)
    steps = p.locator("#incident-body .history li")
    assert [steps.nth(i).get_attribute("data-to") for i in range(steps.count())] == [
        "reported", "accepted", "dispatched", "in_progress", "resolved", "closed",
    ]  # fmt: skip
    history = p.locator("#incident-body .history").inner_text()
    assert "已清理完毕" in history and grid["properties"]["worker"] in history and "规划员" in history
    p.screenshot(path=str(tmp_path / "planner-closed.png"))

    # Search finds it again by its number (or, on a server without numbers, by its words).
    p.fill("#search-input", number or "desk loop")
    p.press("#search-input", "Enter")
    p.wait_for_selector(".queue-tab[data-queue='all'][aria-selected='true']")
    p.wait_for_selector(f"#queue-list .incident-card[data-incident-id='{incident['id']}']", timeout=WAIT_MS)
    assert p.locator("#queue-list .incident-card").count() == 1
    for visit in (worker, planner):
        assert visit.console_errors == []
        assert visit.outside_requests() == []
        visit.page.context.close()


def test_a_step_somebody_took_first_says_who(
    browser: Any, server: Server, grid: dict[str, Any], tokens: dict[str, str], tmp_path: Path
) -> None:
    incident = report(server, grid, "路灯不亮 stale step")
    planner = open_desk(browser, server, server.planner_token, DESK)
    page = planner.page
    open_from_queue(page, "file", incident["id"], "reported")
    step(server, tokens["other"], incident["id"], "accepted")  # another dispatcher, a moment earlier
    page.click("#incident-panel button.action[data-to='accepted']")
    page.locator("form.action-form[data-to='accepted'] button[type='submit']").click()
    message = page.locator("#incident-message")
    message.wait_for(state="visible", timeout=WAIT_MS)
    assert OTHER_PLANNER in message.inner_text() and "Already handled" in message.inner_text()
    assert page.locator("#incident-panel").get_attribute("data-status") == "accepted"
    assert page.locator("#incident-panel button.action[data-to='dispatched']").count() == 1  # what is left to do
    page.screenshot(path=str(tmp_path / "stale.png"))
    # The browser logs the refused request itself; nothing else went wrong.
    assert [e for e in planner.console_errors if "409 (Conflict)" not in e] == []
    planner.page.context.close()


def test_a_worker_asks_for_more_time_and_the_dispatcher_grants_it(
    browser: Any, server: Server, grid: dict[str, Any], tokens: dict[str, str], tmp_path: Path
) -> None:
    incident = report(server, grid, "井盖破损 more time")
    for to in ("accepted", "dispatched"):
        step(server, server.planner_token, incident["id"], to)
    due_before = api(server, server.planner_token, f"incidents/{incident['id']}")["due_at"]
    worker = open_desk(browser, server, tokens["worker"], PHONE)
    w = worker.page
    open_from_queue(w, "mine", incident["id"], "dispatched")
    w.click("#incident-panel button.action[data-action='extend']")
    form = w.locator("form.action-form[data-action='extend']")
    form.locator("input[name='hours']").fill("4")
    form.locator("textarea[name='note']").fill("需等待配件")
    form.locator("button[type='submit']").click()
    w.wait_for_selector("#incident-clock", timeout=WAIT_MS)
    assert "4 小时" in w.locator("#incident-clock").inner_text()
    assert w.locator("#incident-panel button.action[data-action='extend']").count() == 0  # one request at a time
    w.screenshot(path=str(tmp_path / "worker-extension.png"))

    planner = open_desk(browser, server, server.planner_token, DESK)
    p = planner.page
    open_from_queue(p, "all", incident["id"], "dispatched")
    p.click("#incident-panel button.action[data-action='approve']")
    p.locator("form.action-form[data-action='approve'] button[type='submit']").click()
    p.wait_for_selector("#incident-clock", state="detached", timeout=WAIT_MS)
    assert "批准延期" in p.locator("#incident-body .history").inner_text()
    due_after = api(server, server.planner_token, f"incidents/{incident['id']}")["due_at"]
    assert due_before is not None and due_after > due_before
    for visit in (worker, planner):
        assert visit.console_errors == []
        visit.page.context.close()


def test_someone_not_signed_in_sees_the_sign_in_box(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(server.base + "/desk")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=WAIT_MS)
        assert page.locator("#desk-needed").is_visible()
        assert page.locator("#desk").is_hidden()
    finally:
        context.close()


def test_before_and_after_photos_side_by_side_and_a_duplicate_marked_from_its_candidates(
    browser: Any, server: Server, grid: dict[str, Any], tokens: dict[str, str], tmp_path: Path
) -> None:
    original = report(server, grid, "路灯不亮 field loop", "public_facilities")
    again = report(server, grid, "路灯又不亮了 field loop", "public_facilities")
    for to in ("accepted", "dispatched", "in_progress"):
        step(server, server.planner_token, original["id"], to)

    # The worker adds a photo of the fix on the phone (kind "after" is offered while the work is in hand).
    worker = open_desk(browser, server, tokens["worker"], PHONE)
    w = worker.page
    open_from_queue(w, "mine", original["id"], "in_progress")
    w.click("#incident-panel button.action[data-action='photo']")
    form = w.locator("form.action-form[data-action='photo']")
    form.locator("input[name='photos']").set_input_files(
        files=[{"name": "fixed.png", "mimeType": "image/png", "buffer": _photo()}]
    )
    assert form.locator("select[name='kind']").input_value() == "after"
    form.locator("button[type='submit']").click()
    w.wait_for_selector(".photo-column[data-kind='after'] .photo-thumb img", timeout=WAIT_MS)
    act(w, "resolved", "已更换灯泡")
    w.screenshot(path=str(tmp_path / "worker-after-photo.png"))

    # The dispatcher, who asked for a check (核查), sees its chip on the card and the two photos side by side.
    asked = api(server, server.planner_token, f"incidents/{original['id']}/field-task", {"task": "check"})
    assert asked["field_task"] == "check"
    planner = open_desk(browser, server, server.planner_token, DESK)
    p = planner.page
    open_from_queue(p, "check", original["id"], "resolved")
    chip = p.locator(f".incident-card[data-incident-id='{original['id']}'] .chip.field-task")
    assert chip.get_attribute("data-task") == "check" and chip.inner_text() == "待核查 To check"
    before = p.locator(".photo-column[data-kind='before'] .photo-thumb img")
    after = p.locator(".photo-column[data-kind='after'] .photo-thumb img")
    before.wait_for(timeout=WAIT_MS)
    after.wait_for(timeout=WAIT_MS)
    left, right = before.bounding_box(), after.bounding_box()
    assert left is not None and right is not None
    assert right["x"] > left["x"] + left["width"] and abs(right["y"] - left["y"]) < 5
    p.screenshot(path=str(tmp_path / "planner-before-after.png"))

    # The second report offers the first as its original; one click and a confirmation mark it.
    open_from_queue(p, "file", again["id"], "reported")
    candidate = p.locator(f"#incident-duplicates li[data-id='{original['id']}']")
    candidate.wait_for(timeout=WAIT_MS)
    assert (original.get("number") or original["id"]) in candidate.inner_text()
    candidate.locator("button.mark-duplicate").click()
    form = p.locator("form.action-form[data-to='duplicate']")
    assert form.locator("input[name='duplicate_of']").input_value() == original["id"]
    form.locator("textarea[name='note']").fill("同一盏路灯")
    form.locator("button[type='submit']").click()
    p.wait_for_selector(f"#incident-panel[data-incident-id='{again['id']}'][data-status='duplicate']", timeout=WAIT_MS)
    assert original["id"] in p.locator("#incident-original").inner_text()
    p.screenshot(path=str(tmp_path / "planner-duplicate.png"))
    p.click("#incident-panel button.action[data-action='unlink']")
    p.locator("form.action-form[data-action='unlink'] button[type='submit']").click()
    p.wait_for_selector(f"#incident-panel[data-incident-id='{again['id']}'][data-status='reported']", timeout=WAIT_MS)
    for visit in (worker, planner):
        assert visit.console_errors == []
        assert visit.outside_requests() == []
        visit.page.context.close()
