"""The editor's other tools and its live panels in a real headless Chromium, as a planner: reshape a border,
transfer an area, insert and delete a vertex, create a feature on a gap, change a code; the check, diff and
impact panels after each edit; and loading by view with simplified outlines far out and vertex handles only
close in. Every edit is also checked on the server through the API. Screenshots go to each test's tmp_path.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from shapely.geometry import shape

from gridmap.store import open_store
from gridmap.store.edit_store import EditRequest
from tests.web.test_editor import (
    EDIT_TIMEOUT_MS,
    api,
    draft_features,
    draw_line,
    edits_done,
    frame,
    holds,
    neighbours,
    open_editor,
    polygon_grids,
    screen_point,
    select,
    start_draft,
    wait_for_edit,
)
from tests.web.test_viewer import Server, Visit, _need_chromium, start_with_households

pytestmark = pytest.mark.browser

FULL_ZOOM_GRID = 15  # web/js/editor/status-text.js FULL_ZOOM.grid: full resolution and vertex handles from here


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the published sample region with the sample's households stored (for the impact panel)."""
    _need_chromium()
    yield from start_with_households(tmp_path_factory.mktemp("editor-tools"), ("households.csv",))


def shared_border(a: dict[str, Any], b: dict[str, Any]) -> shapely.LineString:
    """The longest connected piece of the border two features share."""
    common = shapely.line_merge(shape(a["geometry"]).boundary.intersection(shape(b["geometry"]).boundary))
    parts = list(getattr(common, "geoms", [common]))
    return max(parts, key=lambda part: part.length)


def inward(border: shapely.LineString, feature: dict[str, Any], share: float) -> tuple[float, float]:
    """The point `share` of the border's length from its middle, perpendicular to it, inside `feature`."""
    middle = border.interpolate(0.5, normalized=True)
    (x0, y0), (x1, y1) = border.coords[0], border.coords[-1]
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    reach = border.length * share
    for sign in (1, -1):
        point = shapely.Point(middle.x + sign * nx * reach, middle.y + sign * ny * reach)
        if shape(feature["geometry"]).contains(point):
            return point.x, point.y
    pytest.fail("no point inside the feature beside the border")


def wait_for_status(page: Any) -> None:
    """Wait until the live panels show the draft as it is after the latest edit."""
    page.wait_for_function(
        "() => !document.body.dataset.statusPending"
        " && document.body.dataset.statusSeq === document.body.dataset.editSeq",
        timeout=EDIT_TIMEOUT_MS,
    )


def history_ops(server: Server, draft: int) -> list[str]:
    return [
        e["op"]
        for e in api(server, f"boundary-sets/default/versions/{draft}/edits")["edits"]
        if e["state"] == "applied"
    ]


