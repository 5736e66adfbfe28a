"""The viewer's map tools in a real headless Chromium: measuring, saving the map as PNG and PDF, and a link to the view.

The app runs as in test_viewer.py, on a new SQLite database holding the sample region. Measured figures are checked
against pyproj's geodesics (GeographicLib) for the same clicked points.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from PIL import Image
from pyproj import Geod

from tests.web.test_viewer import Server, Visit, _click_inside, _need_chromium, _start, open_viewer

pytestmark = pytest.mark.browser

WGS84 = Geod(ellps="WGS84")
SHOW_WAIT_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a new SQLite database holding the sample region."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("tools"))


def click_map(page: Any, points: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """Click the map at container pixels; the (lon, lat) of each click."""
    box = page.locator("#map").bounding_box()
    clicked = []
    for x, y in points:
        page.mouse.click(box["x"] + x, box["y"] + y)
        lat_lng = page.evaluate("p => window.gridmapViewer.map.containerPointToLatLng(p)", [x, y])
        clicked.append((lat_lng["lng"], lat_lng["lat"]))
    return clicked


def measured(page: Any, key: str) -> float:
    value: str = page.evaluate(f"document.getElementById('measure-result').dataset.{key} || ''")
    return float(value)


def test_a_distance_and_an_area_are_measured_on_the_ellipsoid(visit: Visit, server: Server, tmp_path: Path) -> None:
    page = visit.page
    page.click("#measure-distance")
    assert page.locator("#measure-distance").get_attribute("aria-pressed") == "true"
    path = click_map(page, [(300, 300), (560, 340), (600, 560)])
    lons, lats = zip(*path, strict=True)
    expected = WGS84.line_length(lons, lats)
    assert measured(page, "metres") == pytest.approx(expected, abs=0.01)
    figure = page.locator("#measure-result .measure-figure").inner_text()
    assert "Esc" in page.locator("#measure-result .measure-hint").inner_text()
    assert figure.startswith("距离 Distance: ") and re.search(r"(米 m|公里 km)$", figure)
    # The clicks went to the measurement, not to the grids under them.
    assert page.evaluate("document.getElementById('details').dataset.code") is None

    page.keyboard.press("Escape")
    assert page.locator("#measure-distance").get_attribute("aria-pressed") == "false"
    click_map(page, [(700, 300)])
    assert measured(page, "metres") == pytest.approx(expected, abs=0.01)  # ended: no more points

    page.click("#measure-area")
    ring = click_map(page, [(250, 250), (650, 260), (640, 600)])
    box = page.locator("#map").bounding_box()
    page.mouse.dblclick(box["x"] + 260, box["y"] + 590)  # the last point: its second click adds none
    last = page.evaluate("p => window.gridmapViewer.map.containerPointToLatLng(p)", [260, 590])
    ring.append((last["lng"], last["lat"]))
    lons, lats = zip(*ring, strict=True)
    area, perimeter = WGS84.polygon_area_perimeter(lons, lats)
    assert measured(page, "squareMetres") == pytest.approx(abs(area), rel=1e-6)
    assert page.locator(".leaflet-measure-pane path").count() == 1 + len(ring)  # the polygon and its corners
    text = page.locator("#measure-result").inner_text()
    hectares, mu = abs(area) / 10_000, abs(area) / (10_000 / 15)
    assert f"{hectares:,.1f} 公顷 ha" in text or f"{hectares:,.2f} 公顷 ha" in text
    assert f"{mu:,.1f} 亩 mu" in text
    assert f"周长 Perimeter: {perimeter / 1000:,.2f} 公里 km" in text or f"{perimeter:,.0f} 米 m" in text
    assert page.locator("#measure-area").get_attribute("aria-pressed") == "false"  # the double click ended it
    assert "null" not in text and page.locator("#measure-result .measure-hint").count() == 0
    page.screenshot(path=str(tmp_path / "measure-area.png"))

    page.click("#measure-clear")
    assert page.locator("#measure-result").is_hidden()
    assert page.locator(".leaflet-measure-pane path").count() == 0
    grid = server.of_level("grid")[7]
    _click_inside(page, grid)  # clicks select grids again
    page.wait_for_function(f"() => document.getElementById('details').dataset.code === '{grid['properties']['code']}'")
    assert visit.console_errors == []


def _pdf_image(pdf: bytes) -> Image.Image:
    """The one JPEG the map's PDF carries."""
    head = re.search(rb"/Filter /DCTDecode /Length (\d+) >>\nstream\n", pdf)
    assert head is not None
    start = head.end()
    return Image.open(io.BytesIO(pdf[start : start + int(head.group(1))]))


