"""The reporting page (/report) in a real headless Chromium against the real app on the sample region.

A resident picks the point on the map or uses the device's location (a browser's WGS-84, WeChat's GCJ-02),
chooses a category, attaches photos and sends once; the tests read what was stored through the API with a
planner's token. The app runs as in test_viewer.py; the module's app allows many public reports, and one
app on GCJ-02 tiles allows a single report per hour, to see the page's wait message.
"""

from __future__ import annotations

import io
import json
import math
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from PIL import Image

from gridmap.geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from tests.web.test_viewer import Server, Visit, _need_chromium, _start, open_viewer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
REPORTS = "/api/v1/incidents/reports"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region, with room for every public report this module sends."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("report"), report_burst="500", reports_per_hour="10000")


# ---- helpers --------------------------------------------------------------------------------------------------


def open_report(
    browser: Any,
    base: str,
    *,
    viewport: dict[str, int] = PHONE,
    init_script: str | None = None,
    geolocation: tuple[float, float] | None = None,
    mobile: bool = False,
    query: str = "",
) -> Visit:
    """Load the reporting page and wait until its categories and grids are in."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=mobile, has_touch=mobile)
    if geolocation is not None:
        context.set_geolocation({"longitude": geolocation[0], "latitude": geolocation[1], "accuracy": 12})
        context.grant_permissions(["geolocation"], origin=base)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    visit = Visit(page)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", lambda message: visit.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
    page.goto(base + "/report" + query)
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=20_000)
    assert page.evaluate("document.body.dataset.error") is None
    return visit


@pytest.fixture
def report_page(browser: Any, server: Server) -> Iterator[Visit]:
    """The reporting page on a phone-sized window, freshly loaded."""
    opened = open_report(browser, server.base)
    yield opened
    opened.page.context.close()


def inside(feature: dict[str, Any]) -> tuple[float, float]:
    """A WGS-84 point well inside a feature."""
    shape = shapely.geometry.shape(feature["geometry"])
    inner = shape.buffer(-0.2 * (shape.area**0.5))
    point = (inner if not inner.is_empty else shape).representative_point()
    return point.x, point.y


def as_gcj02(lon: float, lat: float) -> tuple[float, float]:
    x, y = wgs84_to_gcj02(lon, lat)
    return float(x), float(y)


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two nearby lon/lat points in metres (equirectangular, ample at this scale)."""
    lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(a[0] - b[0]) * math.cos(lat) * 6_371_008.8
    dy = math.radians(a[1] - b[1]) * 6_371_008.8
    return math.hypot(dx, dy)


