"""The static pages in web/ (map viewer, reporting page, API docs), their modules, and Leaflet from web/node_modules.

Nothing is fetched from a CDN: `npm ci` in web/ installs Leaflet, and /vendor/ serves its dist folders. Only the
pages' own files are served from web/ (the pages, their style sheets, the ES modules under web/js/), never
package.json or node_modules as a whole.

The pages are native ES modules that name Leaflet and its plugins through an inline import map. The map is written
once, here (IMPORT_MAP): a page holds an empty `<script type="importmap"></script>` that is filled when the page is
read. The Content-Security-Policy allows no inline script, so each inline script's sha256 is allowed instead
(`inline_script_hashes`, read by gridmap.api.headers): both come from the same bytes, read once per process, so the
page served is the page hashed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from gridmap.errors import NotFound

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
MODULES_DIR = WEB_DIR / "js"
LEAFLET_DIST = WEB_DIR / "node_modules" / "leaflet" / "dist"
LEAFLET_HEAT_DIST = WEB_DIR / "node_modules" / "leaflet.heat" / "dist"
GEOMAN_DIST = WEB_DIR / "node_modules" / "@geoman-io" / "leaflet-geoman-free" / "dist"
SWAGGER_DIST = WEB_DIR / "node_modules" / "swagger-ui-dist"
PAGES = {
    "/": "index.html",
    "/report": "report.html",
    "/edit": "edit.html",
    "/admin": "admin.html",
    "/desk": "desk.html",
    "/review": "review.html",
    "/docs": "docs.html",
}
ASSETS = {
    "viewer.css": "text/css",
    "edit.css": "text/css",
    "report.css": "text/css",
    "admin.css": "text/css",
    "desk.css": "text/css",
    "review.css": "text/css",
    "docs.js": "text/javascript",
}
# The packages the pages import by name, every page the same map (so one hash in the policy).
IMPORT_MAP = {
    "imports": {
        "leaflet": "/vendor/leaflet/leaflet-src.esm.js",
        "leaflet.heat": "/vendor/leaflet-heat/leaflet-heat.js",
        "@geoman-io/leaflet-geoman-free": "/vendor/geoman/leaflet-geoman.js",
    }
}
EMPTY_IMPORT_MAP = '<script type="importmap"></script>'
NO_CACHE = {"Cache-Control": "no-cache"}
# An inline script: a <script> element without a src attribute, and its text.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _web_file(path: Path) -> Path:
    if not path.is_file():
        msg = f"{path.name} is missing from {path.parent}; the viewer ships with the source tree"
        raise NotFound(msg)
    return path


@cache
def page_html(name: str) -> bytes:
    """The bytes of page `name` in web/ with the import map filled in, read once per process (the policy's hashes
    are of these bytes)."""
    html = _web_file(WEB_DIR / name).read_text(encoding="utf-8")
    filled = f'<script type="importmap">{json.dumps(IMPORT_MAP)}</script>'
    return html.replace(EMPTY_IMPORT_MAP, filled).encode("utf-8")


def inline_script_hashes() -> tuple[str, ...]:
    """The CSP sources ('sha256-…') of the pages' inline scripts (their import maps), each once."""
    sources: list[str] = []
    for name in PAGES.values():
        if not (WEB_DIR / name).is_file():
            continue  # a page missing from the tree answers 404 anyway
        for match in INLINE_SCRIPT.finditer(page_html(name).decode("utf-8")):
            digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
            source = f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
            if source not in sources:
                sources.append(source)
    return tuple(sources)


def _modules() -> dict[str, Path]:
    """The pages' ES modules, by their path under /js/."""
    return {path.relative_to(MODULES_DIR).as_posix(): path for path in sorted(MODULES_DIR.rglob("*.js"))}


def _page(name: str) -> Callable[[], Response]:
    """The route answering page `name` (a closure: a default argument would become a query parameter)."""

    def page() -> Response:
        return Response(page_html(name), media_type="text/html", headers=NO_CACHE)

    return page


def _asset(name: str, media_type: str) -> Callable[[], FileResponse]:
    """The route answering web/`name`."""

    def asset() -> FileResponse:
        return FileResponse(_web_file(WEB_DIR / name), media_type=media_type, headers=NO_CACHE)

    return asset


def mount_pages(app: FastAPI) -> None:
    """Serve the viewer (/), the reporting page (/report), the boundary editor (/edit), the admin page (/admin), the
    incident desk (/desk), the API docs (/docs), their modules and styles, Leaflet and its plugins."""
    for route, name in PAGES.items():
        app.add_api_route(route, _page(name), methods=["GET"], include_in_schema=False)
    for name, media_type in ASSETS.items():
        app.add_api_route(f"/{name}", _asset(name, media_type), methods=["GET"], include_in_schema=False)
    modules = _modules()  # only the files found at start-up: never a path the request makes up

    @app.get("/js/{module:path}", include_in_schema=False)
    def page_module(module: str) -> FileResponse:
        if module not in modules:
            msg = "no such page module under /js/"
            raise NotFound(msg)
        return FileResponse(_web_file(modules[module]), media_type="text/javascript", headers=NO_CACHE)

    # check_dir=False: the app still starts (and the API works) before `npm ci`; the page then 404s on Leaflet.
    app.mount("/vendor/leaflet", StaticFiles(directory=LEAFLET_DIST, check_dir=False), name="leaflet")
    app.mount("/vendor/leaflet-heat", StaticFiles(directory=LEAFLET_HEAT_DIST, check_dir=False), name="leaflet-heat")
    app.mount("/vendor/geoman", StaticFiles(directory=GEOMAN_DIST, check_dir=False), name="geoman")
    app.mount("/vendor/swagger-ui", StaticFiles(directory=SWAGGER_DIST, check_dir=False), name="swagger-ui")
