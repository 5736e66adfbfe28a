"""Maps to orient by, in a real headless Chromium: the sample's streets and river under the grids on the viewer
and on /report, street names from a high zoom, and a local MBTiles base map served by the app itself."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely

from gridmap.services.demo import REFERENCE_LAYERS
from gridmap.services.reference_layers import import_reference_layer
from gridmap.store import open_store
from tests.api.test_base_map import RED, write_mbtiles
from tests.web.test_report_page import open_report
from tests.web.test_viewer import REPO, Server, Visit, _need_chromium, _start, open_viewer

pytestmark = pytest.mark.browser

STREET_FILL = "#868e96"
RIVER_FILL = "#a5d8ff"


def store_reference_layers(server: Server) -> None:
    """The demo's streets and river, stored as `gridmap demo load` stores them."""
    with open_store(server.database_url) as store:
        for path, name, title, style in REFERENCE_LAYERS:
            import_reference_layer(
                store=store, path=REPO / "data" / path, name=name, title=title, label_field="name", style=style
            )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region with the sample's streets and river stored."""
    _need_chromium()
    for started in _start(tmp_path_factory.mktemp("reference")):
        store_reference_layers(started)
        yield started


def reference_paths(page: Any) -> list[dict[str, str | None]]:
    """Stroke and fill of every path drawn in the reference pane."""
    paths: list[dict[str, str | None]] = page.evaluate(
        "() => [...document.querySelectorAll('.leaflet-reference-pane path')]"
        ".map((p) => ({stroke: p.getAttribute('stroke'), fill: p.getAttribute('fill')}))"
    )
    return paths


def wait_for_reference(page: Any) -> None:
    page.wait_for_function("() => document.body.dataset.reference === 'loaded'", timeout=20_000)


def test_the_viewer_draws_streets_and_river_under_the_grids_with_switches(visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    wait_for_reference(page)
    paths = reference_paths(page)
    streets = [p for p in paths if p["stroke"] == STREET_FILL]
    assert len(streets) == 142  # one path per street of the sample
    assert any(p["fill"] == RIVER_FILL for p in paths)  # the river's water polygon
    pane_z = page.evaluate("() => Number(getComputedStyle(document.querySelector('.leaflet-reference-pane')).zIndex)")
    grid_z = page.evaluate("() => Number(getComputedStyle(document.querySelector('.leaflet-grid-pane')).zIndex)")
    assert pane_z < grid_z
    page.screenshot(path=str(tmp_path / "viewer-reference.png"))

    switches = page.locator(".leaflet-control-layers-overlays label")
    page.locator(".leaflet-control-layers-overlays label", has_text="道路 / Streets").locator("input").uncheck()
    assert not [p for p in reference_paths(page) if p["stroke"] == STREET_FILL]
    assert any(p["fill"] == RIVER_FILL for p in reference_paths(page))
    page.locator(".leaflet-control-layers-overlays label", has_text="河流 / River").locator("input").uncheck()
    assert reference_paths(page) == []
    assert switches.filter(has_text="道路 / Streets").count() == 1
    assert visit.console_errors == [] and visit.outside_requests() == []


def test_street_names_show_at_high_zoom_only(visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    wait_for_reference(page)
    labels = page.locator(".leaflet-tooltip.reference-label")
    assert labels.count() >= 142 and not labels.first.is_visible()  # the river's labels too, all hidden

    # Centre the map on a named street at zoom 17: its name is drawn, as text (a DOM node, not HTML).
    street = page.evaluate(
        "() => { const l = window.gridmapViewer.referenceLayers.get('streets').getLayers()[0];"
        " return { name: l.feature.properties.label, centre: l.getCenter() }; }"
    )
    page.evaluate("c => window.gridmapViewer.map.setView([c.lat, c.lng], 17, {animate: false})", street["centre"])
    visible = page.locator(".leaflet-tooltip.reference-label:visible")
    visible.first.wait_for(state="visible")
    assert street["name"] in page.locator(".leaflet-tooltip.reference-label:visible").all_inner_texts()
    page.screenshot(path=str(tmp_path / "street-names.png"))


def test_the_report_page_shows_the_river(browser: Any, server: Server) -> None:
    visit = open_report(browser, server.base)
    try:
        page = visit.page
        page.wait_for_function("() => document.querySelectorAll('.leaflet-reference-pane path').length > 100")
        assert any(p["fill"] == RIVER_FILL for p in reference_paths(page))
        assert visit.console_errors == [] and visit.outside_requests() == []
    finally:
        visit.page.context.close()


def xyz_tiles(bounds: tuple[float, float, float, float], zooms: range) -> list[tuple[int, int, int]]:
    """The Web Mercator tiles covering WGS-84 `bounds` at each zoom."""

    def tile(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 2**z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    west, south, east, north = bounds
    tiles = []
    for z in zooms:
        (x0, y0), (x1, y1) = tile(west, north, z), tile(east, south, z)
        tiles += [(z, x, y) for x in range(x0 - 1, x1 + 2) for y in range(y0 - 1, y1 + 2)]
    return tiles


@pytest.fixture(scope="module")
def offline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with GRIDMAP_BASEMAP=local on an MBTiles file covering the sample region up to zoom 16."""
    _need_chromium()
    folder = tmp_path_factory.mktemp("offline")
    region = shapely.geometry.shape(
        {"type": "Polygon", "coordinates": [[[119.47, 27.42], [119.55, 27.42], [119.55, 27.50], [119.47, 27.50]]]}
    )
    path = write_mbtiles(folder / "city.mbtiles", dict.fromkeys(xyz_tiles(region.bounds, range(10, 17)), RED))
    yield from _start(folder, basemap="local", basemap_path=str(path))


def test_a_local_mbtiles_base_map_is_drawn_from_the_app(browser: Any, offline_server: Server, tmp_path: Path) -> None:
    visit = open_viewer(browser, offline_server.base)
    try:
        page = visit.page
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.leaflet-tile-loaded')].some((i) => i.src.includes('/tiles/'))",
            timeout=20_000,
        )
        assert any("/tiles/" in url for url in visit.requests)
        assert visit.outside_requests() == []
        page.screenshot(path=str(tmp_path / "offline-base-map.png"))
    finally:
        visit.page.context.close()
