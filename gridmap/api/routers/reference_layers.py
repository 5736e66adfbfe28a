"""Reference layers (streets, river, buildings, stations) to orient by: readable as the boundary map is.

Imported with `gridmap reference import`; served whole or by `bbox`, in the datum of the base map (`crs=gcj02`
on Amap tiles). Each feature carries its label only: nothing else of the source file was kept.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from gridmap.api.answers import ReferenceLayerList, ReferenceLayerMap, geojson_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import ReaderDep
from gridmap.api.geojson import CRS84, GeoJSONResponse, in_datum
from gridmap.api.params import parse_bbox, parse_crs
from gridmap.geo.crs import Datum
from gridmap.services.reference_layers import ReferenceLayerCache
from gridmap.store.reference_store import ReferenceLayerInfo

router = APIRouter(route_class=AnswerRoute, prefix="/reference-layers", tags=["reference layers"])


def _layer_cache(request: Request) -> ReferenceLayerCache:
    cache: ReferenceLayerCache = request.app.state.reference_layers
    return cache


def _description(info: ReferenceLayerInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "title": info.title,
        "kind": info.kind.value,
        "style": info.style,
        "feature_count": info.feature_count,
        "bbox": list(info.bbox) if info.bbox else None,
        "labelled": info.label_field is not None,
        "revision": info.revision,
    }


@router.get("", summary="The reference layers a map may draw", response_model=ReferenceLayerList)
def list_reference_layers(request: Request, user: ReaderDep) -> dict[str, Any]:
    """Each layer's name, title, kind (point, line, polygon), style, feature count and WGS-84 bbox, in import order."""
    return {"layers": [_description(info) for info in _layer_cache(request).layers()]}


@router.get(
    "/{name}",
    response_class=GeoJSONResponse,
    summary="A reference layer's features (GeoJSON), whole or in a bbox",
    responses={**geojson_answer(ReferenceLayerMap, "The layer as a GeoJSON FeatureCollection"), **errors(404)},
)
def reference_layer(
    request: Request,
    user: ReaderDep,
    name: Annotated[str, Path(max_length=32)],
    bbox: Annotated[
        str | None, Query(description="minx,miny,maxx,maxy in WGS-84 degrees, whatever the output crs")
    ] = None,
    crs: Annotated[
        str | None, Query(description="Datum of the output coordinates: wgs84 (default), gcj02 (Amap tiles), bd09")
    ] = None,
) -> Response:
    """The features meeting `bbox` (all without one), each with its `label` when the layer has labels."""
    box, datum = parse_bbox(bbox), parse_crs(crs)
    layer = _layer_cache(request).features(name, box)
    geometries: list[str] = list(shapely.to_geojson(in_datum(list(layer.geometries), datum)))
    features = ",".join(
        f'{{"type":"Feature","geometry":{geometry},'
        f'"properties":{json.dumps({} if label is None else {"label": label}, ensure_ascii=False)}}}'
        for geometry, label in zip(geometries, layer.labels, strict=True)
    )
    head = json.dumps({"type": "FeatureCollection", **_description(layer.info), "crs": datum.value}, ensure_ascii=False)
    headers = {"Content-Crs": f"<{CRS84}>"} if datum in (Datum.WGS84, Datum.CGCS2000) else {}
    # `head` ends with "}"; the features go in as the last member (as gridmap.api.geojson.collection_json does).
    return GeoJSONResponse(head[:-1] + ',"features":[' + features + "]}", headers=headers)
