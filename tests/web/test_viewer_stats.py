"""The viewer's statistics table (统计表) and its legends in a real headless Chromium.

The app runs as in test_viewer.py with the sample's households stored and its life-circle inputs in place: a
planner opens the table at 1366x768, sorts it by households, clicks a row (the map zooms to that grid) and
downloads the CSV, which holds the API's rows; the public sees no household column; on a phone the table
folds and nothing scrolls sideways. The household legend has no "0–0" class, and says so when the store holds
no household register.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.web.test_viewer import Server, _need_chromium, _start, open_viewer, start_with_households
from tests.web.test_viewer_layers import SAMPLE_INPUTS, switch_on

pytestmark = pytest.mark.browser

SAME_NUMBER_RANGE = re.compile(r"^(\d+)–\1(\D|$)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region, its households stored and its life-circle inputs in place."""
    _need_chromium()
    yield from start_with_households(tmp_path_factory.mktemp("stats"), SAMPLE_INPUTS)


def api_get(server: Server, path_and_query: str, token: str | None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(server.base + path_and_query, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
        return body


def open_table(page: Any) -> None:
    page.click("#stats-button")
    page.wait_for_function("() => document.getElementById('stats').dataset.state === 'loaded'", timeout=30_000)


def header_keys(page: Any) -> list[str]:
    keys: list[str] = page.evaluate("[...document.querySelectorAll('#stats-table th')].map((th) => th.dataset.key)")
    return keys


def column_texts(page: Any, key: str) -> list[str]:
    index = header_keys(page).index(key)
    texts: list[str] = page.evaluate(
        f"() => [...document.querySelectorAll('#stats-table tbody tr')].map((tr) => tr.cells[{index}].textContent)"
    )
    return texts


def test_a_planner_sorts_zooms_and_downloads_the_rows_of_the_api(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_viewer(browser, server.base, token=server.planner_token)
    page = visit.page
    try:
        page.set_viewport_size({"width": 1366, "height": 768})
        open_table(page)
        assert {"households", "people", "elderly_alone", "incidents", "complete_15"} <= set(header_keys(page))
        assert page.locator("#map").bounding_box()["height"] > 250  # the map stays usable beside the table

        header = page.locator("#stats-table th[data-key=households] button")
        header.click()
        assert page.locator("#stats-table th[data-key=households]").get_attribute("aria-sort") == "ascending"
        header.click()
        assert page.locator("#stats-table th[data-key=households]").get_attribute("aria-sort") == "descending"
        shown = [int(text.replace(",", "")) for text in column_texts(page, "households")]
        assert shown == sorted(shown, reverse=True) and shown[0] > 0

        # The CSV link holds the table's filters: the API's JSON for them is what the table shows.
        href = page.get_attribute("#stats-csv", "href")
        assert href is not None
        query = dict(parse_qsl(urlsplit(href).query))
        assert query["format"] == "csv" and "bbox" in query and query["level"] == "grid"
        json_query = urlencode({k: v for k, v in query.items() if k != "format"})
        api = json.loads(api_get(server, f"/api/v1/grid-stats?{json_query}", server.planner_token))
        assert sorted(shown, reverse=True) == sorted((row["households"] for row in api["rows"]), reverse=True)
        assert len(api["rows"]) == page.locator("#stats-table tbody tr").count()

        top = page.locator("#stats-table tbody tr").first
        code = top.get_attribute("data-code")
        zoom_before = page.evaluate("window.gridmapViewer.map.getZoom()")
        top.click()
        page.wait_for_function(
            f"() => (window.gridmapViewer.state.highlighted || {{}}).feature?.properties.code === '{code}'"
        )
        page.wait_for_function(f"() => window.gridmapViewer.map.getZoom() > {zoom_before}")
        inside = page.evaluate(
            f"""() => {{
              const v = window.gridmapViewer;
              return v.map.getBounds().contains(v.state.byCode.get('{code}').layer.getBounds());
            }}"""
        )
        assert inside
        assert page.locator("#stats-table tr.chosen").get_attribute("data-code") == code

        with page.expect_download() as downloading:
            page.click("#stats-csv")
        saved = tmp_path / "stats.csv"
        downloading.value.save_as(saved)
        rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
        assert rows[0] == [column["title"] for column in api["columns"]]
        keys = [column["key"] for column in api["columns"]]
        expected = [["" if row[key] is None else str(row[key]) for key in keys] for row in api["rows"]]
        assert rows[1:] == expected

        switch_on(page, "住户数")
        page.wait_for_function("() => document.body.dataset.thematic === 'households'")
        labels = page.locator("#thematic-ramp li").all_inner_texts()
        assert labels and not [label for label in labels if SAME_NUMBER_RANGE.match(label)]
        page.screenshot(path=str(tmp_path / "stats-1366x768.png"))
        assert not visit.console_errors
    finally:
        page.context.close()


def test_the_public_gets_no_household_columns(browser: Any, server: Server) -> None:
    visit = open_viewer(browser, server.base)
    page = visit.page
    try:
        open_table(page)
        keys = header_keys(page)
        assert "incidents" in keys and "households_target" in keys
        assert not {"households", "people", "elderly_alone"} & set(keys)
        assert "planner" in page.locator("#stats-notes").inner_text()
    finally:
        page.context.close()


def test_on_a_phone_the_table_folds_and_nothing_scrolls_sideways(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_viewer(browser, server.base, token=server.planner_token)
    page = visit.page
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        open_table(page)
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(tmp_path / "stats-phone.png"))
        page.click("#stats-fold")
        assert page.locator("#stats-scroll").is_hidden()
        assert page.locator("#stats").bounding_box()["height"] < 120
        page.click("#stats-fold")
        assert page.locator("#stats-scroll").is_visible()
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region with no household register."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("no-households"))


def test_without_a_register_the_legend_and_the_table_say_so(browser: Any, empty_server: Server) -> None:
    visit = open_viewer(browser, empty_server.base, token=empty_server.planner_token)
    page = visit.page
    try:
        switch_on(page, "住户数")
        page.wait_for_function("() => document.body.dataset.thematic === 'households'")
        assert page.locator("#thematic").get_attribute("data-state") == "empty"
        assert "No household register loaded" in page.locator("#thematic-ramp").inner_text()
        open_table(page)
        assert "households" not in header_keys(page)
        assert "未加载住户登记" in page.locator("#stats-notes").inner_text()
    finally:
        page.context.close()