def tap_map(page: Any, lon: float, lat: float) -> None:
    """Centre the map on (lon, lat) in the map's datum and tap there."""
    page.evaluate("p => window.gridmapReport.map.setView([p[1], p[0]], 17, {animate: false})", [lon, lat])
    xy = page.evaluate(
        "p => { const c = window.gridmapReport.map.latLngToContainerPoint([p[1], p[0]]); return [c.x, c.y]; }",
        [lon, lat],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def wait_for_place(page: Any) -> str:
    """The looked-up place of the pin: inside, outside or unknown."""
    page.wait_for_function("() => !['none', 'pending'].includes(document.getElementById('place').dataset.state)")
    result: str = page.evaluate("document.getElementById('place').dataset.state")
    return result


def fill_report(page: Any, description: str, category: str = "living_environment") -> None:
    page.select_option("#category", category)
    page.fill("#description", description)


def send(page: Any) -> dict[str, Any]:
    """Press Send and return the incident the server answered with."""
    with page.expect_response(lambda response: REPORTS in response.url) as answer:
        page.click("#send-button")
    page.wait_for_selector("#result:not([hidden])")
    body: dict[str, Any] = answer.value.json()
    assert page.locator("#result").get_attribute("data-id") == body["id"]
    return body


def api(server: Server, path: str) -> Any:
    request = urllib.request.Request(server.base + path, headers={"Authorization": f"Bearer {server.planner_token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def api_post(server: Server, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        server.base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {server.planner_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def stored_with(server: Server, description: str) -> list[dict[str, Any]]:
    """Stored incidents carrying this description."""
    listed = api(server, "/api/v1/incidents?limit=1000")["incidents"]
    return [incident for incident in listed if incident["description"] == description]


def image_file(name: str, kind: str, size: tuple[int, int] = (48, 36)) -> dict[str, Any]:
    """A small real image made by Pillow, as Playwright's set_input_files takes it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 90, 40)).save(buffer, format=kind)
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[kind]
    return {"name": name, "mimeType": mime, "buffer": buffer.getvalue()}


def grid(server: Server, index: int) -> dict[str, Any]:
    return server.of_level("grid")[index]


def no_trouble(visit: Visit, *expected_statuses: int) -> None:
    """No script error, no console error but the browser's note of an expected refusal, no request elsewhere."""
    for message in visit.console_errors:
        assert any(f"status of {status}" in message for status in expected_statuses), message
    assert visit.outside_requests() == []


# ---- tests ------------------------------------------------------------------------------------------------------


def test_a_report_picked_on_the_map_with_a_photo_reaches_its_grid(report_page: Visit, server: Server) -> None:
    page = report_page.page
    target = grid(server, 5)
    code, worker = target["properties"]["code"], target["properties"]["worker"]
    tap_map(page, *inside(target))
    assert wait_for_place(page) == "inside"
    assert page.locator("#place").get_attribute("data-grid") == code
    assert worker in page.locator("#place").inner_text()
    assert page.is_enabled("#send-button")

    fill_report(page, "楼道堆放杂物 map pick")
    page.fill("#address", "3号楼东侧")
    page.set_input_files("#photos", [image_file("stairs.jpg", "JPEG")])
    assert page.locator("#thumbs img").count() == 1
    sent: list[dict[str, str]] = []
    page.on("request", lambda request: sent.append(request.headers) if REPORTS in request.url else None)
    incident = send(page)

    assert uuid.UUID(sent[0]["idempotency-key"])
    pin = page.evaluate("window.gridmapReport.pin.getLatLng()")
    assert metres_apart((incident["lon"], incident["lat"]), (pin["lng"], pin["lat"])) < 0.05
    assert (incident["grid"], incident["worker"]) == (code, worker)
    assert len(incident["photos"]) == 1
    assert code in page.locator("#result-grid").inner_text()
    assert page.locator("#result-worker").inner_text() == worker
    stored = api(server, f"/api/v1/incidents/{incident['id']}")
    assert (stored["grid"], stored["category"], stored["channel"]) == (code, "living_environment", "app")
    assert stored["description"] == "楼道堆放杂物 map pick" and stored["address"] == "3号楼东侧"
    # The device keeps the number and a reporter key of its own for rating later.
    mine = json.loads(page.evaluate("window.localStorage.getItem('gridmapMyReports')"))
    assert mine[0]["id"] == incident["id"] and 16 <= len(mine[0]["key"]) <= 200
    assert page.locator(f"#mine-list li[data-id='{incident['id']}']").count() == 1
    no_trouble(report_page)


@pytest.mark.parametrize("device_datum", ["wgs84", "gcj02"])
def test_the_devices_location_is_sent_in_its_datum(browser: Any, server: Server, device_datum: str) -> None:
    # A browser gives WGS-84; a WebView known to give GCJ-02 is named with ?device_datum=gcj02.
    target = grid(server, 12)
    where = inside(target)
    given, query = (where, "") if device_datum == "wgs84" else (as_gcj02(*where), "?device_datum=gcj02")
    visit = open_report(browser, server.base, geolocation=given, query=query)
    try:
        page = visit.page
        page.click("#locate-button")
        assert wait_for_place(page) == "inside"
        assert page.locator("#place").get_attribute("data-grid") == target["properties"]["code"]
        assert page.evaluate("document.body.dataset.pointSource") == "device"
        assert page.evaluate("window.gridmapReport.state.point.datum") == device_datum
        fill_report(page, f"路灯不亮 device {device_datum}", "public_facilities")
        incident = send(page)
        assert incident["grid"] == target["properties"]["code"]
        assert metres_apart((incident["lon"], incident["lat"]), where) < 1.0
        no_trouble(visit)
    finally:
        visit.page.context.close()


def test_wechats_gcj02_location_is_converted_to_wgs84(browser: Any, server: Server) -> None:
    target = grid(server, 20)
    where = inside(target)
    gcj = as_gcj02(*where)
    # WeChat's JS-SDK as far as the page uses it: it answers in GCJ-02 only when asked for it.
    answer = json.dumps({"longitude": gcj[0], "latitude": gcj[1], "accuracy": 15})
    stub = (
        "window.wx = { getLocation(options) { setTimeout(() => options.type === 'gcj02'"
        f" ? options.success({answer}) : options.fail({{errMsg: 'not gcj02'}}), 10); }} }};"
    )
    visit = open_report(browser, server.base, init_script=stub)
    try:
        page = visit.page
        page.click("#locate-button")
        assert wait_for_place(page) == "inside"
        assert page.locator("#place").get_attribute("data-grid") == target["properties"]["code"]
        # The map is WGS-84 (no GCJ-02 tiles here): the pin stands on the converted point.
        pin = page.evaluate(
            "(() => { const p = window.gridmapReport.state; return window.gridmapReport.onMap(p.point); })()"
        )
        assert metres_apart((pin[1], pin[0]), where) < 1.0
        fill_report(page, "噪音扰民 wechat", "noise_livestock")
        incident = send(page)
        expected = tuple(float(v) for v in gcj02_to_wgs84(*gcj))
        assert metres_apart((incident["lon"], incident["lat"]), expected) < 1.0
        assert metres_apart((incident["lon"], incident["lat"]), gcj) > 100  # it was converted, not taken as is
        assert incident["grid"] == target["properties"]["code"]
        no_trouble(visit)
    finally:
        visit.page.context.close()


def test_a_double_tap_on_send_makes_one_incident(report_page: Visit, server: Server) -> None:
    page = report_page.page
    tap_map(page, *inside(grid(server, 3)))
    assert wait_for_place(page) == "inside"
    fill_report(page, "双击提交 double tap")
    with page.expect_response(lambda response: REPORTS in response.url):
        page.dblclick("#send-button")
    page.wait_for_selector("#result:not([hidden])")
    assert sum(REPORTS in url for url in report_page.requests) == 1  # the second tap met a disabled button
    assert len(stored_with(server, "双击提交 double tap")) == 1
    no_trouble(report_page)


def test_a_resend_after_a_lost_answer_reuses_the_key_and_makes_one_incident(report_page: Visit, server: Server) -> None:
    page = report_page.page
    tap_map(page, *inside(grid(server, 8)))
    assert wait_for_place(page) == "inside"
    fill_report(page, "答复丢失 lost answer")
    keys: list[str] = []
    statuses: list[int] = []

    def lose_the_answer(route: Any) -> None:
        # The server gets the report and answers; the phone never sees the answer (the network dropped).
        keys.append(route.request.headers["idempotency-key"])
        statuses.append(route.fetch().status)
        route.abort("connectionreset")

    page.route("**" + REPORTS, lose_the_answer)
    page.click("#send-button")
    page.wait_for_selector("#send-message[data-status='network']")
    assert page.is_enabled("#send-button")
    page.unroute("**" + REPORTS)
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.headers["idempotency-key"]) if REPORTS in request.url else None
    )
    with page.expect_response(lambda response: REPORTS in response.url) as again:
        page.click("#send-button")
    page.wait_for_selector("#result:not([hidden])")
    assert statuses == [201] and again.value.status == 200
    assert sent == keys
    assert len(stored_with(server, "答复丢失 lost answer")) == 1
    # After a success the next report gets a new key.
    assert page.evaluate("window.gridmapReport.state.draft.idempotencyKey") != keys[0]


def test_a_point_outside_every_grid_is_refused_saying_so(report_page: Visit, server: Server) -> None:
    page = report_page.page
    communities = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in server.of_level("community")])
    min_x, min_y, _max_x, max_y = communities.bounds
    outside = (min_x - 0.01, (min_y + max_y) / 2)
    tap_map(page, *outside)
    assert wait_for_place(page) == "outside"
    assert "不在任何网格内" in page.locator("#place").inner_text()
    assert "outside every grid" in page.locator("#place").inner_text()
    assert page.is_disabled("#send-button")
    fill_report(page, "网格以外 outside")

    # Where the page could not look the point up, the server still refuses it, and the page shows why.
    page.evaluate("window.gridmapReport.state.place = 'unknown'")
    page.evaluate("document.getElementById('report-form').requestSubmit()")
    page.wait_for_selector("#send-message[data-status='422']")
    assert "grid" in page.locator("#send-message").inner_text()
    assert page.locator("#result").is_hidden()
    assert stored_with(server, "网格以外 outside") == []
    no_trouble(report_page, 422)


