"""The viewer on a phone, in a real headless Chromium as a touch-screen browser: nothing scrolls sideways, the
top bar's page links fold into a menu, the layer list folds, the incident filters open over the map, and a tapped
grid stays in sight when the panel unfolds over the map with its details. The app runs as in test_viewer.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely

from tests.web.test_viewer import Server, Visit, _need_chromium, _start, open_viewer

pytestmark = pytest.mark.browser

PHONES = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]
PHONE = PHONES[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("phone"))


@pytest.fixture
def phone_visit(browser: Any, server: Server) -> Iterator[Visit]:
    """The viewer on a 390x844 phone, a planner signed in."""
    opened = open_viewer(browser, server.base, token=server.planner_token, viewport=PHONE, phone=True)
    yield opened
    opened.page.context.close()


def page_width(page: Any) -> tuple[int, int, int]:
    """The document's scroll width, the window's inner width and the viewport's width."""
    widths: list[int] = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth]"
    )
    return widths[0], widths[1], widths[2]


@pytest.mark.parametrize("viewport", PHONES, ids=lambda v: f"{v['width']}x{v['height']}")
def test_nothing_scrolls_sideways_and_the_page_links_fold_into_a_menu(
    browser: Any, server: Server, viewport: dict[str, int], tmp_path: Path
) -> None:
    visit = open_viewer(browser, server.base, token=server.planner_token, viewport=viewport, phone=True)
    page = visit.page
    try:
        page.wait_for_function("() => document.body.dataset.role === 'planner'", timeout=20_000)
        width = viewport["width"]
        assert page_width(page) <= (width, width, width)
        assert page.evaluate("window.innerWidth") == width  # the layout viewport was not widened by the content
        assert page.locator("#desk-link").is_hidden()  # behind the menu
        page.click("#menu-button")
        assert page.locator("#menu-button").get_attribute("aria-expanded") == "true"
        for link in ("#desk-link", "#edit-link", "#review-link", "#report-link", "#signin-button"):
            box = page.locator(link).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, link
        assert page_width(page)[0] <= width
        page.screenshot(path=str(tmp_path / f"menu-{width}.png"))
        page.locator("#map").click(position={"x": 20, "y": 300})  # a tap elsewhere folds the menu again
        assert page.locator("#desk-link").is_hidden()
        assert visit.console_errors == []
    finally:
        page.context.close()


def test_the_layer_list_folds_and_starts_folded_on_a_phone(browser: Any, server: Server, phone_visit: Visit) -> None:
    page = phone_visit.page
    layer_list = page.locator(".leaflet-control-layers-list")
    assert layer_list.is_hidden()
    assert page.locator("#layers-fold").get_attribute("aria-expanded") == "false"
    page.locator("#layers-fold").tap()
    assert layer_list.is_visible()
    page.locator("#layers-fold").tap()
    assert layer_list.is_hidden()
    # On a wide screen the list starts unfolded.
    wide = open_viewer(browser, server.base)
    try:
        assert wide.page.locator(".leaflet-control-layers-list").is_visible()
        assert wide.page.locator("#layers-fold").get_attribute("aria-expanded") == "true"
    finally:
        wide.page.context.close()


def test_the_incident_filters_open_over_the_map(phone_visit: Visit) -> None:
    page = phone_visit.page
    assert page.locator("#incident-category").is_hidden()
    page.evaluate("window.gridmapIncidents.show('incidents')")
    category = page.locator("#incident-category")
    category.wait_for(state="visible", timeout=20_000)
    # The panel scrolls the filters into place and the summary above them fills in when the counts arrive: wait for
    # the summary, then until the list has stayed put and uncovered for a few frames, and measure in that same frame.
    page.locator("#incidents-summary").filter(has_text="起").wait_for(timeout=20_000)
    measured = page.wait_for_function(
        """() => {
            const box = document.getElementById("incident-category").getBoundingClientRect();
            const at = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            const key = [box.x, box.y, box.width, box.height].join();
            const seen = window.filtersSeen ?? { key: "", still: 0 };
            const uncovered = at?.id === "incident-category";
            window.filtersSeen = { key, still: key === seen.key && uncovered ? seen.still + 1 : 0 };
            if (window.filtersSeen.still < 5) return null;
            const map = document.getElementById("map").getBoundingClientRect();
            return { top: box.y, bottom: box.bottom, mapTop: map.y, mapBottom: map.bottom, mapHeight: map.height };
        }""",
        polling="raf",
        timeout=20_000,
    ).json_value()
    # Over the map, on screen, not covered by anything (checked above), and the page itself does not scroll.
    assert measured["mapTop"] <= measured["top"] and measured["bottom"] <= measured["mapBottom"] <= PHONE["height"]
    assert page.evaluate("document.scrollingElement.scrollHeight") <= PHONE["height"]
    assert measured["mapHeight"] > PHONE["height"] / 2
    page.locator("#panel-fold").tap()  # the panel folds back to its bar, giving the map back
    assert category.is_hidden()
    assert phone_visit.console_errors == []


def test_a_tapped_grid_stays_in_view(phone_visit: Visit, server: Server) -> None:
    page = phone_visit.page
    grid = server.of_level("grid")[7]
    code = grid["properties"]["code"]
    inside = shapely.geometry.shape(grid["geometry"]).representative_point()
    # The grid's point 60 px above the bottom of the map, where the panel unfolds.
    xy = page.evaluate(
        """p => {
            const map = window.gridmapViewer.map;
            map.setView([p[1], p[0]], 17, {animate: false});
            map.panBy([0, -(map.getContainer().clientHeight / 2 - 60)], {animate: false});
            const c = map.latLngToContainerPoint([p[1], p[0]]);
            return [c.x, c.y];
        }""",
        [inside.x, inside.y],
    )
    map_box = page.locator("#map").bounding_box()
    page.touchscreen.tap(map_box["x"] + xy[0], map_box["y"] + xy[1])
    page.wait_for_function(f"() => document.getElementById('details').dataset.code === '{code}'", timeout=20_000)
    assert page.locator("#details-name").is_visible()  # the panel unfolded with the details
    # After the panel unfolds and the map pans, the tapped place is on screen and nothing covers it.
    page.wait_for_function(
        """p => {
            const map = window.gridmapViewer.map;
            const box = map.getContainer().getBoundingClientRect();
            const c = map.latLngToContainerPoint([p[1], p[0]]);
            const x = box.left + c.x, y = box.top + c.y;
            if (y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth) return false;
            const hit = document.elementFromPoint(x, y);
            return hit !== null && map.getContainer().contains(hit);
        }""",
        arg=[inside.x, inside.y],
        timeout=20_000,
    )
    assert phone_visit.console_errors == []
