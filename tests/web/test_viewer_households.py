"""The viewer's sign-in and household points in a real headless Chromium.

A planner (or a grid's own worker) who signs in sees the households of the grid they click as points with a
popup; anyone else sees no personal data and no errors. The app runs as in test_viewer.py, with the sample's
households in the store.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.web.test_viewer import (
    Server,
    Visit,
    _click_inside,
    _need_chromium,
    start_with_households,
)

pytestmark = pytest.mark.browser

POINTS = ".leaflet-household-pane path"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region with the sample's households stored."""
    _need_chromium()
    yield from start_with_households(tmp_path_factory.mktemp("households"), ("households.csv",))


def add_user(server: Server, name: str, role: Role) -> str:
    store = open_store(server.database_url)
    try:
        return store.add_user(name, role)
    finally:
        store.close()


def sign_in(page: Any, token: str) -> None:
    """Sign in through the top bar and wait until the viewer has reloaded its layers."""
    page.evaluate("document.body.dataset.loaded = ''")
    page.click("#signin-button")
    page.click("#token-advanced > summary")  # a token is the advanced way; a name and password the usual one
    page.fill("#token-input", token)
    page.click("#token-form button[type=submit]")
    page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=20_000)
    assert page.locator("#signin-button").inner_text().startswith("退出")


def households_of(server: Server, code: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{server.base}/api/v1/grids/{code}/households", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def wait_for_points(page: Any, code: str) -> str:
    page.wait_for_function(
        f"() => document.getElementById('details').dataset.code === '{code}'"
        " && document.getElementById('details').dataset.householdPoints !== undefined",
        timeout=20_000,
    )
    result: str = page.evaluate("document.getElementById('details').dataset.householdPoints")
    return result


def test_a_planner_sees_the_households_of_the_clicked_grid(visit: Visit, server: Server, tmp_path: Path) -> None:
    page = visit.page
    assert page.locator(".leaflet-control-layers-overlays label", has_text="住户点").count() == 0
    sign_in(page, server.planner_token)
    assert page.evaluate("window.sessionStorage.getItem('gridmapToken')") == server.planner_token
    assert page.evaluate("window.localStorage.getItem('gridmapToken')") is None
    assert page.locator(".leaflet-control-layers-overlays label", has_text="住户点 Household points").count() == 1
    # Every layer has a name of its own, in English too (the per-grid count and the points are not both "Households").
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    english = [name.strip().split(" ", 1)[-1] for name in labels]
    assert len(english) == len(set(english))
    assert {"Household count per grid", "Household points"} <= set(english)

    grid = server.of_level("grid")[7]
    code = grid["properties"]["code"]
    expected = households_of(server, code, server.planner_token)
    assert expected["count"] > 0
    _click_inside(page, grid)
    assert wait_for_points(page, code) == str(expected["count"])
    assert page.locator(POINTS).count() == expected["count"]
    assert f"住户点 Household points: {expected['count']}" in page.locator("#details-household-points").inner_text()

    popup = page.evaluate(
        "() => { const m = window.gridmapViewer.householdPoints.getLayers()[0]; m.openPopup();"
        " return document.querySelector('.leaflet-popup-content').innerText; }"
    )
    first = expected["households"][0]
    assert "人口 People" in popup and "关爱 Care" in popup
    assert first["household_id"] in popup
    assert re.search(r"\d{3}\*{4}\d{4}", popup)
    page.screenshot(path=str(tmp_path / "household-points.png"))

    # The token travels in the Authorization header only: never in a URL.
    assert not [url for url in visit.requests if server.planner_token in url]
    assert server.planner_token not in page.url
    assert visit.console_errors == []
    assert visit.outside_requests() == []

    # Signing out takes the points and the layer away.
    page.evaluate("document.body.dataset.loaded = ''")
    page.click("#signin-button")
    page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=20_000)
    assert page.locator(POINTS).count() == 0
    assert page.locator(".leaflet-control-layers-overlays label", has_text="住户点").count() == 0
    assert page.evaluate("window.sessionStorage.getItem('gridmapToken')") is None


def test_an_anonymous_visitor_gets_no_household_points(visit: Visit, server: Server) -> None:
    page = visit.page
    grid = server.of_level("grid")[7]
    _click_inside(page, grid)
    page.wait_for_function("() => document.getElementById('details').dataset.households === 'loaded'")
    assert page.locator(POINTS).count() == 0
    assert page.locator("#details-household-points").inner_text() == ""
    assert not [url for url in visit.requests if "/households" in url]
    assert page.locator(".leaflet-control-layers-overlays label", has_text="住户点").count() == 0
    assert visit.console_errors == []
    assert visit.outside_requests() == []


def test_a_worker_sees_their_own_grid_and_a_clear_message_elsewhere(visit: Visit, server: Server) -> None:
    page = visit.page
    own, other = server.of_level("grid")[3], server.of_level("grid")[20]
    assert own["properties"]["worker"] != other["properties"]["worker"]
    token = add_user(server, own["properties"]["worker"], Role.WORKER)
    sign_in(page, token)

    _click_inside(page, own)
    assert wait_for_points(page, own["properties"]["code"]) == str(
        households_of(server, own["properties"]["code"], token)["count"]
    )
    assert page.locator(POINTS).count() > 0

    _click_inside(page, other)
    assert wait_for_points(page, other["properties"]["code"]) == "forbidden"
    assert page.locator(POINTS).count() == 0
    assert "仅限规划员" in page.locator("#details-household-points").inner_text()
    assert page.evaluate("document.body.dataset.error") is None
    # Only the browser's own note of the 403 response, never an error from the page's code.
    assert all("403" in message for message in visit.console_errors)
    assert visit.outside_requests() == []
