"""The viewer, the reporting page and the API docs work under the Content-Security-Policy, in a real Chromium.

Each page is opened with base-map tiles from another origin (a small tile server on this machine), and every
console error, script error and `securitypolicyviolation` event is collected: there must be none, and the
tiles must have been drawn (their host is allowed in img-src).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.web.test_viewer import Server, _need_chromium, _start

pytestmark = pytest.mark.browser

# A 1x1 transparent PNG: every tile the pages ask for.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
# Registered before any page script runs: records each violation the page meets.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI + " " + (event.sample || ""));
});
"""
# When each page is ready. Functions, not expressions: Playwright evaluates an expression with eval, which
# the policy refuses.
PAGES = {
    "/": "() => document.body.dataset.loaded === 'true'",
    "/report": "() => document.body.dataset.ready === 'true'",
    "/docs": "() => document.querySelectorAll('.opblock').length > 20",
    "/edit": "() => document.body.dataset.ready === 'true'",
    "/admin": "() => document.body.dataset.ready === 'true'",
    "/desk": "() => document.body.dataset.ready === 'true'",
}


class _TileHandler(BaseHTTPRequestHandler):
    served: ClassVar[list[str]] = []  # the paths asked for, cleared by each test

    def do_GET(self) -> None:
        type(self).served.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(TILE)))
        self.end_headers()
        self.wfile.write(TILE)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def tiles() -> Iterator[str]:
    """The URL template of a tile server on another origin (another port of this machine)."""
    tile_server = ThreadingHTTPServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=tile_server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{tile_server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    finally:
        tile_server.shutdown()
        tile_server.server_close()


@pytest.fixture(scope="module")
def tiled_server(tmp_path_factory: pytest.TempPathFactory, tiles: str) -> Iterator[Server]:
    """The app with base-map tiles from the tile server."""
    _need_chromium()
    yield from _start(tmp_path_factory.mktemp("csp"), tiles_url=tiles, tiles_attribution="test tiles")


@pytest.mark.parametrize("path", list(PAGES))
def test_page_works_under_the_content_security_policy(
    browser: Any, tiled_server: Server, path: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    _TileHandler.served.clear()
    try:
        response = page.goto(tiled_server.base + path)
        assert response is not None and response.ok
        policy = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        page.wait_for_function(PAGES[path], timeout=30_000)
        if path not in ("/docs", "/admin", "/desk"):  # the pages with a map (the desk's is for staff only)
            page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
            assert _TileHandler.served
        page.wait_for_timeout(300)  # a violation is reported asynchronously
        violations = page.evaluate("window.__violations")
        assert violations == [], violations
        assert errors == [], errors
    finally:
        context.close()