def test_photos_are_checked_on_the_page_before_sending(report_page: Visit) -> None:
    page = report_page.page
    four = [image_file(f"p{i}.png", "PNG") for i in range(4)]
    page.set_input_files("#photos", four)
    assert "最多 3 张" in page.locator("#photo-message").inner_text()
    assert page.locator("#thumbs img").count() == 3
    assert page.locator("#photo-pick").is_hidden()

    page.locator("#thumbs .thumb-remove").first.click()
    assert page.locator("#thumbs img").count() == 2
    assert page.locator("#photo-message").is_hidden()
    too_big = {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" + bytes(8 * 1024 * 1024)}
    not_an_image = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}
    page.set_input_files("#photos", [too_big, not_an_image])
    message = page.locator("#photo-message").inner_text()
    assert "huge.jpg" in message and "8 MB" in message
    assert "notes.txt" in message and "JPEG" in message
    assert page.locator("#thumbs img").count() == 2
    page.set_input_files("#photos-album", [image_file("p5.webp", "WEBP")])
    assert page.locator("#thumbs img").count() == 3
    assert report_page.console_errors == []


def test_a_photo_the_server_cannot_read_is_refused_naming_it(report_page: Visit, server: Server) -> None:
    page = report_page.page
    tap_map(page, *inside(grid(server, 25)))
    assert wait_for_place(page) == "inside"
    fill_report(page, "照片损坏 broken photo")
    broken = {"name": "broken.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(200)}
    page.set_input_files("#photos", [image_file("good.png", "PNG"), broken])
    assert page.locator("#thumbs img").count() == 2  # the page goes by the type; the server reads the bytes
    page.click("#send-button")
    page.wait_for_selector("#send-message[data-status='422']")
    assert "broken.png" in page.locator("#send-message").inner_text()
    assert stored_with(server, "照片损坏 broken photo") == []

    # Without the broken photo the same report (and the same key) goes through.
    page.locator("#thumbs .thumb-remove").nth(1).click()
    incident = send(page)
    assert len(incident["photos"]) == 1
    assert [i["id"] for i in stored_with(server, "照片损坏 broken photo")] == [incident["id"]]
    no_trouble(report_page, 422)


def test_a_360_px_phone_needs_no_sideways_scrolling(browser: Any, server: Server) -> None:
    visit = open_report(browser, server.base, viewport={"width": 360, "height": 740}, mobile=True)
    try:
        page = visit.page
        widths = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        scroll, width = page.evaluate(widths)
        assert scroll <= width == 360
        tap_map(page, *inside(grid(server, 30)))
        assert wait_for_place(page) == "inside"
        page.set_input_files("#photos", [image_file(f"p{i}.png", "PNG") for i in range(3)])
        page.select_option("#category", "elevator_installation")
        scroll, width = page.evaluate(widths)
        assert scroll <= width
        for button in ("#send-button", "#locate-button"):
            assert page.locator(button).bounding_box()["height"] >= 44
        send(page)  # the answer, with the long incident number, and the list of my reports fit too
        scroll, width = page.evaluate(widths)
        assert scroll <= width
        no_trouble(visit)
    finally:
        visit.page.context.close()


def test_on_gcj02_tiles_a_map_pick_is_sent_as_gcj02_and_a_flood_gets_a_wait_message(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A tile URL on this machine that answers nothing: only the datum of the map matters here.
    tiles = "http://127.0.0.1:9/amap/{z}/{x}/{y}.png"
    settings = {"tiles_url": tiles, "tiles_datum": "gcj02", "report_burst": "1", "reports_per_hour": "1"}
    for server in _start(tmp_path_factory.mktemp("gcj-report"), **settings):
        visit = open_report(browser, server.base)
        try:
            page = visit.page
            target = grid(server, 9)
            tap_map(page, *as_gcj02(*inside(target)))
            assert wait_for_place(page) == "inside"
            assert page.locator("#place").get_attribute("data-grid") == target["properties"]["code"]
            point = page.evaluate("window.gridmapReport.state.point")
            assert point["datum"] == "gcj02"
            fill_report(page, "乱停车 gcj02 map", "parking_vending")
            incident = send(page)
            expected = tuple(float(v) for v in gcj02_to_wgs84(point["lon"], point["lat"]))
            assert metres_apart((incident["lon"], incident["lat"]), expected) < 1.0
            assert incident["grid"] == target["properties"]["code"]

            page.click("#new-report")
            tap_map(page, *as_gcj02(*inside(target)))
            assert wait_for_place(page) == "inside"
            fill_report(page, "再报一件 flood", "parking_vending")
            with page.expect_response(lambda response: REPORTS in response.url) as refused:
                page.click("#send-button")
            assert refused.value.status == 429
            page.wait_for_selector("#send-message[data-status='429']")
            wait_s = int(refused.value.headers["retry-after"])
            assert f"{math.ceil(wait_s / 60)} 分钟" in page.locator("#send-message").inner_text()
            assert page.locator("#result").is_hidden() and page.is_enabled("#send-button")
            assert stored_with(server, "再报一件 flood") == []
            # Chromium refuses port 9 (the tiles' dead port) itself, and says so on the console.
            visit.console_errors = [e for e in visit.console_errors if "ERR_UNSAFE_PORT" not in e]
            no_trouble(visit, 429)
        finally:
            visit.page.context.close()


def test_the_reporter_rates_a_closed_incident_from_my_reports(report_page: Visit, server: Server) -> None:
    page = report_page.page
    tap_map(page, *inside(grid(server, 14)))
    assert wait_for_place(page) == "inside"
    fill_report(page, "垃圾未清运 to rate")
    incident = send(page)
    item = page.locator(f"#mine-list li[data-id='{incident['id']}']")
    assert item.locator("form.rating").count() == 0  # not closed yet: nothing to rate
    for step in ("accepted", "dispatched", "in_progress", "resolved", "closed"):
        api_post(server, f"/api/v1/incidents/{incident['id']}/transitions", {"to": step})

    page.reload()
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=20_000)
    rating = item.locator("form.rating")
    rating.wait_for()
    # The follow-up reads the stage in words and the short number, with the report's key.
    assert "已办结" in item.locator(".mine-status[data-status='closed']").inner_text()
    assert item.locator(".mine-number").inner_text() == incident["number"]
    rating.locator("button.star[data-rating='4']").click()
    rating.locator("input").fill("清运及时")
    with page.expect_response(lambda response: response.url.endswith("/rating")) as answer:
        rating.locator("button[type=submit]").click()
    assert answer.value.status == 200
    item.locator(".ok").wait_for()
    stored = api(server, f"/api/v1/incidents/{incident['id']}")
    assert stored["rating"] == 4
    assert stored["history"][-1]["action"] == "rate"
    mine = json.loads(page.evaluate("window.localStorage.getItem('gridmapMyReports')"))
    assert next(r for r in mine if r["id"] == incident["id"])["rated"] is True
    no_trouble(report_page)


def test_the_viewer_links_to_the_report_page_and_back(browser: Any, server: Server) -> None:
    visit = open_viewer(browser, server.base)
    try:
        page = visit.page
        page.click("#report-link")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=20_000)
        assert page.url == server.base + "/report"
        assert page.locator("#category option").count() > 10
        page.click("a.bar-link")
        page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=20_000)
        assert page.url.split("#")[0] == server.base + "/"  # the viewer keeps its view in the hash (a share link)
        no_trouble(visit)
    finally:
        visit.page.context.close()


