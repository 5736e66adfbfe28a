"""The map viewer in a real headless Chromium against the real app (uvicorn) on the sample region.

Chromium is Debian's (/usr/bin/chromium), never one downloaded by `playwright install`. Without it the tests
are skipped, except under CI=true, where they fail. Every request the page makes is recorded: none may go
to a host other than this machine.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import shapely
import uvicorn

from gridmap.api.app import create_app
from gridmap.services.households import read_households
from gridmap.settings import Settings
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.api.conftest import copy_sqlite, publish_region

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SAMPLE = Path("boundaries") / "shouning_aoyang.geojson"
START_TIMEOUT_S = 300  # a loaded 2-core machine has been seen to take more than 60 s


def _need_chromium() -> None:
    if CHROMIUM.is_file() and (REPO / "web" / "node_modules" / "leaflet" / "dist" / "leaflet-src.esm.js").is_file():
        return
    message = f"the viewer tests need {CHROMIUM} and Leaflet in web/node_modules (npm ci in web/)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_sample(sample_dir: Path) -> Path:
    """The repository's sample region, or the same region generated afresh when the file is not there yet."""
    target = sample_dir / SAMPLE
    target.parent.mkdir(parents=True, exist_ok=True)
    shipped = REPO / "data" / SAMPLE
    if shipped.is_file():
        shutil.copyfile(shipped, target)
    else:
        from gridmap_demo.region import BOUNDARY_COLUMNS, generate_region

        generate_region().boundaries[list(BOUNDARY_COLUMNS)].to_file(target, driver="GeoJSON")
    return target


@dataclass
class Server:
    """A running app: its base URL, its database, the sample features it loaded and a planner's token."""

    base: str
    database_url: str
    features: list[dict[str, Any]]
    planner_token: str

    def of_level(self, level: str) -> list[dict[str, Any]]:
        return [f for f in self.features if f["properties"]["level"] == level]


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/collections/grids/items?limit=1", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"the app did not answer within {START_TIMEOUT_S} s")


@contextlib.contextmanager
def running_app(
    folder: Path, database_url: str, sample_dir: Path, *, workers: int = 1, **settings: str
) -> Iterator[str]:
    """The real app under uvicorn (`workers` processes) on a loopback port, on `database_url`; yields its base
    URL, stops it after. With several workers, prepare the database first (as `gridmap serve` does)."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "GRIDMAP_DATABASE_URL": database_url,
        "GRIDMAP_SAMPLE_DIR": str(sample_dir),
        "GRIDMAP_PUBLIC_READ": "true",
        **{f"GRIDMAP_{k.upper()}": v for k, v in settings.items()},
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "gridmap.api.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=folder, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def serving_app(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn in a thread of this process, on a loopback port; yields its base URL, stops it
    (lifespan shutdown: store closed) after. A process of its own would import the app again: about 5 s of CPU
    per server, most of a browser test module's own cost. Logging is left as it is (no log config, level or
    access-log switch: uvicorn would set them for the whole test process)."""
    config = uvicorn.Config(create_app(settings), log_config=None, ws="none", lifespan="on")
    config.timeout_graceful_shutdown = 10
    server = uvicorn.Server(config)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="gridmap-app")
        thread.start()
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not server.started:
                if not thread.is_alive():
                    pytest.fail("the app did not start (its lifespan failed: see the log above)")
                if time.monotonic() > deadline:
                    pytest.fail(f"the app did not start within {START_TIMEOUT_S} s")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join()


@functools.cache
def _published_sample() -> Path:
    """A SQLite database holding the sample region published, made once per test process (about 1 s of CPU) and
    copied for each server. Removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="gridmap-published-sample-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _write_sample(folder / "sample")
    publish_region(f"sqlite:///{folder / 'gridmap.db'}", folder / "sample")
    return folder / "gridmap.db"


def _start(folder: Path, **settings: str) -> Iterator[Server]:
    sample = _write_sample(folder / "sample")
    copy_sqlite(_published_sample(), folder / "gridmap.db")  # before the app starts, as `gridmap demo load` does
    database_url = f"sqlite:///{folder / 'gridmap.db'}"
    values: dict[str, Any] = {"database_url": database_url, "sample_dir": folder / "sample", "public_read": True}
    with serving_app(Settings(_env_file=None, **{**values, **settings})) as base:  # no .env: as in its own folder
        store = open_store(database_url)
        try:
            token = store.add_user("规划员", Role.PLANNER)
        finally:
            store.close()
        features = json.loads(sample.read_text(encoding="utf-8"))["features"]
        yield Server(base, database_url, features, token)


def start_with_households(folder: Path, sample_files: tuple[str, ...]) -> Iterator[Server]:
    """The app on the sample region with the sample's households stored and `sample_files` where it looks."""
    inputs = folder / "sample" / "sample"
    inputs.mkdir(parents=True)
    for name in sample_files:
        shutil.copyfile(REPO / "data" / "sample" / name, inputs / name)
    for started in _start(folder):
        households = read_households(inputs / "households.csv", matcher=None)
        assert not households.errors
        store = open_store(started.database_url)
        try:
            store.add_households(households.records)
        finally:
            store.close()
        yield started


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a new SQLite database holding the sample region (published before the app starts)."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("viewer"))


