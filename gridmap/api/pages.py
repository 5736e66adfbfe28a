"""The static pages in web/ (map viewer, reporting page, API docs), their modules, and Leaflet from web/node_modules.

Nothing is fetched from a CDN: `npm ci` in web/ installs Leaflet, and /vendor/ serves its dist folders. Only the
pages' own files are served from web/ (the pages, their style sheets, the ES modules under web/js/), never
package.json or node_modules as a whole.

The pages are native ES modules that name Leaflet and its plugins through an inline import map. The map is written
once, here (IMPORT_MAP): a page holds an empty `<script type="importmap"></script>` that is filled when the page is
read. The Content-Security-Policy allows no inline script, so each inline script's sha256 is allowed instead
(`inline_script_hashes`, read by gridmap.api.headers): both come from the same bytes, read once per process, so the
page served is the page hashed.

A browser finds a module's imports only once it has the module, one level at a time (the viewer's graph is four
levels deep). So the page's head also lists every module its entries import, directly or not, as
`<link rel="modulepreload">` (`preload_links`), found by reading the modules' static imports once per process:
the browser then asks for them all at once. A module a page imports with import(), when first used, is not listed:
preloaded, it would be fetched with the page.

The viewer's first requests depend on each other's answers (the sets, then the chosen set's versions, then each
level's count), and each answer waits its turn on a main thread still busy with the page's modules. So the viewer
page also says, in `<meta name="gridmap-opening">`, which set and version it will most likely open (the published
default version, when anyone may read it): first-requests.js asks for all of those at once, and the chain then
finds them asked for. A guess the page does not follow (a link naming another version) costs a few requests, never
a wrong answer.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import urljoin

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from gridmap.errors import NotFound

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
MODULES_DIR = WEB_DIR / "js"
LEAFLET_DIST = WEB_DIR / "node_modules" / "leaflet" / "dist"
LEAFLET_HEAT_DIST = WEB_DIR / "node_modules" / "leaflet.heat" / "dist"
GEOMAN_DIST = WEB_DIR / "node_modules" / "@geoman-io" / "leaflet-geoman-free" / "dist"
SWAGGER_DIST = WEB_DIR / "node_modules" / "swagger-ui-dist"
# The packages' dist folders, by the name they are served under (/vendor/<name>/).
VENDOR = {"leaflet": LEAFLET_DIST, "leaflet-heat": LEAFLET_HEAT_DIST, "geoman": GEOMAN_DIST, "swagger-ui": SWAGGER_DIST}
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
# A page's entry module: <script type="module" src="...">.
ENTRY_MODULE = re.compile(r'<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"', re.IGNORECASE)
# A static import or re-export at the start of a line, and its specifier: `import "./x.js"`, `import * as L from
# "leaflet"`, `export { a } from "../y.js"`, the names possibly over several lines. Dynamic import() is not one.
STATIC_IMPORT = re.compile(r"""^[ \t]*(?:import|export)\s*(?:[\w\s{},*$]*?\bfrom\s*)?["']([^"']+)["']""", re.MULTILINE)


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
    html = html.replace(EMPTY_IMPORT_MAP, filled)
    return html.replace("</head>", f"{preload_links(html)}</head>", 1).encode("utf-8")


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


@cache
def _modules() -> dict[str, Path]:
    """The pages' ES modules, by their path under /js/ (the files found at start-up)."""
    return {path.relative_to(MODULES_DIR).as_posix(): path for path in sorted(MODULES_DIR.rglob("*.js"))}


def _module_file(url: str) -> Path | None:
    """The file served at `url`: a page module under /js/ or a package's under /vendor/; None when none is."""
    if url.startswith("/js/"):
        return _modules().get(url.removeprefix("/js/"))
    if not url.startswith("/vendor/"):
        return None
    name, _, rest = url.removeprefix("/vendor/").partition("/")
    dist = VENDOR.get(name)
    if dist is None:
        return None
    path = (dist / rest).resolve()
    return path if path.is_relative_to(dist.resolve()) and path.is_file() else None


@cache
def static_imports(url: str) -> tuple[str, ...]:
    """The URLs the module at `url` imports statically, as the page resolves them (relative to `url`, or a package
    through the import map); specifiers that resolve to no served file are left out."""
    path = _module_file(url)
    if path is None:
        return ()
    found: list[str] = []
    for specifier in STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
        relative = specifier.startswith(("./", "../", "/"))
        target = urljoin(url, specifier) if relative else IMPORT_MAP["imports"].get(specifier)
        if target and target not in found and _module_file(target):
            found.append(target)
    return tuple(found)