def _is_a_map(image: Image.Image, map_box: tuple[int, int, int, int]) -> None:
    """The picture holds many colours over its map, and dark text in its title."""
    colours = image.convert("RGB").crop(map_box).getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50
    title = image.convert("L").crop((0, 0, image.width // 3, 70))
    assert title.getextrema()[0] < 80  # the title's ink on white


def test_the_map_saves_as_png_and_pdf_with_title_legend_and_scale(visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    page.click("#measure-distance")
    click_map(page, [(200, 400), (500, 420)])
    page.keyboard.press("Escape")
    size = page.evaluate("window.gridmapViewer.map.getSize()")
    # Twice the screen's pixels: the map with margins of 16, a header of 62, a legend of 250 and a footer of 24.
    expected = (2 * (16 + size["x"] + 16 + 250), 2 * (16 + 62 + size["y"] + 24 + 16))
    map_box = (2 * 16, 2 * 78, 2 * (16 + size["x"]), 2 * (78 + size["y"]))

    with page.expect_download() as png_download:
        page.click("#export-png")
    png = tmp_path / png_download.value.suggested_filename
    png_download.value.save_as(png)
    assert re.fullmatch(r"gridmap-v\d+-\d{12}\.png", png.name)
    image = Image.open(png)
    assert image.format == "PNG"
    assert image.size == expected
    _is_a_map(image, map_box)
    # The measured line, in its colour, is in the picture.
    assert (0xD9, 0x48, 0x0F) in {colour for _, colour in image.convert("RGB").crop(map_box).getcolors(1_000_000)}

    with page.expect_download() as pdf_download:
        page.click("#export-pdf")
    pdf = pdf_download.value.path().read_bytes()
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 841.89 595.28]" in pdf
    page_image = _pdf_image(pdf)
    assert page_image.size == expected
    _is_a_map(page_image, map_box)
    assert page.evaluate("document.body.dataset.exported") == "pdf"
    page.screenshot(path=str(tmp_path / "export.png"))
    assert visit.console_errors == []
    assert visit.outside_requests() == []


def _layer_states(page: Any) -> dict[str, bool]:
    return dict(
        page.evaluate(
            """() => {
                const { map, layers } = window.gridmapViewer;
                const incidents = window.gridmapIncidents.layers;
                return { community: map.hasLayer(layers.community), grid: map.hasLayer(layers.grid),
                         microgrid: map.hasLayer(layers.microgrid), areas: map.hasLayer(incidents.areas),
                         heat: map.hasLayer(incidents.heat) };
            }"""
        )
    )


def _filters(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            """() => Object.fromEntries(['incident-status', 'incident-from', 'incident-to', 'incident-rate']
                .map((id) => [id, document.getElementById(id).value]))"""
        )
    )


def _view(page: Any) -> dict[str, float]:
    return dict(
        page.evaluate(
            "() => { const m = window.gridmapViewer.map, c = m.getCenter();"
            " return { lat: c.lat, lng: c.lng, zoom: m.getZoom() }; }"
        )
    )


def test_a_copied_link_reopens_the_same_view_layers_and_filters(browser: Any, server: Server, tmp_path: Path) -> None:
    first = open_viewer(browser, server.base)
    try:
        page = first.page
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
        page.wait_for_function("() => document.body.dataset.shareRestored === '1'")
        page.locator(".leaflet-control-layers-overlays label", has_text="微网格").locator("input").check()
        page.locator(".leaflet-control-layers-overlays label", has_text="网格 Grids").first.locator("input").uncheck()
        page.locator(".leaflet-control-layers-overlays label", has_text="每网格事件").locator("input").check()
        page.select_option("#incident-status", "reported")
        page.fill("#incident-from", "2025-01-01")
        page.fill("#incident-to", "2025-06-30")
        page.select_option("#incident-rate", "per1000")
        centre = shapely.geometry.shape(server.of_level("grid")[3]["geometry"]).centroid
        page.evaluate("p => window.gridmapViewer.map.setView(p, 15.25, { animate: false })", [centre.y, centre.x])
        page.wait_for_function("() => location.hash.includes('map=15.25/') && location.hash.includes('rate=per1000')")
        page.click("#share-link")
        page.wait_for_function("() => document.body.dataset.linkCopied")
        link = page.evaluate("navigator.clipboard.readText()")
        assert link == page.evaluate("document.body.dataset.linkCopied") == page.evaluate("location.href")
        expected = (_view(page), _layer_states(page), _filters(page))
    finally:
        first.page.context.close()

    assert link.startswith(server.base + "/#map=15.25/")
    second = open_viewer(browser, server.base, path=link.removeprefix(server.base))
    try:
        page = second.page
        page.wait_for_function("() => document.body.dataset.shareRestored === '1'", timeout=SHOW_WAIT_MS)
        view, layers, filters = expected
        restored = _view(page)
        assert restored["zoom"] == view["zoom"] == 15.25
        assert restored["lat"] == pytest.approx(view["lat"], abs=1e-6)
        assert restored["lng"] == pytest.approx(view["lng"], abs=1e-6)
        assert (
            _layer_states(page)
            == layers
            == {
                "community": True,
                "grid": False,
                "microgrid": True,
                "areas": True,
                "heat": False,
            }
        )
        assert (
            _filters(page)
            == filters
            == {
                "incident-status": "reported",
                "incident-from": "2025-01-01",
                "incident-to": "2025-06-30",
                "incident-rate": "per1000",
            }
        )
        # The per-grid counts were asked for with the link's filters.
        page.wait_for_function("() => Number(document.body.dataset.incidentsRendered || 0) > 0", timeout=SHOW_WAIT_MS)
        asked = [url for url in second.requests if "/incident-map/areas?" in url]
        assert asked and all("status=reported" in url and "since=2025-01-01" in url for url in asked)
        page.screenshot(path=str(tmp_path / "restored.png"))
        assert second.console_errors == []
    finally:
        second.page.context.close()


def test_printing_keeps_the_map_legend_title_scale_north_arrow_and_date_on_a4_landscape(
    visit: Visit, tmp_path: Path
) -> None:
    page = visit.page
    page.locator("#print-map").wait_for()  # the map's tools load once the first view is drawn
    assert page.locator(".topbar").is_visible() and not page.locator("#print-header").is_visible()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # as printing does; emulation fires no event
    page.emulate_media(media="print")
    controls = (".topbar", "#search-form", ".leaflet-control-zoom", ".leaflet-control-layers", "#print-map")
    for hidden in (*controls, "#export-pdf", "#measure-distance", "#panel-fold", "#details", "#incident-category"):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in (
        "#map",
        "#panel .legend:not([hidden])",
        ".leaflet-control-scale",
        "#print-north",
        "#print-title",
        "#print-date",
    ):
        assert page.locator(shown).first.is_visible(), shown
    assert page.locator("#print-title").inner_text().startswith("网格地图 Gridmap")
    assert "Data version" in page.locator("#print-version").inner_text()
    assert re.search(r"Printed \d{4}-\d\d-\d\d \d\d:\d\d", page.locator("#print-date").inner_text())
    # The legend beside the map, both below the header.
    map_box = page.locator("#map").bounding_box()
    legend_box = page.locator("#panel .legend:not([hidden])").first.bounding_box()
    header_box = page.locator("#print-header").bounding_box()
    assert legend_box["x"] >= map_box["x"] + map_box["width"] - 1
    assert map_box["y"] >= header_box["y"] + header_box["height"] and map_box["width"] > 3 * legend_box["width"]
    # Chromium's own print to PDF takes the stylesheet's page: one A4 landscape page (842 x 595 points).
    page.screenshot(path=str(tmp_path / "printed.png"))  # the artefact a person looks at
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(boxes) == 1 and [round(float(side)) for side in boxes[0]] == [842, 595]
    page.emulate_media(media="screen")
    assert page.locator(".topbar").is_visible() and not page.locator("#print-header").is_visible()