@dataclass
class Visit:
    """A page with what it logged and requested."""

    page: Any
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if url.startswith("http") and urlsplit(url).hostname not in LOCAL_HOSTS]


def open_viewer(
    browser: Any,
    base: str,
    *,
    token: str | None = None,
    path: str = "/",
    viewport: dict[str, int] | None = None,
    phone: bool = False,
    prepare: Callable[[Any], None] | None = None,
) -> Visit:
    """Load the viewer (at `path`: a link with a view in its hash, say) and wait until its layers are loaded; in a
    1400x860 window unless `viewport` says otherwise, as a touch-screen phone's browser with `phone`; `prepare`
    is given the browser context before the page opens (to route some requests, say)."""
    context = browser.new_context(
        viewport=viewport or {"width": 1400, "height": 860}, locale="zh-CN", is_mobile=phone, has_touch=phone
    )
    if prepare:
        prepare(context)
    page = context.new_page()
    visit = Visit(page)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", lambda message: visit.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
    if token:
        context.add_init_script(f"window.localStorage.setItem('gridmapToken', {json.dumps(token)});")
    page.goto(base + path)
    page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=20_000)
    return visit


def count(page: Any, level: str) -> int:
    result: int = page.evaluate(f"window.gridmapViewer.count('{level}')")
    return result


def test_page_shows_every_level_without_errors_or_requests_elsewhere(
    visit: Visit, server: Server, tmp_path: Path
) -> None:
    page = visit.page
    for level in ("community", "grid", "microgrid"):
        assert count(page, level) == len(server.of_level(level)) > 0
    # Communities and grids are on the map by default, each drawn as an SVG path.
    drawn = page.locator(".leaflet-grid-pane path").count()
    assert drawn == len(server.of_level("grid"))
    assert page.locator(".leaflet-community-pane path").count() == len(server.of_level("community"))
    assert "已发布" in page.locator("#version-status").inner_text()
    assert page.locator(".legend li", has_text="Problem (draft)").is_hidden()  # a published version: no problems
    labels = page.locator(".leaflet-tooltip.label-community")
    assert labels.count() == len(server.of_level("community"))
    assert server.of_level("community")[0]["properties"]["name"] in labels.first.inner_text()
    page.screenshot(path=str(tmp_path / "viewer.png"))
    assert (tmp_path / "viewer.png").stat().st_size > 10_000
    assert visit.console_errors == []
    assert any("/vendor/leaflet/leaflet-src.esm.js" in url for url in visit.requests)  # Leaflet's ESM build
    assert visit.outside_requests() == []


# Each API request as the page makes it ("ask <path>") and as its answer arrives ("answer <path>"), in order.
API_EVENTS = """
window.apiEvents = [];
const pageFetch = window.fetch;
window.fetch = (input, init) => {
  const path = String(input).split("/api/v1/")[1];
  const answer = pageFetch(input, init);
  if (path !== undefined) {
    window.apiEvents.push("ask " + path);
    answer.then(() => window.apiEvents.push("answer " + path), () => {});
  }
  return answer;
};
"""


def test_the_opening_requests_go_out_together(browser: Any, server: Server) -> None:
    """The page's head names the version the viewer will open (meta gridmap-opening), so the page asks for the set's
    versions and each level's first page together with the sets, not each after the answer before it; and asks for
    each of them once. Told by the order of the page's own requests and answers (network timings move with load)."""
    visit = open_viewer(browser, server.base, prepare=lambda context: context.add_init_script(API_EVENTS))
    try:
        events: list[str] = visit.page.evaluate("window.apiEvents")
        asked = [event.removeprefix("ask ") for event in events if event.startswith("ask ")]
        first_pages = [path for path in asked if "/items?" in path and "offset=" not in path]
        assert asked.count("boundary-sets") == asked.count("boundary-sets/default/versions") == 1
        assert len(first_pages) == len(set(first_pages)) == 3
        versions_answered = events.index("answer boundary-sets/default/versions")
        assert events.index("ask boundary-sets/default/versions") < events.index("answer boundary-sets")
        assert all(events.index("ask " + path) < versions_answered for path in first_pages)
    finally:
        visit.page.context.close()