def test_reshape_a_border_and_see_the_diff_the_check_and_the_impact(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        first, second = neighbours(polygon_grids(server, draft))
        border = shared_border(first, second)
        both = shape(first["geometry"]).union(shape(second["geometry"]))
        frame(page, both)
        select(page, first)
        select(page, second, shift=True)
        # The new border: from one end of the old one, through a point well inside `first`, to the other end.
        bulge = inward(border, first, 0.2)
        page.click("#toolbar [data-tool=reshape]")
        before = edits_done(page)
        draw_line(page, [border.coords[0], bulge, border.coords[-1]])
        assert wait_for_edit(page, before) == "applied"
        wait_for_status(page)
        page.screenshot(path=str(tmp_path / "reshaped.png"))

        assert history_ops(server, draft) == ["reshape_border"]
        now = draft_features(server, draft, "grid")
        grown, shrunk = shape(now[second["id"]]["geometry"]), shape(now[first["id"]]["geometry"])
        assert grown.area > shape(second["geometry"]).area and shrunk.area < shape(first["geometry"]).area
        # The pair still covers the same ground, and the new border passes by the drawn point.
        assert grown.union(shrunk).symmetric_difference(both).area < both.area * 1e-6
        assert shapely.Point(bulge).distance(grown.boundary.intersection(shrunk.boundary)) < border.length * 0.02

        # The live panels say the same as the API's draft-status.
        status = api(server, f"boundary-sets/default/versions/{draft}/draft-status")
        diff_text = page.locator("#diff-body").inner_text()
        for code in (first["properties"]["code"], second["properties"]["code"]):
            assert code in diff_text
        reshaped = [f for f in status["diff"]["features"]["features"] if f["properties"]["change"] == "reshaped"]
        drawn_changes = page.evaluate(
            "() => window.gridmapEditor.diffLayer.getLayers().map((layer) => layer.feature.properties.change)"
        )
        assert drawn_changes.count("before") == len(reshaped) >= 2  # the old outlines, dashed
        assert drawn_changes.count("reshaped") == len(reshaped)
        assert page.locator(".leaflet-diff-pane path").count() == len(drawn_changes)
        assert page.locator("#check").is_visible()
        assert page.locator("#check .summary").inner_text().startswith("通过 OK" if status["check"]["ok"] else "")
        impact = page.locator("#impact")
        assert impact.is_visible()
        moved = status["impact"]["households"]["moved"]
        assert impact.get_attribute("data-households") == str(moved)
        assert f"Households changing grid: {moved}" in impact.inner_text()
        for row in status["impact"]["households"]["grids"]:
            assert page.locator(f"#impact tr[data-grid='{row['grid']}']").count() == 1
        # Hiding the changes on the map leaves the panel.
        page.uncheck("#diff-on-map")
        assert page.locator(".leaflet-diff-pane path").count() == 0
        assert visit.console_errors == []
        assert visit.outside_requests() == []
    finally:
        page.context.close()


def test_transfer_an_area_to_the_neighbour(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        source, target = neighbours(polygon_grids(server, draft))
        border = shared_border(source, target)
        frame(page, shape(source["geometry"]).union(shape(target["geometry"])))
        select(page, source)
        select(page, target, shift=True)
        # A square across the middle of the border: the part inside `source` goes to `target`.
        middle = border.interpolate(0.5, normalized=True)
        half = border.length * 0.12
        corners = [(middle.x - half, middle.y - half), (middle.x + half, middle.y - half),
                   (middle.x + half, middle.y + half), (middle.x - half, middle.y + half)]  # fmt: skip
        page.click("#toolbar [data-tool=transfer]")
        before = edits_done(page)
        draw_area(page, corners)
        assert wait_for_edit(page, before) == "applied"
        page.screenshot(path=str(tmp_path / "transferred.png"))

        assert history_ops(server, draft) == ["transfer"]
        now = draft_features(server, draft, "grid")
        given = shape(source["geometry"]).area - shape(now[source["id"]]["geometry"]).area
        taken = shape(now[target["id"]]["geometry"]).area - shape(target["geometry"]).area
        square = shapely.Polygon(corners)
        expected = square.intersection(shape(source["geometry"])).area
        assert given == pytest.approx(taken, rel=1e-6)
        assert given == pytest.approx(expected, rel=0.15)  # the drawn corners snap to nearby vertices
        drawn = page.evaluate("id => window.gridmapEditor.feature(id)", target["id"])
        assert drawn["properties"]["revision"] == now[target["id"]]["properties"]["revision"]
        assert visit.console_errors == []
    finally:
        page.context.close()


def test_insert_a_vertex_by_dragging_an_edge_middle_then_delete_it_with_a_right_click(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        first, second = neighbours(polygon_grids(server, draft))
        ring = list(shape(first["geometry"]).exterior.coords)
        # The longest edge of `first` on the border it shares with `second`: its middle marker is Geoman's.
        common = shape(first["geometry"]).boundary.intersection(shape(second["geometry"]).boundary)
        edges = [(a, b) for a, b in itertools.pairwise(ring) if common.covers(shapely.LineString([a, b]))]
        a, b = max(edges, key=lambda edge: shapely.LineString(edge).length)
        middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        around = shapely.LineString([a, b]).buffer(shapely.LineString([a, b]).length * 0.3)
        frame(page, around)
        select(page, first, within=around)
        page.wait_for_function(f"() => window.gridmapEditor.vertexEditing() === '{first['id']}'")

        # Drag the middle marker a little into `first`: one insert_vertex, moving the new vertex there.
        length = shapely.LineString([a, b]).length
        target = inward(shapely.LineString([a, b]), first, 0.3)
        start, end = screen_point(page, *middle), screen_point(page, *target)
        before = edits_done(page)
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
        page.mouse.move(*end, steps=4)
        page.mouse.up()
        assert wait_for_edit(page, before) == "applied"
        page.screenshot(path=str(tmp_path / "inserted.png"))
        history = api(server, f"boundary-sets/default/versions/{draft}/edits")["edits"]
        assert [e["op"] for e in history] == ["insert_vertex"]
        new_vertex = tuple(history[0]["params"]["to"])
        assert shapely.Point(new_vertex).distance(shapely.Point(target)) < length * 0.1
        now = draft_features(server, draft, "grid")
        for fid in (first["id"], second["id"]):  # the shared border bends for both
            assert holds(now[fid]["geometry"], new_vertex)

        # Right-click the new vertex's handle: delete_vertex puts the border back as it was, for both.
        page.wait_for_function(f"() => window.gridmapEditor.vertexEditing() === '{first['id']}'")
        before = edits_done(page)
        page.mouse.click(*screen_point(page, *new_vertex), button="right")
        assert wait_for_edit(page, before) == "applied"
        page.screenshot(path=str(tmp_path / "deleted.png"))
        assert history_ops(server, draft) == ["insert_vertex", "delete_vertex"]
        now = draft_features(server, draft, "grid")
        for feature in (first, second):
            assert not holds(now[feature["id"]]["geometry"], new_vertex)
            assert shape(now[feature["id"]]["geometry"]).symmetric_difference(shape(feature["geometry"])).area < 1e-14
        assert visit.console_errors == []
    finally:
        page.context.close()


def _hole(server: Server, draft: int) -> dict[str, Any]:
    """Set-up: remove one microgrid of the draft straight in the store (no check), leaving a gap; the removed one."""
    microgrids = draft_features(server, draft, "microgrid")
    micro = max(microgrids.values(), key=lambda f: shape(f["geometry"]).area)
    store = open_store(server.database_url)
    try:
        request = EditRequest(op="test", params={}, who="test", why="make a gap")
        expected = {micro["id"]: micro["properties"]["revision"]}
        store.apply_changes(draft, written=[], deleted=[micro["id"]], expected=expected, request=request)
    finally:
        store.close()
    return micro


def draw_area(page: Any, ring: list[tuple[float, float]]) -> None:
    """Click the corners of a polygon, then its first corner again to close it (Geoman's way)."""
    for lon, lat in ring:
        page.mouse.click(*screen_point(page, lon, lat))
        page.wait_for_timeout(100)
    page.mouse.click(*screen_point(page, *ring[0]))


def test_the_check_shows_a_gap_and_create_fills_it(browser: Any, server: Server, tmp_path: Path) -> None:
    published = api(server, "boundary-sets/default")["published_version"]
    draft = api(server, f"boundary-sets/default/versions/{published}/drafts", method="POST", body={"reason": "gap"})[
        "id"
    ]
    hole = _hole(server, draft)
    visit = open_editor(browser, server, draft=draft)
    page = visit.page
    try:
        page.select_option("#level-picker", "microgrid")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=EDIT_TIMEOUT_MS)
        page.wait_for_function("() => Number(document.getElementById('check').dataset.problems || 0) > 0",
                               timeout=EDIT_TIMEOUT_MS)  # fmt: skip
        # The gap is listed and drawn on the problems layer; a click on it zooms there.
        assert "缝隙 Gap" in page.locator("#check-body").inner_text()
        assert page.evaluate("() => window.gridmapEditor.problemsLayer.getLayers().length") > 0
        page.locator("#check-body li button").first.click()
        area = shape(hole["geometry"])
        assert page.evaluate(
            "p => window.gridmapEditor.map.getBounds().contains([p[1], p[0]])", [area.centroid.x, area.centroid.y]
        )
        frame(page, area)

        # Escape cancels the form and the drawn area; nothing is sent.
        grown = area.buffer((area.area**0.5) * 0.05, join_style="mitre")
        ring = list(grown.exterior.coords)[:-1]
        page.click("#toolbar [data-tool=create]")
        draw_area(page, ring)
        page.wait_for_selector("#create-box:not([hidden])")
        page.keyboard.press("Escape")
        assert page.locator("#create-box").is_hidden()
        assert history_ops(server, draft) == ["test"]  # the set-up's removal only

        page.click("#toolbar [data-tool=create]")
        draw_area(page, ring)
        page.wait_for_selector("#create-box:not([hidden])")
        assert page.input_value("#create-form select[name=level]") == "microgrid"
        page.select_option("#create-form select[name=parent]", hole["properties"]["parent"])
        page.fill("#create-form input[name=name]", "新楼栋")
        page.screenshot(path=str(tmp_path / "create-form.png"))
        before = edits_done(page)
        page.click("#create-form button[type=submit]")
        assert wait_for_edit(page, before) == "applied"
        wait_for_status(page)
        page.screenshot(path=str(tmp_path / "created.png"))

        assert history_ops(server, draft) == ["test", "create"]
        created = [
            f for f in draft_features(server, draft, "microgrid").values() if f["properties"]["name"] == "新楼栋"
        ]
        assert len(created) == 1 and created[0]["properties"]["parent"] == hole["properties"]["parent"]
        assert shape(created[0]["geometry"]).symmetric_difference(area).area < area.area * 1e-6
        assert page.evaluate("id => window.gridmapEditor.feature(id) !== null", created[0]["id"])
        # The gap is gone from the check, and the new microgrid is in the diff, drawn green.
        assert page.locator("#check .summary").inner_text().startswith("通过 OK")
        assert page.evaluate("() => window.gridmapEditor.problemsLayer.getLayers().length") == 0
        assert created[0]["properties"]["code"] in page.locator("#diff-body").inner_text()
        assert "added" in page.evaluate(
            "() => window.gridmapEditor.diffLayer.getLayers().map((layer) => layer.feature.properties.change)"
        )
        assert visit.console_errors == []
    finally:
        page.context.close()


def test_a_code_change_re_prefixes_the_children(browser: Any, server: Server) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        grids = draft_features(server, draft, "grid")
        codes = {f["properties"]["code"] for f in grids.values()}
        grid = next(f for f in grids.values() if f["geometry"]["type"] == "Polygon")
        code, parent = grid["properties"]["code"], grid["properties"]["parent"]
        new_code = parent + "9" * (len(code) - len(parent))
        assert new_code not in codes
        frame(page, shape(grid["geometry"]))
        select(page, grid)
        page.fill("#attribute-form input[name=code]", new_code)
        before = edits_done(page)
        page.click("#attribute-form button[type=submit]")
        assert wait_for_edit(page, before) == "applied"

        assert draft_features(server, draft, "grid")[grid["id"]]["properties"]["code"] == new_code
        children = [
            f for f in draft_features(server, draft, "microgrid").values() if f["properties"]["parent"] == new_code
        ]
        assert children and all(f["properties"]["code"].startswith(new_code) for f in children)
        assert page.evaluate("id => window.gridmapEditor.feature(id).properties.code", grid["id"]) == new_code
    finally:
        page.context.close()


def queries(visit: Visit, collection: str) -> list[dict[str, list[str]]]:
    """The parameters of every request the page made for `collection`'s items, in order."""
    return [parse_qs(urlsplit(url).query) for url in visit.requests if f"/collections/{collection}/items" in url]


def simplified(page: Any, feature_id: str) -> bool:
    """Whether the page holds the feature's outline simplified (for display only)."""
    held: bool = page.evaluate("id => window.gridmapEditor.state.byId.get(id).simplified", feature_id)
    return held


def test_far_out_outlines_are_simplified_and_handles_appear_only_at_edit_zoom(browser: Any, server: Server) -> None:
    visit = open_editor(browser, server)
    page = visit.page
    try:
        draft = start_draft(page)
        grid = next(iter(polygon_grids(server, draft).values()))
        centre = shape(grid["geometry"]).representative_point()
        full_zoom = FULL_ZOOM_GRID
        before = len(queries(visit, "grids"))
        page.evaluate(
            "p => { window.gridmapEditor.map.setView([p[1], p[0]], p[2], { animate: false }); }",
            [centre.x, centre.y, full_zoom - 1.5],
        )
        page.wait_for_function("() => !document.body.dataset.viewLoading", timeout=EDIT_TIMEOUT_MS)
        far = queries(visit, "grids")[before:]
        # The view's request (the last one: an earlier view's may still have been on its way) is by box, simplified.
        assert far and "bbox" in far[-1] and float(far[-1]["simplify"][0]) > 0
        select(page, grid)
        assert page.evaluate("() => window.gridmapEditor.vertexEditing()") is None
        assert page.locator(".leaflet-marker-pane .marker-icon").count() == 0

        before = len(queries(visit, "grids"))
        page.evaluate("z => { window.gridmapEditor.map.setZoom(z, { animate: false }); }", full_zoom + 1)
        page.wait_for_function("() => !document.body.dataset.viewLoading", timeout=EDIT_TIMEOUT_MS)
        near = queries(visit, "grids")[before:]
        assert near and "bbox" in near[-1] and "simplify" not in near[-1]
        assert simplified(page, grid["id"]) is False
        page.wait_for_function(f"() => window.gridmapEditor.vertexEditing() === '{grid['id']}'")
        assert page.locator(".leaflet-marker-pane .marker-icon").count() >= len(grid["geometry"]["coordinates"][0]) - 1
        # Back out: the handles go, the full-resolution grid stays.
        page.evaluate("z => { window.gridmapEditor.map.setZoom(z, { animate: false }); }", full_zoom - 1.5)
        page.wait_for_function("() => window.gridmapEditor.vertexEditing() === null")
        assert page.locator(".leaflet-marker-pane .marker-icon").count() == 0
        assert visit.console_errors == []
    finally:
        page.context.close()


def test_the_communities_overview_serves_views_that_want_them_no_finer(browser: Any, server: Server) -> None:
    """The editor holds every community simplified within 16 m from its overview: a view wanting them at 32 m asks
    for none, one wanting 8 m asks for its box at 8 m."""
    visit = open_editor(browser, server)
    page = visit.page
    try:
        start_draft(page)
        overview = [q for q in queries(visit, "communities") if "bbox" not in q]
        assert overview and overview[-1]["simplify"] == ["16"]

        def view_at(zoom: float) -> list[dict[str, list[str]]]:
            before = len(queries(visit, "communities"))
            page.evaluate("z => { window.gridmapEditor.map.setZoom(z, { animate: false }); }", zoom)
            page.wait_for_function("() => !document.body.dataset.viewLoading", timeout=EDIT_TIMEOUT_MS)
            return queries(visit, "communities")[before:]

        assert view_at(12) == []  # 32 m wanted: the 16 m outlines held serve
        finer = view_at(14)
        assert finer and "bbox" in finer[-1] and finer[-1]["simplify"] == ["8"]
        assert visit.console_errors == []
    finally:
        page.context.close()
