"""The viewer on a version too large to load whole, in a real headless Chromium against the real app.

The sample generator's region with about 340 grids and 1,100 microgrids is stored and published in SQLite
through the services, with a few households placed in chosen grids. The viewer's size limits are served scaled
down with it: a level of more than 300 features (not 3,000) is loaded by view, and a view load brings about a
16th of the features (125, not 2,000; 16 = 4 squared). The generated grids are as dense as in a city ten times
the size, so every level starts loading exactly two zooms further in than it would with the real budget (the
view's area shrinks fourfold per zoom), with the levels in the same order and each view holding what a city's
view would hold, at a tenth of the cost. The viewer must then ask only for the grids meeting its view, merge
what a pan brings without drawing anything twice, fetch a searched grid that is far away, and colour the loaded
grids by households.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.services import boundaries as boundary_service
from gridmap.store import open_store, upgrade_database
from gridmap.store.household_store import HouseholdRecord
from gridmap_demo.region import BOUNDARY_COLUMNS, generate_region
from tests.web.test_viewer import Visit, _need_chromium, count, open_viewer, running_app

pytestmark = pytest.mark.browser

COMMUNITIES = 69  # about 340 grids and 1,100 microgrids: above the scaled VIEW_LOAD_THRESHOLD of 300
# The viewer's size limits as this test serves them: page module -> (its line, the line scaled down).
SCALED_LIMITS = {
    "/js/view-math.js": ("export const VIEW_LOAD_THRESHOLD = 3000;", "export const VIEW_LOAD_THRESHOLD = 300;"),
    "/js/viewer/view-loading.js": ("const VIEW_BUDGET = 2000;", "const VIEW_BUDGET = 125;"),
}
GRID_LABEL_ZOOM = 16  # state.js LEVELS: grid labels show from this zoom
NO_HOUSEHOLDS = ("#ced4da", "#fff1e0")  # the choropleth's colours for no data and for 0 households


@dataclass
class LargeServer:
    """The app on the large version: its base URL and the stored features (WGS-84) by level."""

    base: str
    frame: gpd.GeoDataFrame
    household_grids: list[str]

    def of_level(self, level: str) -> gpd.GeoDataFrame:
        return self.frame[self.frame["level"] == level]


def _large_frame() -> gpd.GeoDataFrame:
    frame = generate_region(communities=COMMUNITIES).boundaries[list(BOUNDARY_COLUMNS)].copy()
    frame["source"] = "test"
    frame["feature"] = range(len(frame))
    return frame


def _household_grids(grids: gpd.GeoDataFrame) -> list[str]:
    """Grids spread over the region, from its centre outwards: every 25th grid by distance to the centre."""
    min_x, min_y, max_x, max_y = grids.total_bounds
    order = np.argsort(_distances(grids, ((min_x + max_x) / 2, (min_y + max_y) / 2)), kind="stable")
    return [str(code) for code in grids["code"].to_numpy()[order][::25]]


def _distances(frame: gpd.GeoDataFrame, point: tuple[float, float]) -> Any:
    """Distances in degrees from the features' centres to `point`: only to rank them, never as a length."""
    centres = shapely.get_coordinates(shapely.centroid(np.asarray(frame.geometry.values, dtype=object)))
    return np.hypot(centres[:, 0] - point[0], centres[:, 1] - point[1])


def _store(url: str, frame: gpd.GeoDataFrame, household_grids: list[str]) -> None:
    upgrade_database(url)
    store = open_store(url)
    try:
        draft = store.import_version(boundary_service.DEFAULT_SET, frame, who="test", why="large version")
        boundary_service.publish_version(store, draft.id, who="test", why="large version")
        grids = frame.set_index("code")
        records = []
        for n, code in enumerate(household_grids):
            point = grids.loc[code].geometry.representative_point()
            for k in range(n % 3 + 1):
                records.append(HouseholdRecord(f"LARGE{n:04d}-{k}", f"测试地址 {n}-{k}", point.x, point.y, people=2))
        store.add_households(records)
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LargeServer]:
    """The app (uvicorn) on a new SQLite store holding only the large version."""
    _need_chromium()
    folder = tmp_path_factory.mktemp("large")
    frame = _large_frame()
    assert (frame["level"] == "grid").sum() > 300
    household_grids = _household_grids(frame[frame["level"] == "grid"])
    url = f"sqlite:///{folder / 'gridmap.db'}"
    _store(url, frame, household_grids)
    with running_app(folder, url, folder / "no-sample") as base:
        yield LargeServer(base, frame, household_grids)


