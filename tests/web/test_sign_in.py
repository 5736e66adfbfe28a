"""Signing in with a name and password in a real headless Chromium: the viewer keeps the session across a reload,
offers the household layer to a planner and not to a viewer, signs out; the admin page adds a user who can then
sign in. The app runs as in test_viewer.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridmap.services import users as user_service
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.web.test_viewer import Server, Visit, _need_chromium, _start, open_viewer

pytestmark = pytest.mark.browser

PASSWORDS = {"规划员甲": "planner-password-1", "查看员乙": "viewer-password-2", "管理员丙": "admin-password-3"}
HOUSEHOLD_LAYER = ".leaflet-control-layers-overlays label"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region, with a planner, a viewer and an admin who sign in with passwords."""
    _need_chromium()
    for started in _start(tmp_path_factory.mktemp("sign-in")):
        store = open_store(started.database_url)
        try:
            for (name, password), role in zip(PASSWORDS.items(), (Role.PLANNER, Role.VIEWER, Role.ADMIN), strict=True):
                user_service.add_user_with_password(store, name=name, role=role, password=password)
        finally:
            store.close()
        yield started


def sign_in(page: Any, name: str, password: str) -> None:
    """Open the box from the top bar (unless the page shows it already), sign in with a name and password, and
    wait until the box has closed."""
    if page.locator("#token-box").is_hidden():
        page.click("#signin-button")
    page.fill("#signin-name", name)
    page.fill("#signin-password", password)
    page.click("#password-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('token-box').hidden", timeout=20_000)


def wait_for_role(page: Any, role: str) -> None:
    page.wait_for_function(f"() => document.body.dataset.role === '{role}'", timeout=20_000)


def session_cookie(page: Any) -> dict[str, Any] | None:
    return next((c for c in page.context.cookies() if c["name"] == "gridmap_session"), None)


def test_a_planner_signs_in_stays_signed_in_after_a_reload_and_signs_out(
    visit: Visit, server: Server, tmp_path: Path
) -> None:
    page = visit.page
    assert page.locator(HOUSEHOLD_LAYER, has_text="住户点 Household points").count() == 0

    page.evaluate("document.body.dataset.loaded = ''")
    sign_in(page, "规划员甲", PASSWORDS["规划员甲"])
    page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=20_000)

    wait_for_role(page, "planner")
    assert page.locator("#signed-in-as").inner_text() == "规划员甲 · 规划员 Planner"
    assert page.locator("#signin-button").inner_text().startswith("退出")
    assert page.locator(HOUSEHOLD_LAYER, has_text="住户点 Household points").count() == 1
    # The pages a planner works on are linked from the top bar; the admin's page and the page shown are not.
    visible = page.locator("a.page-link:visible")
    assert visible.evaluate_all("links => links.map(a => a.getAttribute('href'))") == ["/desk", "/edit", "/review"]
    cookie = session_cookie(page)
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert page.evaluate("document.cookie").count("gridmap_session") == 0  # no script can read the session id
    assert page.evaluate("window.sessionStorage.getItem('gridmapToken')") is None
    assert not [url for url in visit.requests if PASSWORDS["规划员甲"] in url]
    page.screenshot(path=str(tmp_path / "signed-in.png"))

    page.reload()
    page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=20_000)
    wait_for_role(page, "planner")
    assert page.locator(HOUSEHOLD_LAYER, has_text="住户点 Household points").count() == 1

    page.evaluate("document.body.dataset.loaded = ''")
    page.click("#signin-button")
    page.wait_for_function("() => document.body.dataset.signedIn === 'false'", timeout=20_000)
    page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=20_000)
    assert page.locator(HOUSEHOLD_LAYER, has_text="住户点").count() == 0
    assert page.locator("#signed-in-as").is_hidden()
    assert session_cookie(page) is None
    assert visit.console_errors == []
    assert visit.outside_requests() == []


def test_a_viewer_is_signed_in_without_the_household_layer(visit: Visit, server: Server) -> None:
    page = visit.page
    sign_in(page, "查看员乙", PASSWORDS["查看员乙"])
    wait_for_role(page, "viewer")
    assert page.locator("#signed-in-as").inner_text() == "查看员乙 · 查看员 Viewer"
    assert page.locator("#signin-button").inner_text().startswith("退出")
    assert page.locator(HOUSEHOLD_LAYER, has_text="住户点 Household points").count() == 0
    assert page.locator("#admin-link").is_hidden()
    assert page.locator("a.page-link:visible").count() == 0  # a viewer's only page is the map shown


def test_a_wrong_password_is_said_in_the_box(visit: Visit, server: Server) -> None:
    page = visit.page
    page.click("#signin-button")
    page.fill("#signin-name", "规划员甲")
    page.fill("#signin-password", "not-the-password")
    page.click("#password-form button[type=submit]")
    message = page.locator("#signin-message")
    message.wait_for(state="visible", timeout=20_000)
    assert "用户名或密码错误" in message.inner_text()
    assert page.locator("#token-box").is_visible()
    assert page.evaluate("document.body.dataset.signedIn") == "false"
    assert page.locator("#signin-password").input_value() == ""


def test_the_admin_page_adds_a_user_who_can_then_sign_in(browser: Any, server: Server, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.base + "/admin")
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=20_000)
    assert page.locator("#admin-needed").is_visible() and page.locator("#admin-users").is_hidden()

    sign_in(page, "管理员丙", PASSWORDS["管理员丙"])
    page.wait_for_function("() => Number(document.body.dataset.users) >= 3", timeout=20_000)
    assert page.locator("#users-table tr[data-name='规划员甲']").count() == 1
    page.fill("#add-name", "网格员丁")
    page.select_option("#add-role", "worker")
    page.fill("#add-password", "worker-password-4")
    page.click("#add-user-form button[type=submit]")
    row = page.locator("#users-table tr[data-name='网格员丁']")
    row.wait_for(timeout=20_000)
    assert row.locator("select").input_value() == "worker"
    page.screenshot(path=str(tmp_path / "admin.png"))
    assert errors == []
    context.close()

    visit = open_viewer(browser, server.base)
    try:
        sign_in(visit.page, "网格员丁", "worker-password-4")
        wait_for_role(visit.page, "worker")
        assert visit.page.locator("#signed-in-as").inner_text() == "网格员丁 · 网格员 Worker"
    finally:
        visit.page.context.close()
