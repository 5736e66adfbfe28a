"""OGC API - Features style collections: one per level (communities, grids, microgrids) and one for all.

Items are served from the published version unless `version=` names another (history, or a draft with a
token). Feature ids are the stable ids that a feature keeps from one version to the next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response

from gridmap.api.answers import Collection, Collections, Feature, FeatureCollection, geojson_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import (
    LevelSummariesDep,
    OutlinesDep,
    ReaderDep,
    StoreDep,
    VersionsDep,
    readable_version,
)
from gridmap.api.geojson import CRS84, GEOJSON_MEDIA_TYPE, GeoJSONResponse, collection_json, features_json
from gridmap.api.params import MAX_ID, MAX_OFFSET, parse_bbox, parse_crs
from gridmap.api.problems import BadParameter
from gridmap.errors import NotFound
from gridmap.geo.coverage_simplify import MAX_TOLERANCE_M
from gridmap.geo.crs import Datum
from gridmap.geo.hierarchy import Level, parse_level
from gridmap.services import features as feature_service
from gridmap.store.version_store import FeaturePage

router = APIRouter(route_class=AnswerRoute, prefix="/collections", tags=["collections"], responses=errors(404))

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class CollectionSpec:
    """A collection: its id, titles and the level it serves (None: every level)."""

    id: str
    title: str
    description: str
    level: Level | None


COLLECTIONS: dict[str, CollectionSpec] = {
    spec.id: spec
    for spec in (
        CollectionSpec(
            "communities", "社区 Communities", "Communities (社区/行政村), the top grid level", Level.COMMUNITY
        ),
        CollectionSpec("grids", "网格 Grids", "Grids (网格) inside communities, each with its grid worker", Level.GRID),
        CollectionSpec("microgrids", "微网格 Microgrids", "Microgrids (微网格/楼栋) inside grids", Level.MICROGRID),
        CollectionSpec("boundaries", "全部边界 All boundaries", "Every level together; filter with level=", None),
    )
}

VersionParam = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Boundary version id (see /boundary-sets/{name}/versions); default: published"),
]
CrsParam = Annotated[
    str | None, Query(description="Datum of the output coordinates: wgs84 (default), gcj02 (Amap tiles), bd09")
]


def collection_spec(collection_id: str) -> CollectionSpec:
    """The collection named `collection_id`; NotFound listing the ones there are."""
    spec = COLLECTIONS.get(collection_id)
    if spec is None:
        msg = f"there is no collection {collection_id!r}; collections are {', '.join(COLLECTIONS)}"
        raise NotFound(msg)
    return spec


def _collection_json(spec: CollectionSpec, request: Request) -> dict[str, Any]:
    base = str(request.url_for("collection", collection_id=spec.id))
    return {
        "id": spec.id,
        "title": spec.title,
        "description": spec.description,
        "itemType": "feature",
        "level": None if spec.level is None else spec.level.value,
        "crs": [CRS84],
        "links": [
            {"rel": "self", "type": "application/json", "title": spec.title, "href": base},
            {"rel": "items", "type": GEOJSON_MEDIA_TYPE, "title": "Features", "href": f"{base}/items"},
        ],
    }


@router.get("", summary="The collections: one per level, and all levels together", response_model=Collections)
def list_collections(request: Request, _user: ReaderDep) -> dict[str, Any]:
    """Every collection with its links."""
    return {
        "collections": [_collection_json(spec, request) for spec in COLLECTIONS.values()],
        "links": [{"rel": "self", "type": "application/json", "href": str(request.url)}],
    }


@router.get("/{collection_id}", name="collection", summary="One collection", response_model=Collection)
def get_collection(
    collection_id: str,
    request: Request,
    versions: VersionsDep,
    summaries: LevelSummariesDep,
    user: ReaderDep,
    version: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ID,
            description="Boundary version id: the answer then gives the `extent` and `numberMatched` of its features",
        ),
    ] = None,
) -> dict[str, Any]:
    """A collection's description and links; with `version=`, the `extent` of that version's features (null when
    it has none) and how many there are (`numberMatched`), so that a map can decide how to load a version and frame
    one too large to load whole in one round trip (remembered per published or retired version)."""
    spec = collection_spec(collection_id)
    answer = _collection_json(spec, request)
    if version is None:
        return answer
    summary = summaries.summary(readable_version(versions, version, user), spec.level)
    box = summary.extent
    answer["extent"] = None if box is None else {"spatial": {"bbox": [list(box)], "crs": CRS84}}
    answer["numberMatched"] = summary.count
    return answer


def _level_filter(spec: CollectionSpec, level: str | None) -> Level | None:
    if level is None or not level.strip():
        return spec.level
    parsed = parse_level(level)
    if parsed is None:
        msg = f"level {level!r} is not one of community, grid, microgrid"
        raise BadParameter(msg)
    if spec.level is not None and parsed is not spec.level:
        msg = f"collection {spec.id!r} holds only {spec.level.value} features, not {parsed.value}"
        raise BadParameter(msg)
    return parsed


@router.get(
    "/{collection_id}/items",
    response_class=GeoJSONResponse,
    summary="Features of a collection (GeoJSON), filtered and paged",
    responses=geojson_answer(FeatureCollection, "A page of features as a GeoJSON FeatureCollection"),
)
def list_items(
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    outlines: OutlinesDep,
    user: ReaderDep,
    collection_id: str,
    bbox: Annotated[
        str | None, Query(description="minx,miny,maxx,maxy in WGS-84 degrees, whatever the output crs")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Features per page")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Features to skip")] = 0,
    after: Annotated[
        str | None,
        Query(
            max_length=32,
            description="Start after this code (keyset paging: the `next` link of a bbox query uses it, so that a "
            "later page reads no match before it)",
        ),
    ] = None,
    level: Annotated[str | None, Query(description="community, grid or microgrid")] = None,
    parent: Annotated[str | None, Query(description="Code of the parent feature")] = None,
    code: Annotated[str | None, Query(description="Exact code")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Exact code, or part of the name")] = None,
    version: VersionParam = None,
    crs: CrsParam = None,
    simplify: Annotated[
        float | None,
        Query(
            ge=0,
            le=MAX_TOLERANCE_M,
            description="Simplify the outlines for display within this many metres; each level's whole coverage "
            "is simplified together, so shared borders stay shared across pages. Never edit what this answers.",
        ),
    ] = None,
) -> Response:
    """A page of features with numberMatched, numberReturned and next/prev links (and `simplified_m` when the
    outlines were simplified)."""
    spec = collection_spec(collection_id)
    box, datum = parse_bbox(bbox), parse_crs(crs)
    filters: dict[str, Any] = {"bbox": box, "level": _level_filter(spec, level), "parent": parent or None}
    boundary_version = readable_version(versions, version, user)
    text = (q or "").strip()
    keyset = not text and (after is not None or box is not None)  # pages by code: one row more tells if more follow
    page = feature_service.feature_page(
        store=store,
        version_id=boundary_version.id,
        q=text,
        code=code or None,
        filters=filters,
        limit=limit + 1 if keyset else limit,
        offset=offset,
        after=after,
    )
    more = len(page.features) > limit if keyset else offset + len(page.features) < page.number_matched
    page = FeaturePage(page.features[:limit], page.number_matched)
    if simplify:
        page = outlines.page(boundary_version.id, page, simplify)
    returned = len(page.features)
    links = [
        {"rel": "self", "type": GEOJSON_MEDIA_TYPE, "href": str(request.url)},
        {
            "rel": "collection",
            "type": "application/json",
            "href": str(request.url_for("collection", collection_id=spec.id)),
        },
    ]
    if more:
        following = (
            request.url.remove_query_params("offset").include_query_params(after=page.features[-1].code)
            if keyset
            else request.url.include_query_params(offset=offset + returned)
        )
        links.append({"rel": "next", "type": GEOJSON_MEDIA_TYPE, "href": str(following)})
    if offset > 0 and after is None:
        links.append(
            {
                "rel": "prev",
                "type": GEOJSON_MEDIA_TYPE,
                "href": str(request.url.include_query_params(offset=max(0, offset - limit))),
            }
        )
    members = {
        "numberMatched": page.number_matched,
        "numberReturned": returned,
        "version": {
            "id": boundary_version.id,
            "set": boundary_version.set_name,
            "status": boundary_version.status.value,
        },
        "crs": datum.value,
        **({"simplified_m": simplify} if simplify else {}),
        "links": links,
    }
    headers = {"Content-Crs": f"<{CRS84}>"} if datum in (Datum.WGS84, Datum.CGCS2000) else {}
    return GeoJSONResponse(collection_json(page.features, datum, members), headers=headers)


def _etag(revision: int, datum: Datum) -> str:
    suffix = "" if datum in (Datum.WGS84, Datum.CGCS2000) else f"-{datum.value}"
    return f'"{revision}{suffix}"'


@router.get(
    "/{collection_id}/items/{feature_id}",
    response_class=GeoJSONResponse,
    summary="One feature, with an ETag of its revision",
    responses={
        **geojson_answer(Feature, "A GeoJSON Feature"),
        304: {"description": "Not modified (If-None-Match names the current revision)"},
    },
)
def get_item(
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    user: ReaderDep,
    collection_id: str,
    feature_id: Annotated[str, Path(max_length=100)],
    version: VersionParam = None,
    crs: CrsParam = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A feature of the collection; its ETag is its revision, so a client can revalidate cheaply."""
    spec = collection_spec(collection_id)
    datum = parse_crs(crs)
    boundary_version = readable_version(versions, version, user)
    feature = feature_service.version_feature(store=store, version_id=boundary_version.id, feature_id=feature_id)
    if spec.level is not None and feature.level is not spec.level:
        msg = f"feature {feature_id} is a {feature.level or 'feature without level'}, not in {spec.id!r}"
        raise NotFound(msg)
    etag = _etag(feature.revision, datum)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    body = features_json([feature], datum)[0]
    links = [
        {"rel": "self", "type": GEOJSON_MEDIA_TYPE, "href": str(request.url)},
        {
            "rel": "collection",
            "type": "application/json",
            "href": str(request.url_for("collection", collection_id=spec.id)),
        },
    ]
    body = body[:-1] + ',"links":' + json.dumps(links) + "}"
    return GeoJSONResponse(body, headers=headers)