def _click_inside(page: Any, feature: dict[str, Any]) -> None:
    """Zoom to a feature and click a point well inside it."""
    shape = shapely.geometry.shape(feature["geometry"])
    inner = shape.buffer(-0.15 * (shape.area**0.5))
    point = (inner if not inner.is_empty else shape).representative_point()
    min_x, min_y, max_x, max_y = shape.bounds
    page.evaluate(
        "b => window.gridmapViewer.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {animate: false})",
        [min_x, min_y, max_x, max_y],
    )
    xy = page.evaluate(
        "p => { const c = window.gridmapViewer.map.latLngToContainerPoint([p[1], p[0]]); return [c.x, c.y]; }",
        [point.x, point.y],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def test_click_on_a_grid_shows_its_details(visit: Visit, server: Server) -> None:
    grid = server.of_level("grid")[7]["properties"]
    community = next(f for f in server.of_level("community") if f["properties"]["code"] == grid["parent"])
    _click_inside(visit.page, server.of_level("grid")[7])
    details = visit.page.locator("#details")
    visit.page.wait_for_function(f"() => document.getElementById('details').dataset.code === '{grid['code']}'")
    text = details.inner_text()
    assert visit.page.locator("#details-name").inner_text() == grid["name"]
    for value in (grid["code"], grid["worker"], str(grid["households_target"]), "网格"):
        assert value in text
    assert community["properties"]["name"] in visit.page.locator("ol.chain").inner_text()
    assert visit.console_errors == []


def test_search_finds_a_grid_by_code_and_by_name(visit: Visit, server: Server) -> None:
    page = visit.page
    by_code, by_name = server.of_level("grid")[3]["properties"], server.of_level("grid")[20]["properties"]
    overview_zoom = page.evaluate("window.gridmapViewer.map.getZoom()")
    page.fill("#search-input", by_code["code"])
    page.press("#search-input", "Enter")
    page.wait_for_function(f"() => document.getElementById('details').dataset.code === '{by_code['code']}'")
    assert page.evaluate("window.gridmapViewer.state.highlighted.feature.properties.code") == by_code["code"]
    # The map zooms in on the match and shows it whole.
    page.wait_for_function(
        f"""() => {{
            const viewer = window.gridmapViewer;
            const layer = viewer.state.byCode.get('{by_code["code"]}').layer;
            return viewer.map.getZoom() > {overview_zoom} && viewer.map.getBounds().contains(layer.getBounds());
        }}"""
    )

    page.fill("#search-input", by_name["name"])
    page.wait_for_selector(f"#search-results li[data-code='{by_name['code']}']")
    page.locator(f"#search-results li[data-code='{by_name['code']}']").dispatch_event("mousedown")
    page.wait_for_function(f"() => document.getElementById('details').dataset.code === '{by_name['code']}'")
    assert page.locator("#details-name").inner_text() == by_name["name"]
    assert visit.console_errors == []
    assert visit.outside_requests() == []


def test_a_draft_shows_the_checks_problems_as_a_layer(browser: Any, server: Server) -> None:
    features = json.loads(json.dumps(server.features))
    grid = next(f for f in features if f["properties"]["level"] == "grid")
    grid["geometry"] = shapely.geometry.mapping(shapely.geometry.shape(grid["geometry"]).buffer(0.0005))
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    draft_id = _upload(server, body)

    visit = open_viewer(browser, server.base, token=server.planner_token)
    try:
        page = visit.page
        page.select_option("#version-picker", str(draft_id))
        page.wait_for_function("() => window.gridmapViewer.problemLayer.getLayers().length > 0", timeout=20_000)
        assert "草稿" in page.locator("#version-status").inner_text()
        assert page.locator("#check .count.error").count() == 1
        assert "overlap" in page.locator("#check-body").inner_text()
        assert page.locator(".leaflet-problem-pane path").count() > 0
        assert page.locator(".legend li", has_text="Problem (draft)").is_visible()
        published = page.evaluate("window.gridmapViewer.state.versions.find((v) => v.status === 'published').id")
        page.select_option("#version-picker", str(published))
        page.wait_for_function("() => document.getElementById('check').hidden", timeout=20_000)
        assert page.locator(".legend li", has_text="Problem (draft)").is_hidden()
        assert visit.console_errors == []
        assert visit.outside_requests() == []
    finally:
        visit.page.context.close()


def _upload(server: Server, body: bytes) -> int:
    boundary = "gridmapviewertest"
    payload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="draft.geojson"\r\n'
            "Content-Type: application/geo+json\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{server.base}/api/v1/boundary-sets/default/versions",
        data=payload,
        method="POST",
        headers={
            "Authorization": f"Bearer {server.planner_token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        version_id: int = json.loads(response.read())["id"]
        return version_id


def test_gcj02_tiles_get_gcj02_geometries(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # A tile URL on this machine that answers nothing: only where the page asks matters here.
    tiles = "http://127.0.0.1:9/amap/{z}/{x}/{y}.png"
    for server in _start(tmp_path_factory.mktemp("gcj"), tiles_url=tiles, tiles_datum="gcj02"):
        visit = open_viewer(browser, server.base)
        try:
            items = [url for url in visit.requests if "/collections/" in url and "/items" in url]
            assert items and all("crs=gcj02" in url for url in items)
            assert any(url.startswith("http://127.0.0.1:9/amap/") for url in visit.requests)
            assert visit.outside_requests() == []
            grid = server.of_level("grid")[0]
            drawn = visit.page.evaluate(
                "code => window.gridmapViewer.state.byCode.get(code).layer.getBounds().getCenter()",
                grid["properties"]["code"],
            )
            centre = shapely.geometry.shape(grid["geometry"]).envelope.centroid
            # Near Shouning GCJ-02 lies a few hundred metres east and south of WGS-84.
            assert 0.003 < drawn["lng"] - centre.x < 0.007
            assert -0.005 < drawn["lat"] - centre.y < 0.0
        finally:
            visit.page.context.close()