def serve_scaled_limits(context: Any, scaled: set[str]) -> None:
    """Serve the page modules holding the viewer's size limits with those scaled down; each path served so is
    added to `scaled` (a module whose line is not found is served unchanged, and the visit then fails)."""

    def serve(route: Any) -> None:
        path = urlsplit(route.request.url).path
        original, smaller = SCALED_LIMITS[path]
        response = route.fetch()
        body = response.text()
        if original in body:
            scaled.add(path)
        route.fulfill(response=response, body=body.replace(original, smaller))

    for path in SCALED_LIMITS:
        context.route(f"**{path}", serve)


@pytest.fixture
def visit(browser: Any, server: LargeServer) -> Iterator[Visit]:
    """The viewer on the large version, freshly loaded with its size limits scaled down, nobody signed in."""
    scaled: set[str] = set()
    opened = open_viewer(browser, server.base, prepare=lambda context: serve_scaled_limits(context, scaled))
    assert scaled == set(SCALED_LIMITS), "the viewer's size limits moved: update SCALED_LIMITS"
    wait_for_padding(opened.page)
    yield opened
    opened.page.context.close()


def wait_for_padding(page: Any) -> None:
    """Wait until the padding around the first view is loaded too (the first view asks only for what it shows)."""
    page.wait_for_function("() => Number(document.body.dataset.viewLoaded || 0) >= 2", timeout=20_000)


def grid_requests(visit: Visit) -> list[dict[str, list[str]]]:
    """The query of every request for grid features, in order."""
    return [parse_qs(urlsplit(url).query) for url in visit.requests if "/collections/grids/items" in url]


def drawn_codes(page: Any, level: str) -> list[str]:
    codes: list[str] = page.evaluate(
        f"window.gridmapViewer.layers.{level}.getLayers().map((layer) => String(layer.feature.properties.code))"
    )
    return codes


def canvas_paths(page: Any, level: str) -> int:
    """How many paths the level's canvas holds (a version loaded by view is drawn on canvases, not as SVG)."""
    assert page.locator(f".leaflet-{level}-pane svg path").count() == 0
    held: int = page.evaluate(
        f"""(() => {{ const shapes = window.gridmapViewer.layers.{level}.getLayers();
            return shapes.length ? Object.keys(shapes[0]._renderer._layers).length : 0; }})()"""
    )
    return held


def view_loads(page: Any) -> int:
    loads: int = page.evaluate("Number(document.body.dataset.viewLoaded || 0)")
    return loads


def move_and_wait(page: Any, script: str, argument: Any = None) -> None:
    """Run `script` (which moves the map and returns nothing: a Leaflet map does not serialise) and wait for the
    view load that follows."""
    before = view_loads(page)
    page.evaluate(script, argument)
    page.wait_for_function(f"() => Number(document.body.dataset.viewLoaded || 0) > {before}", timeout=20_000)


def test_first_load_asks_only_for_the_grids_in_view(visit: Visit, server: LargeServer) -> None:
    page = visit.page
    total = len(server.of_level("grid"))
    assert page.evaluate("document.body.dataset.loadedBy") == "view"
    # Communities are few: loaded whole. Grids: only those meeting the (padded) view, on a canvas; microgrids off.
    assert count(page, "community") == len(server.of_level("community"))
    codes = drawn_codes(page, "grid")
    assert 0 < len(codes) < total / 2
    assert len(set(codes)) == len(codes) == canvas_paths(page, "grid")
    assert count(page, "microgrid") == 0
    requests = grid_requests(visit)
    assert requests and all("bbox" in query for query in requests)
    # Every grid drawn meets the box that was asked for last (the first view's, padded).
    bbox = [query["bbox"][0] for query in requests][-1]
    west, south, east, north = (float(v) for v in bbox.split(","))
    box = shapely.box(west, south, east, north)
    grids = server.of_level("grid").set_index("code")
    assert all(grids.loc[code].geometry.intersects(box) for code in codes)
    extent = page.locator(".view-extent").inner_text()
    assert "显示视野内" in extent and f"{total:,}" in extent
    assert int(page.evaluate("document.body.dataset.features")) == len(codes) + count(page, "community")
    assert visit.console_errors == []
    assert visit.outside_requests() == []


