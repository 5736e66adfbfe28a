"""The boundary editor (/edit) in a real headless Chromium, signed in as a planner, against the real app on the
sample region: every edit goes through the page (real mouse events on the map, Leaflet-Geoman's own handles)
and is checked on the server through the API too. Screenshots go to each test's tmp_path.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from tests.web.test_viewer import Server, Visit, _need_chromium, _start

pytestmark = pytest.mark.browser

EDIT_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a new SQLite database holding the published sample region."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("editor"))


def api(server: Server, path: str, *, method: str = "GET", body: Any = None) -> Any:
    """An API answer's JSON, as the planner."""
    request = urllib.request.Request(
        f"{server.base}/api/v1/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {server.planner_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def draft_features(server: Server, draft: int, level: str) -> dict[str, dict[str, Any]]:
    """The draft's features of `level` by id, as the server holds them now."""
    page = api(server, f"collections/boundaries/items?version={draft}&level={level}&limit=1000")
    return {str(f["id"]): f for f in page["features"]}


def open_editor(browser: Any, server: Server, *, draft: int | None = None) -> Visit:
    """The editor signed in as the planner (on `draft`, or the newest one), once it has drawn its features."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.add_init_script(f"window.sessionStorage.setItem('gridmapToken', {json.dumps(server.planner_token)});")
    page = context.new_page()
    visit = Visit(page)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", lambda message: visit.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
    page.goto(server.base + "/edit" + (f"?draft={draft}" if draft else ""))
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=EDIT_TIMEOUT_MS)
    return visit


def start_draft(page: Any) -> int:
    """Click "新建草稿 New draft" and wait for the new draft's features; its id."""
    before = page.evaluate("() => document.body.dataset.draft || ''")
    page.click("#new-draft")
    page.wait_for_function(
        "before => document.body.dataset.draft && document.body.dataset.draft !== before"
        " && document.body.dataset.ready === 'true' && Number(document.body.dataset.features) > 0",
        arg=before,
        timeout=EDIT_TIMEOUT_MS,
    )
    draft: int = page.evaluate("() => Number(document.body.dataset.draft)")
    return draft


def screen_point(page: Any, lon: float, lat: float) -> tuple[float, float]:
    """Where a WGS-84 point is on the page (the test server's map is in WGS-84)."""
    xy = page.evaluate(
        "p => { const c = window.gridmapEditor.map.latLngToContainerPoint([p[1], p[0]]); return [c.x, c.y]; }",
        [lon, lat],
    )
    box = page.locator("#map").bounding_box()
    return box["x"] + xy[0], box["y"] + xy[1]


def frame(page: Any, geometry: Any) -> None:
    """Fit the map to a shapely geometry, without animation, and wait for the view's features (at full
    resolution once close enough). The script returns nothing: Playwright would serialize what fitBounds returns,
    the whole Leaflet map with every feature drawn (15 s of the page's CPU with 2,000 communities held)."""
    min_x, min_y, max_x, max_y = geometry.bounds
    fit = "window.gridmapEditor.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false, padding: [60, 60]})"
    page.evaluate("b => { " + fit + "; }", [min_x, min_y, max_x, max_y])
    page.wait_for_function("() => !document.body.dataset.viewLoading", timeout=EDIT_TIMEOUT_MS)


def click_inside(page: Any, feature: dict[str, Any], *, shift: bool = False, within: Any = None) -> None:
    """Click a point well inside a feature, and inside `within` (a shapely area) when given (Shift held: add
    it to the selection)."""
    area = shape(feature["geometry"])
    if within is not None:
        area = area.intersection(within)
    inner = area.buffer(-0.2 * area.area**0.5)
    point = (inner if not inner.is_empty else area).representative_point()
    x, y = screen_point(page, point.x, point.y)
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(x, y)
    if shift:
        page.keyboard.up("Shift")


def select(page: Any, feature: dict[str, Any], *, shift: bool = False, within: Any = None) -> None:
    """Select a feature by clicking it, and wait for the selection panel to name it."""
    click_inside(page, feature, shift=shift, within=within)
    page.wait_for_function(
        "id => (document.getElementById('selection').dataset.selected || '').split(',').includes(id)",
        arg=str(feature["id"]),
    )


def wait_for_edit(page: Any, edits_before: int) -> str:
    """Wait until the page has finished one more edit; how it ended (applied, refused, conflict)."""
    page.wait_for_function(
        "n => Number(document.body.dataset.edits || 0) > n && !document.body.dataset.editing",
        arg=edits_before,
        timeout=EDIT_TIMEOUT_MS,
    )
    outcome: str = page.evaluate("() => document.body.dataset.lastEdit")
    return outcome


def edits_done(page: Any) -> int:
    done: int = page.evaluate("() => Number(document.body.dataset.edits || 0)")
    return done


def shared_vertex(grids: dict[str, dict[str, Any]]) -> tuple[str, str, tuple[float, float], float]:
    """Two grids sharing a vertex that no third grid holds, the vertex, and the length (degrees) of the shortest
    edge meeting it in either grid: the vertex whose shortest edge is longest, so that its handle stands apart."""
    rings: dict[str, list[tuple[float, float]]] = {
        fid: [(x, y) for x, y in shape(f["geometry"]).exterior.coords[:-1]]
        for fid, f in grids.items()
        if f["geometry"]["type"] == "Polygon"
    }
    holders: dict[tuple[float, float], list[str]] = {}
    for fid, ring in rings.items():
        for vertex in ring:
            holders.setdefault(vertex, []).append(fid)
    candidates = []
    for vertex, ids in holders.items():
        if len(ids) != 2:
            continue
        shortest = min(
            shapely.Point(vertex).distance(shapely.Point(ring[(ring.index(vertex) + step) % len(ring)]))
            for ring in (rings[ids[0]], rings[ids[1]])
            for step in (-1, 1)
        )
        candidates.append((shortest, vertex, ids))
    if not candidates:
        pytest.fail("no vertex shared by exactly two grids in the sample")
    shortest, vertex, ids = max(candidates)
    return ids[0], ids[1], vertex, shortest


def holds(geometry: dict[str, Any], point: tuple[float, float], tolerance: float = 1e-7) -> bool:
    """Whether a GeoJSON polygon has a vertex within `tolerance` degrees of `point`."""
    return any(
        abs(x - point[0]) < tolerance and abs(y - point[1]) < tolerance
        for x, y in shapely.get_coordinates(shape(geometry))
    )


def test_start_a_draft_and_drag_a_shared_vertex(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        assert api(server, f"boundary-sets/default/versions/{draft}")["status"] == "draft"
        grids = draft_features(server, draft, "grid")
        first, second, vertex, shortest = shared_vertex(grids)
        around = shapely.Point(vertex).buffer(shortest * 1.5)
        frame(page, around)
        select(page, grids[first], within=around)

        # Drag Geoman's vertex handle a fifth of the shortest edge to the north-east, with real mouse events.
        start = screen_point(page, *vertex)
        step = shortest * 0.2
        end = screen_point(page, vertex[0] + step, vertex[1] + step)
        before = edits_done(page)
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
        page.mouse.move(*end, steps=4)
        page.mouse.up()
        assert wait_for_edit(page, before) == "applied"
        page.screenshot(path=str(tmp_path / "vertex-moved.png"))

        history = api(server, f"boundary-sets/default/versions/{draft}/edits")
        assert [e["op"] for e in history["edits"]] == ["move_vertex"]
        to = tuple(history["edits"][0]["params"]["to"])
        assert abs(to[0] - (vertex[0] + step)) < step and abs(to[1] - (vertex[1] + step)) < step
        # Both neighbours moved, on the server and on the page; the old vertex is gone from both.
        now = draft_features(server, draft, "grid")
        for fid in (first, second):
            assert holds(now[fid]["geometry"], to) and not holds(now[fid]["geometry"], vertex)
            drawn = page.evaluate("id => window.gridmapEditor.feature(id)", fid)
            assert holds(drawn["geometry"], to)
            assert drawn["properties"]["revision"] == now[fid]["properties"]["revision"] > 1
        assert "移动顶点" in page.locator("#history-list").inner_text()
        assert visit.console_errors == []
        assert visit.outside_requests() == []
    finally:
        page.context.close()


def polygon_grids(server: Server, draft: int) -> dict[str, dict[str, Any]]:
    """The draft's grids that are single polygons, by id."""
    return {fid: f for fid, f in draft_features(server, draft, "grid").items() if f["geometry"]["type"] == "Polygon"}


def draw_line(page: Any, points: list[tuple[float, float]]) -> None:
    """Click the WGS-84 `points` on the map, then the last one again to finish the line (Geoman's way)."""
    for lon, lat in points:
        page.mouse.click(*screen_point(page, lon, lat))
        page.wait_for_timeout(100)
    page.mouse.click(*screen_point(page, *points[-1]))


def test_split_a_grid_by_drawing_a_line(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        grids = polygon_grids(server, draft)
        grid = max(grids.values(), key=lambda f: shape(f["geometry"]).area)
        area = shape(grid["geometry"])
        frame(page, area)
        select(page, grid)
        # A west-east line through the middle, starting and ending outside the grid.
        min_x, _min_y, max_x, _max_y = area.bounds
        middle = area.centroid.y
        margin = (max_x - min_x) * 0.08
        page.click("#toolbar [data-tool=split]")
        before = edits_done(page)
        draw_line(page, [(min_x - margin, middle), (max_x + margin, middle)])
        assert wait_for_edit(page, before) == "applied"
        page.screenshot(path=str(tmp_path / "split.png"))

        history = api(server, f"boundary-sets/default/versions/{draft}/edits")
        assert [e["op"] for e in history["edits"]] == ["split"]
        after = draft_features(server, draft, "grid")
        published = draft_features(server, api(server, "boundary-sets/default")["published_version"], "grid")
        assert len(after) == len(published) + 1
        new_ids = set(after) - set(published)
        assert len(new_ids) == 1
        new_id = new_ids.pop()
        pieces = [shape(after[grid["id"]]["geometry"]), shape(after[new_id]["geometry"])]
        # The two halves cover the grid as it was, one on each side of the line; both are drawn as the server
        # holds them.
        assert abs(sum(p.area for p in pieces) - area.area) < area.area * 1e-6
        assert sorted(p.centroid.y > middle for p in pieces) == [False, True]
        for fid in (grid["id"], new_id):
            drawn = page.evaluate("id => window.gridmapEditor.feature(id)", fid)
            assert shape(drawn["geometry"]).equals_exact(shape(after[fid]["geometry"]), 1e-9)
        assert "拆分" in page.locator("#history-list").inner_text()
        assert visit.console_errors == []
    finally:
        page.context.close()


def neighbours(grids: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two grids of one community sharing a border, with the longest shared border of any such pair."""
    pairs = []
    for a, b in combinations(grids.values(), 2):
        if a["properties"]["parent"] != b["properties"]["parent"]:
            continue
        shared = shape(a["geometry"]).boundary.intersection(shape(b["geometry"]).boundary).length
        if shared > 0:
            pairs.append((shared, a, b))
    shared, a, b = max(pairs, key=lambda pair: pair[0])
    return a, b


def test_merge_two_grids(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        grids = polygon_grids(server, draft)
        kept, absorbed = neighbours(grids)
        both = shape(kept["geometry"]).union(shape(absorbed["geometry"]))
        frame(page, both)
        select(page, kept)
        select(page, absorbed, shift=True)
        before = edits_done(page)
        page.click("#toolbar [data-action=merge]")
        assert wait_for_edit(page, before) == "applied"
        page.screenshot(path=str(tmp_path / "merged.png"))

        after = draft_features(server, draft, "grid")
        assert absorbed["id"] not in after
        assert shape(after[kept["id"]]["geometry"]).symmetric_difference(both).area < both.area * 1e-6
        assert page.evaluate("id => window.gridmapEditor.feature(id)", absorbed["id"]) is None
        assert page.evaluate("id => window.gridmapEditor.feature(id) !== null", kept["id"])
        assert [e["op"] for e in api(server, f"boundary-sets/default/versions/{draft}/edits")["edits"]] == ["merge"]
        assert visit.console_errors == []
    finally:
        page.context.close()


def test_a_refused_edit_is_explained_on_the_map(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        grids = polygon_grids(server, draft)
        grid = max(grids.values(), key=lambda f: shape(f["geometry"]).area)
        area = shape(grid["geometry"])
        frame(page, area)
        select(page, grid)
        # A short line inside the grid: it does not cut it in two, so the split is refused.
        inner = area.centroid
        reach = (area.bounds[2] - area.bounds[0]) * 0.05
        page.click("#toolbar [data-tool=split]")
        before = edits_done(page)
        draw_line(page, [(inner.x - reach, inner.y), (inner.x + reach, inner.y)])
        assert wait_for_edit(page, before) == "refused"
        page.screenshot(path=str(tmp_path / "refused.png"))

        refusal = page.locator("#refusal")
        assert refusal.is_visible()
        assert "未执行" in refusal.inner_text() and "Not applied" in refusal.inner_text()
        message = page.locator("#refusal-body li").first.inner_text()
        assert len(message) > len("无法执行 Cannot apply: ")  # the reason in words, not just a title
        assert page.evaluate("() => window.gridmapEditor.refusalLayer.getLayers().length") > 0
        assert page.locator(".leaflet-refusal-pane path").count() > 0
        # Nothing stored, and the grid is drawn as it is kept.
        assert api(server, f"boundary-sets/default/versions/{draft}/edits")["edits"] == []
        drawn = page.evaluate("id => window.gridmapEditor.feature(id)", grid["id"])
        assert drawn["properties"]["revision"] == grid["properties"]["revision"]
        page.click("#refusal-close")
        assert not refusal.is_visible()
        assert page.evaluate("() => window.gridmapEditor.refusalLayer.getLayers().length") == 0
    finally:
        page.context.close()


def rename(page: Any, name: str) -> int:
    """Rename the selected feature through the attribute form; the count of edits before."""
    page.fill("#attribute-form input[name=name]", name)
    before = edits_done(page)
    page.click("#attribute-form button[type=submit]")
    return before


def test_two_planners_on_one_feature_one_gets_the_conflict_dialog(browser: Any, server: Server, tmp_path: Path) -> None:
    first = open_editor(browser, server)
    draft = start_draft(first.page)
    second = open_editor(browser, server, draft=draft)
    try:
        grid = next(iter(polygon_grids(server, draft).values()))
        for visit in (first, second):
            frame(visit.page, shape(grid["geometry"]))
            select(visit.page, grid)

        assert wait_for_edit(first.page, rename(first.page, "甲的新名字")) == "applied"
        assert wait_for_edit(second.page, rename(second.page, "乙的新名字")) == "conflict"
        dialog = second.page.locator("#conflict-dialog")
        assert dialog.is_visible()
        assert "规划员" in dialog.inner_text()  # who changed it first
        assert grid["properties"]["code"] in dialog.inner_text()
        second.page.screenshot(path=str(tmp_path / "conflict.png"))
        # Nothing overwritten: the first planner's name stands.
        now = draft_features(server, draft, "grid")[grid["id"]]
        assert now["properties"]["name"] == "甲的新名字"

        before = second.page.evaluate("() => Number(document.body.dataset.viewLoaded)")
        second.page.click("#conflict-reload")
        second.page.wait_for_function("n => Number(document.body.dataset.viewLoaded) > n", arg=before)
        assert not dialog.is_visible()
        drawn = second.page.evaluate("id => window.gridmapEditor.feature(id)", grid["id"])
        assert drawn["properties"]["revision"] == now["properties"]["revision"]
        assert drawn["properties"]["name"] == "甲的新名字"
    finally:
        first.page.context.close()
        second.page.context.close()


def test_undo_and_redo_with_the_keyboard(browser: Any, server: Server) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        grid = next(iter(polygon_grids(server, draft).values()))
        frame(page, shape(grid["geometry"]))
        select(page, grid)
        assert wait_for_edit(page, rename(page, "临时名字")) == "applied"
        page.wait_for_function("() => !document.getElementById('undo').disabled")  # the history has the rename
        page.locator("#map").focus()
        before = edits_done(page)
        page.keyboard.press("Control+z")
        assert wait_for_edit(page, before) == "applied"
        assert draft_features(server, draft, "grid")[grid["id"]]["properties"]["name"] == grid["properties"]["name"]
        page.wait_for_function("() => !document.getElementById('redo').disabled")
        before = edits_done(page)
        page.keyboard.press("Control+Shift+Z")
        assert wait_for_edit(page, before) == "applied"
        assert draft_features(server, draft, "grid")[grid["id"]]["properties"]["name"] == "临时名字"
        assert page.evaluate("id => window.gridmapEditor.feature(id).properties.name", grid["id"]) == "临时名字"
    finally:
        page.context.close()


def test_publish_the_draft(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        grid = next(iter(polygon_grids(server, draft).values()))
        frame(page, shape(grid["geometry"]))
        select(page, grid)
        assert wait_for_edit(page, rename(page, "发布前改名")) == "applied"
        page.click("#diff-refresh")
        page.wait_for_selector(".diff-table td")
        assert grid["properties"]["code"] in page.locator("#diff-body").inner_text()

        page.click("#publish")
        page.fill("#publish-reason", "编辑器测试 editor test")
        page.screenshot(path=str(tmp_path / "publish.png"))
        page.click("#publish-confirm")
        page.wait_for_function(f"() => document.body.dataset.published === '{draft}'", timeout=EDIT_TIMEOUT_MS)
        boundary_set = api(server, "boundary-sets/default")
        assert boundary_set["published_version"] == draft
        version = api(server, f"boundary-sets/default/versions/{draft}")
        assert version["status"] == "published" and version["publish_reason"] == "编辑器测试 editor test"
        assert visit.console_errors == []
        assert visit.outside_requests() == []
    finally:
        page.context.close()