def test_an_incident_reported_on_the_page_shows_on_the_viewers_map(
    report_page: Visit, browser: Any, server: Server
) -> None:
    target = grid(server, 16)
    where = inside(target)
    tap_map(report_page.page, *where)
    assert wait_for_place(report_page.page) == "inside"
    fill_report(report_page.page, "井盖缺失 end to end", "public_facilities")
    incident = send(report_page.page)

    visit = open_viewer(browser, server.base, token=server.planner_token)
    try:
        page = visit.page
        assert page.evaluate("document.body.dataset.signedIn") == "true"
        page.locator(".leaflet-control-layers-overlays label", has_text="聚合").locator("input").check()
        page.wait_for_function("() => Number(document.body.dataset.incidentsRendered || 0) > 0", timeout=20_000)
        # Few incidents in view and a planner signed in: single points, the new one among them.
        assert page.evaluate("document.body.dataset.incidentsMode") == "points"
        assert incident["id"] in page.evaluate("window.gridmapIncidents.pointIds()")
        drawn = page.locator(f"path[data-incident-id='{incident['id']}']")
        assert drawn.count() == 1
        position = page.evaluate("id => window.gridmapIncidents.state.points.get(id).getLatLng()", incident["id"])
        assert metres_apart((position["lng"], position["lat"]), (incident["lon"], incident["lat"])) < 0.05
        drawn.click()
        popup = page.locator(f".incident-popup[data-incident-id='{incident['id']}'][data-loaded='true']")
        popup.wait_for(timeout=20_000)
        text = popup.inner_text()
        assert "井盖缺失 end to end" in text and target["properties"]["worker"] in text
        no_trouble(visit)
    finally:
        visit.page.context.close()