def api_path(url: str) -> str:
    """A request's path after /api/v1/, with its query."""
    parts = urlsplit(url)
    return parts.path.removeprefix("/api/v1/") + (f"?{parts.query}" if parts.query else "")


def test_the_first_view_asks_at_once_and_for_what_it_shows_then_pads_it(browser: Any, server: LargeServer) -> None:
    events: list[tuple[str, str]] = []  # ("asked" or "answered", path after /api/v1/), as the browser saw them

    def prepare(context: Any) -> None:
        serve_scaled_limits(context, set())
        context.on("request", lambda request: events.append(("asked", api_path(request.url))))
        context.on("requestfinished", lambda request: events.append(("answered", api_path(request.url))))

    visit = open_viewer(browser, server.base, prepare=prepare)
    page = visit.page
    try:
        wait_for_padding(page)

        def asked_together(paths: list[str]) -> bool:
            # Every one of `paths` asked for before the first of them was answered.
            first_answer = min(i for i, (kind, path) in enumerate(events) if kind == "answered" and path in paths)
            asked = {path for kind, path in events[:first_answer] if kind == "asked"}
            return set(paths) <= asked

        version = page.evaluate("window.gridmapViewer.state.version.id")
        described = [
            f"collections/{name}?crs=wgs84&version={version}" for name in ("communities", "grids", "microgrids")
        ]
        assert asked_together(["config", "boundary-sets"])
        assert asked_together(described)  # each level's count and extent, all in one round trip
        asked = [path for kind, path in events if kind == "asked"]
        assert all(asked.count(path) == 1 for path in described)
        assert not any("/items?" in path and "limit=1&" in path for path in asked)  # nothing counted item by item
        # The first view asks for the grids in the view only, then for the box around it (half a view each side).
        boxes = [query["bbox"][0] for query in grid_requests(visit)]
        assert len(boxes) == 2
        first, padded = (shapely.box(*(float(v) for v in box.split(","))) for box in boxes)
        view = page.evaluate(
            "(() => { const b = window.gridmapViewer.map.getBounds(); "
            "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
        )
        assert first.bounds == pytest.approx(view, abs=2e-6)
        assert padded.contains(first) and padded.area == pytest.approx(4 * first.area, rel=1e-3)
        assert page.evaluate("document.body.dataset.viewLoaded") == "2"
        assert visit.console_errors == []
    finally:
        page.context.close()


def test_panning_loads_new_grids_and_never_draws_one_twice(visit: Visit) -> None:
    page = visit.page
    first = set(drawn_codes(page, "grid"))
    requests_before = len(grid_requests(visit))
    move_and_wait(page, "void window.gridmapViewer.map.panBy([2000, 0], { animate: false })")
    after_pan = drawn_codes(page, "grid")
    assert len(set(after_pan)) == len(after_pan) == canvas_paths(page, "grid")
    assert set(after_pan) - first, "the pan brought no new grid"
    assert first <= set(after_pan)  # far below the cache limit: nothing was dropped
    assert len(grid_requests(visit)) > requests_before
    # Back where it started: the first box holds that view, so no new request, and still no duplicate.
    requests_before = len(grid_requests(visit))
    move_and_wait(page, "void window.gridmapViewer.map.panBy([-2000, 0], { animate: false })")
    assert len(grid_requests(visit)) == requests_before
    codes = drawn_codes(page, "grid")
    assert sorted(codes) == sorted(after_pan)
    assert visit.console_errors == []


