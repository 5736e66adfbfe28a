"""The API's landing page, its conformance classes, and the configuration the map viewer starts from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from gridmap import __version__
from gridmap.api.answers import Conformance, Landing, ViewerConfig
from gridmap.api.base_map import BaseMap
from gridmap.api.contract import AnswerRoute
from gridmap.api.dependencies import SettingsDep

router = APIRouter(route_class=AnswerRoute, tags=["landing"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


@router.get("/", summary="Landing page: what this API serves", response_model=Landing)
def landing(request: Request) -> dict[str, Any]:
    """Links to the collections, the conformance classes, the OpenAPI document and the viewer."""
    return {
        "title": "gridmap · 网格化管理边界 API",
        "description": "Community, grid and microgrid boundaries (OGC API - Features style), point lookup, versions",
        "version": __version__,
        "links": [
            {"rel": "self", "type": "application/json", "href": str(request.url)},
            {"rel": "data", "type": "application/json", "href": str(request.url_for("list_collections"))},
            {"rel": "conformance", "type": "application/json", "href": str(request.url_for("conformance"))},
            {
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "href": str(request.url_for("openapi")),
            },
            {"rel": "service-doc", "type": "text/html", "href": str(request.base_url) + "docs"},
        ],
    }


@router.get("/conformance", summary="Conformance classes", response_model=Conformance)
def conformance() -> dict[str, list[str]]:
    """The OGC API - Features conformance classes this API follows."""
    return {"conformsTo": CONFORMANCE}


@router.get("/config", summary="What the map viewer needs: base-map tiles and their datum", response_model=ViewerConfig)
def viewer_config(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """The base map's tile layers (none, a preset, a custom URL or /tiles/), their attribution and datum;
    `output_crs` is the datum to ask geometries in (gcj02 for Amap tiles)."""
    base: BaseMap = request.app.state.base_map
    return {"tiles": base.config(), "output_crs": base.datum.value, "public_read": settings.public_read}