def module_graph(entry: str) -> list[str]:
    """The URLs of `entry` and every module it imports, directly or not, nearest first (breadth first)."""
    graph = [entry] if _module_file(entry) else []
    for url in graph:  # grows while it is read
        graph.extend(imported for imported in static_imports(url) if imported not in graph)
    return graph


def preload_links(html: str) -> str:
    """A `<link rel="modulepreload">` per module of the page's entry modules' graphs (none for a page without one),
    the packages' first: Leaflet is by far the largest file, so it is asked for before the many small modules, and is
    compiled while they arrive instead of after them."""
    entries = ENTRY_MODULE.findall(html)
    urls = list(dict.fromkeys(url for entry in entries for url in module_graph(entry)))
    urls.sort(key=lambda url: not url.startswith("/vendor/"))  # stable: the page's own modules keep their order
    return "".join(f'<link rel="modulepreload" href="{url}">\n' for url in urls)


_SERVED: dict[Path, tuple[int, bytes]] = {}  # path -> (modification time in ns, bytes), for served_bytes


def served_bytes(path: Path) -> bytes:
    """The bytes of a file the pages load, kept in memory and read again only when the file changed: answered by the
    event loop itself, where a file response takes several trips to a worker thread, which a page's 30-odd modules,
    six at a time, each wait for."""
    modified = path.stat().st_mtime_ns
    kept = _SERVED.get(path)
    if kept is None or kept[0] != modified:
        kept = _SERVED[path] = (modified, path.read_bytes())
    return kept[1]


def _page(name: str) -> Callable[[], Response]:
    """The route answering page `name` (a closure: a default argument would become a query parameter)."""

    def page() -> Response:
        return Response(page_html(name), media_type="text/html", headers=NO_CACHE)

    return page


def opening_guess(app: FastAPI) -> dict[str, object] | None:
    """The set and version the viewer will most likely open, and the datum it asks geometries in: the default set's
    published version. None when reading needs a token (the page then says nothing about the versions) or when
    nothing is published."""
    if not app.state.settings.public_read or not hasattr(app.state, "versions"):
        return None
    try:
        version = app.state.versions.default()
    except NotFound:
        return None
    crs = app.state.base_map.datum.value
    return {"set": version.set_name, "version": version.id, "feature_count": version.feature_count, "crs": crs}


def viewer_page(request: Request) -> Response:
    """The viewer's page, its head saying what the viewer will most likely open (`opening_guess`)."""
    page = page_html(PAGES["/"])
    guess = opening_guess(request.app)
    if guess is not None:
        content = html.escape(json.dumps(guess, separators=(",", ":")), quote=True)
        page = page.replace(b"</head>", f'<meta name="gridmap-opening" content="{content}">\n</head>'.encode(), 1)
    return Response(page, media_type="text/html", headers=NO_CACHE)


def _asset(name: str, media_type: str) -> Callable[[], FileResponse]:
    """The route answering web/`name`."""

    def asset() -> FileResponse:
        return FileResponse(_web_file(WEB_DIR / name), media_type=media_type, headers=NO_CACHE)

    return asset


def mount_pages(app: FastAPI) -> None:
    """Serve the viewer (/), the reporting page (/report), the boundary editor (/edit), the admin page (/admin), the
    incident desk (/desk), the API docs (/docs), their modules and styles, Leaflet and its plugins."""
    app.add_api_route("/", viewer_page, methods=["GET"], include_in_schema=False)
    for route, name in PAGES.items():
        if route != "/":
            app.add_api_route(route, _page(name), methods=["GET"], include_in_schema=False)
    for name, media_type in ASSETS.items():
        app.add_api_route(f"/{name}", _asset(name, media_type), methods=["GET"], include_in_schema=False)
    modules = _modules()  # only the files found at start-up: never a path the request makes up

    @app.get("/js/{module:path}", include_in_schema=False)
    async def page_module(module: str) -> Response:
        if module not in modules:
            msg = "no such page module under /js/"
            raise NotFound(msg)
        return Response(served_bytes(_web_file(modules[module])), media_type="text/javascript", headers=NO_CACHE)

    # check_dir=False: the app still starts (and the API works) before `npm ci`; the page then 404s on Leaflet.
    for name, dist in VENDOR.items():
        app.mount(f"/vendor/{name}", StaticFiles(directory=dist, check_dir=False), name=name)