def click_grid_at_centre(page: Any, server: LargeServer) -> str:
    """Click the grid under the map's centre (inside it, at its representative point) and wait until its details
    show; its code."""
    centre = page.evaluate("(() => { const c = window.gridmapViewer.map.getCenter(); return [c.lng, c.lat]; })()")
    grids = server.of_level("grid")
    grid = grids[grids.contains(shapely.Point(centre))].iloc[0]
    point = grid.geometry.representative_point()
    xy = page.evaluate(
        "p => { const c = window.gridmapViewer.map.latLngToContainerPoint([p[1], p[0]]); return [c.x, c.y]; }",
        [point.x, point.y],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    page.wait_for_function(f"() => document.getElementById('details').dataset.code === '{grid['code']}'")
    return str(grid["code"])


def test_microgrids_load_by_view_from_their_zoom(visit: Visit, server: LargeServer) -> None:
    page = visit.page
    move_and_wait(page, "void window.gridmapViewer.map.addLayer(window.gridmapViewer.layers.microgrid)")
    start: int = page.evaluate("window.gridmapViewer.viewLoading.minZoom.microgrid")
    assert start > page.evaluate("window.gridmapViewer.map.getZoom()")
    assert count(page, "microgrid") == 0  # not close enough yet
    assert f"Zoom to {start}" in page.locator(".view-extent").inner_text()
    move_and_wait(page, "z => void window.gridmapViewer.map.setZoom(z, { animate: false })", start)
    codes = drawn_codes(page, "microgrid")
    assert 0 < len(codes) < len(server.of_level("microgrid")) / 2
    assert len(set(codes)) == len(codes)
    assert visit.console_errors == []


def test_a_click_below_the_microgrids_zoom_reaches_the_grid(visit: Visit, server: LargeServer) -> None:
    # Microgrids on, drawn once at their zoom (their canvas is on the map from then on), then the map zoomed out
    # below it and panned where none was loaded: a click there selects the grid under it.
    page = visit.page
    zoom: float = page.evaluate("window.gridmapViewer.map.getZoom()")
    move_and_wait(page, "void window.gridmapViewer.map.addLayer(window.gridmapViewer.layers.microgrid)")
    start: int = page.evaluate("window.gridmapViewer.viewLoading.minZoom.microgrid")
    move_and_wait(page, "z => void window.gridmapViewer.map.setZoom(z, { animate: false })", start)
    assert count(page, "microgrid") > 0
    move_and_wait(page, "z => void window.gridmapViewer.map.setZoom(z, { animate: false })", zoom)
    move_and_wait(page, "void window.gridmapViewer.map.panBy([2000, 0], { animate: false })")
    assert page.evaluate("window.gridmapViewer.map.getZoom()") < start
    code = click_grid_at_centre(page, server)
    microgrids = server.of_level("microgrid")
    children = set(microgrids[microgrids["parent"] == code]["code"].astype(str))
    assert children and not children & set(drawn_codes(page, "microgrid"))  # nothing drawn where it was clicked
    assert page.evaluate("window.gridmapViewer.state.highlighted.feature.properties.code") == code
    assert visit.console_errors == []


def grid_labels_become(page: Any, expected: str) -> None:
    """Wait until the page holds `expected` (a script's value) grid label elements: a label taken away fades out
    before its element goes."""
    page.wait_for_function(f"() => document.querySelectorAll('.leaflet-tooltip.label-grid').length === {expected}")


def test_grid_labels_exist_only_from_their_label_zoom(visit: Visit) -> None:
    # A label is an element of its own: below the grids' label zoom (16, state.js) none is made for them.
    page = visit.page
    zoom: float = page.evaluate("window.gridmapViewer.map.getZoom()")
    assert zoom >= GRID_LABEL_ZOOM  # the scaled-down budget starts two zooms further in than a city
    assert count(page, "grid") > 0
    grid_labels_become(page, "window.gridmapViewer.count('grid')")
    move_and_wait(page, "z => void window.gridmapViewer.map.setZoom(z, { animate: false })", GRID_LABEL_ZOOM - 1)
    assert count(page, "grid") > 0  # still drawn, without labels
    grid_labels_become(page, "0")
    move_and_wait(page, "z => void window.gridmapViewer.map.setZoom(z, { animate: false })", zoom)
    grid_labels_become(page, "window.gridmapViewer.count('grid')")
    assert visit.console_errors == []


def _far_grid(page: Any, server: LargeServer) -> dict[str, Any]:
    """The grid farthest from the map's centre, not loaded yet."""
    centre = page.evaluate("(() => { const c = window.gridmapViewer.map.getCenter(); return [c.lng, c.lat]; })()")
    grids = server.of_level("grid")
    row = grids.iloc[int(np.argmax(_distances(grids, (centre[0], centre[1]))))]
    return {"code": str(row["code"]), "name": str(row["name"]), "parent": str(row["parent"])}


def test_search_for_a_far_grid_fetches_it_zooms_there_and_highlights_it(visit: Visit, server: LargeServer) -> None:
    page = visit.page
    far = _far_grid(page, server)
    assert far["code"] not in drawn_codes(page, "grid")
    loads = view_loads(page)
    page.fill("#search-input", far["code"])
    page.press("#search-input", "Enter")
    page.wait_for_function(f"() => document.getElementById('details').dataset.code === '{far['code']}'")
    assert page.evaluate("window.gridmapViewer.state.highlighted.feature.properties.code") == far["code"]
    page.wait_for_function(
        f"""() => {{
            const viewer = window.gridmapViewer;
            const entry = viewer.state.byCode.get('{far["code"]}');
            return entry && viewer.map.getBounds().contains(entry.layer.getBounds());
        }}"""
    )
    community = server.of_level("community").set_index("code").loc[far["parent"]]
    assert str(community["name"]) in page.locator("ol.chain").inner_text()
    # The view load after the zoom brings its neighbours but not a second copy of it.
    page.wait_for_function(f"() => Number(document.body.dataset.viewLoaded) > {loads}", timeout=20_000)
    codes = drawn_codes(page, "grid")
    assert codes.count(far["code"]) == 1
    assert len(set(codes)) == len(codes)
    assert page.evaluate("window.gridmapViewer.state.highlighted.feature.properties.code") == far["code"]
    assert visit.console_errors == []


def fill_colours(page: Any, codes: list[str]) -> dict[str, str | None]:
    colours: dict[str, str | None] = page.evaluate(
        """codes => Object.fromEntries(codes.map((code) => {
            const entry = window.gridmapViewer.state.byCode.get(code);
            return [code, entry ? entry.layer.options.fillColor : null];
        }))""",
        codes,
    )
    return colours


def test_household_choropleth_colours_grids_as_they_load(visit: Visit, server: LargeServer) -> None:
    page = visit.page
    page.evaluate("window.gridmapViewer.setThematic('households')")
    page.wait_for_function("() => document.body.dataset.thematic === 'households'")
    loaded = set(drawn_codes(page, "grid"))
    with_households = [code for code in server.household_grids if code in loaded]
    assert with_households, "no grid with households in the first view"
    colours = fill_colours(page, drawn_codes(page, "grid"))
    assert all(colours[code] not in NO_HOUSEHOLDS for code in with_households)
    assert sum(colour in NO_HOUSEHOLDS for colour in colours.values()) > len(colours) / 2
    # A grid with households far away: drawn only after the map goes there, and drawn in its colour.
    far = next(code for code in reversed(server.household_grids) if code not in loaded)
    point = server.of_level("grid").set_index("code").loc[far].geometry.representative_point()
    zoom = max(15, page.evaluate("window.gridmapViewer.viewLoading.minZoom.grid"))  # where grids are drawn
    move_and_wait(
        page,
        "a => void window.gridmapViewer.map.setView([a[1], a[0]], a[2], { animate: false })",
        [point.x, point.y, zoom],
    )
    colour = fill_colours(page, [far])[far]
    assert colour is not None and colour not in NO_HOUSEHOLDS
    assert visit.console_errors == []


def test_a_province_loads_its_communities_by_view_and_frames_their_extent(browser: Any, server: LargeServer) -> None:
    # ?load=view loads every level by view, as a province's 10,000s of communities are.
    visit = open_viewer(
        browser, server.base, path="/?load=view", prepare=lambda context: serve_scaled_limits(context, set())
    )
    page = visit.page
    try:
        wait_for_padding(page)  # else the padding may land between the two counts below
        communities = server.of_level("community")
        assert 0 < count(page, "community") < len(communities)
        assert count(page, "community") == canvas_paths(page, "community")
        assert any("/collections/communities?" in url and "version=" in url for url in visit.requests)
        centre = page.evaluate("(() => { const c = window.gridmapViewer.map.getCenter(); return [c.lng, c.lat]; })()")
        west, south, east, north = communities.total_bounds
        assert west < centre[0] < east and south < centre[1] < north
        # The community canvas above the grids lets a click through to the grid under it.
        click_grid_at_centre(page, server)
        assert visit.console_errors == []
    finally:
        page.context.close()


def test_load_all_forces_the_whole_version(browser: Any, server: LargeServer) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    try:
        serve_scaled_limits(context, set())  # as every visit here, though ?load=all does not look at them
        page = context.new_page()
        page.goto(server.base + "/?load=all")
        page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=60_000)
        assert page.evaluate("document.body.dataset.loadedBy") == "all"
        assert count(page, "grid") == len(server.of_level("grid"))
        assert count(page, "microgrid") == len(server.of_level("microgrid"))
    finally:
        context.close()
