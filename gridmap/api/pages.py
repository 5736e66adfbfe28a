"""The static pages in web/ (map viewer, reporting page) and Leaflet from web/node_modules, all from this origin.

Nothing is fetched from a CDN: `npm ci` in web/ installs Leaflet, and /vendor/leaflet/ serves its dist
folder. Only the pages' own files are served from web/, never package.json or node_modules as a whole.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from gridmap.errors import NotFound

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
LEAFLET_DIST = WEB_DIR / "node_modules" / "leaflet" / "dist"
LEAFLET_HEAT_DIST = WEB_DIR / "node_modules" / "leaflet.heat" / "dist"
SWAGGER_DIST = WEB_DIR / "node_modules" / "swagger-ui-dist"
VIEWER_FILES = {
    "dom.js": "text/javascript",
    "datums.js": "text/javascript",
    "viewer.js": "text/javascript",
    "incidents.js": "text/javascript",
    "viewer.css": "text/css",
}
REPORT_FILES = {"report.js": "text/javascript", "report.css": "text/css"}
DOCS_FILES = {"docs.js": "text/javascript"}


def _web_file(name: str) -> Path:
    path = WEB_DIR / name
    if not path.is_file():
        msg = f"{name} is missing from {WEB_DIR}; the viewer ships with the source tree"
        raise NotFound(msg)
    return path


def mount_pages(app: FastAPI) -> None:
    """Serve the viewer at /, the reporting page at /report, their scripts and styles, Leaflet and the API docs."""

    @app.get("/", include_in_schema=False)
    def viewer_page() -> FileResponse:
        return FileResponse(_web_file("index.html"), media_type="text/html", headers={"Cache-Control": "no-cache"})

    @app.get("/report", include_in_schema=False)
    def report_page() -> FileResponse:
        return FileResponse(_web_file("report.html"), media_type="text/html", headers={"Cache-Control": "no-cache"})

    for name, media_type in {**VIEWER_FILES, **REPORT_FILES, **DOCS_FILES}.items():

        def viewer_asset(name: str = name, media_type: str = media_type) -> FileResponse:
            return FileResponse(_web_file(name), media_type=media_type, headers={"Cache-Control": "no-cache"})

        app.add_api_route(f"/{name}", viewer_asset, methods=["GET"], include_in_schema=False)

    # check_dir=False: the app still starts (and the API works) before `npm ci`; the page then 404s on Leaflet.
    app.mount("/vendor/leaflet", StaticFiles(directory=LEAFLET_DIST, check_dir=False), name="leaflet")
    app.mount("/vendor/leaflet-heat", StaticFiles(directory=LEAFLET_HEAT_DIST, check_dir=False), name="leaflet-heat")
    app.mount("/vendor/swagger-ui", StaticFiles(directory=SWAGGER_DIST, check_dir=False), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> FileResponse:
        # Swagger UI's start-up is in web/docs.js, not inline: the Content-Security-Policy allows no inline script.
        return FileResponse(_web_file("docs.html"), media_type="text/html", headers={"Cache-Control": "no-cache"})
