"""The viewer's thematic layers in a real headless Chromium: household counts and life-circle coverage per grid.

The app runs as in test_viewer.py, on a new SQLite database with the sample region, plus the sample's
households in the store and its streets, facilities and households where the life-circle analysis looks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_viewer import (
    Server,
    Visit,
    _click_inside,
    _need_chromium,
    start_with_households,
)

pytestmark = pytest.mark.browser

SAMPLE_INPUTS = ("streets.geojson", "facilities.geojson", "households.csv")
HOUSEHOLD_RAMP = {"#fff1e0", "#fdc98f", "#fb8d3d", "#e6550d", "#7f2704"}
COVERAGE_RAMP = {"#c92a2a", "#f08c00", "#fcc419", "#82c91e", "#2b8a3e"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region, its households stored and its life-circle inputs in place."""
    _need_chromium()
    yield from start_with_households(tmp_path_factory.mktemp("layers"), SAMPLE_INPUTS)


def grid_fills(page: Any) -> list[str]:
    """The fill colour of every grid drawn on the map."""
    fills: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-grid-pane path')].map((p) => p.getAttribute('fill'))"
    )
    return fills


def switch_on(page: Any, overlay: str) -> None:
    """Tick an overlay in the layer switcher."""
    page.locator(".leaflet-control-layers-overlays label", has_text=overlay).locator("input").check()


def test_household_choropleth_colours_every_grid_and_clicks_show_counts(
    visit: Visit, server: Server, tmp_path: Path
) -> None:
    page = visit.page
    plain = grid_fills(page)
    assert not set(plain) & HOUSEHOLD_RAMP  # boundary colours until the layer is switched on
    assert page.locator("#thematic").is_hidden()

    switch_on(page, "住户数")
    page.wait_for_function("() => document.body.dataset.thematic === 'households'")
    fills = grid_fills(page)
    assert len(fills) == len(server.of_level("grid"))
    assert set(fills) <= HOUSEHOLD_RAMP
    assert len(set(fills)) >= 3  # grids hold different numbers of households: the ramp shows it
    # Up to five classes, none lying wholly above the largest count (legend-classes.js), and "no data".
    assert 3 <= page.locator("#thematic-ramp li").count() <= len(HOUSEHOLD_RAMP) + 1
    assert "户" in page.locator("#thematic-ramp").inner_text()
    page.screenshot(path=str(tmp_path / "households-overview.png"))
    # One request for all grids, never one per grid.
    assert sum("/api/v1/household-counts?" in url for url in visit.requests) == 1

    grid = server.of_level("grid")[7]
    code = grid["properties"]["code"]
    _click_inside(page, grid)
    page.wait_for_function(
        f"() => document.getElementById('details').dataset.code === '{code}'"
        " && document.getElementById('details').dataset.households === 'loaded'"
    )
    expected = page.evaluate(f"window.gridmapViewer.thematic.households.get('{code}')")
    assert expected["households"] > 0
    facts = page.locator("#details-households").inner_text()
    for label in ("户数", "人口", "独居老人", "留守儿童"):
        assert label in facts
    assert re.search(rf"户数 Households\s+{expected['households']}\b", facts)
    assert re.search(rf"人口 People\s+{expected['people']}\b", facts)
    assert re.search(rf"独居老人 Elderly alone\s+{expected['elderly_alone']}\b", facts)
    page.screenshot(path=str(tmp_path / "households.png"))
    assert (tmp_path / "households.png").stat().st_size > 10_000
    assert visit.console_errors == []
    assert visit.outside_requests() == []


def test_counts_show_in_the_details_without_the_layer(visit: Visit, server: Server) -> None:
    grid = server.of_level("grid")[2]
    _click_inside(visit.page, grid)
    visit.page.wait_for_function("() => document.getElementById('details').dataset.households === 'loaded'")
    assert "户数 Households" in visit.page.locator("#details-households").inner_text()
    assert any(f"/grids/{grid['properties']['code']}/household-counts" in url for url in visit.requests)
    assert visit.console_errors == []


def test_life_circle_layer_shows_coverage_and_facilities(visit: Visit, server: Server, tmp_path: Path) -> None:
    page = visit.page
    switch_on(page, "住户数")
    page.wait_for_function("() => document.body.dataset.thematic === 'households'")
    switch_on(page, "生活圈覆盖")
    page.wait_for_function("() => document.body.dataset.thematic === 'lifecircle'", timeout=30_000)
    # One choropleth at a time: the household switch went off.
    assert not page.locator(".leaflet-control-layers-overlays label", has_text="住户数").locator("input").is_checked()
    fills = grid_fills(page)
    assert len(fills) == len(server.of_level("grid"))
    assert set(fills) <= COVERAGE_RAMP | {"#ced4da"}
    assert set(fills) & COVERAGE_RAMP
    facilities = page.locator(".leaflet-facility-pane path").count()
    assert facilities > 0

    # A facility type of its own: other colours, and only that type's facilities on the map.
    page.select_option("#lifecircle-measure", "type:kindergarten")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.leaflet-facility-pane path')].length < " + str(facilities)
    )
    by_type = grid_fills(page)
    assert set(by_type) <= COVERAGE_RAMP | {"#ced4da"}
    assert by_type != fills
    shown = page.evaluate(
        "window.gridmapViewer.facilityLayer.getLayers().map((layer) => layer.feature.properties.type)"
    )
    assert shown and set(shown) == {"kindergarten"}

    grid = server.of_level("grid")[5]
    _click_inside(page, grid)
    page.wait_for_function("() => document.getElementById('details').dataset.households === 'loaded'")
    assert "15 分钟完整度" in page.locator("#details-households").inner_text()
    page.evaluate("window.gridmapViewer.map.fitBounds(window.gridmapViewer.layers.grid.getBounds(), {animate: false})")
    page.screenshot(path=str(tmp_path / "lifecircle.png"))
    assert (tmp_path / "lifecircle.png").stat().st_size > 10_000
    assert visit.console_errors == []
    assert visit.outside_requests() == []
