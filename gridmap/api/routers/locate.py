"""Point lookup: which community, grid and microgrid a point is in, or the nearest grid when it is outside.

Rule for points on borders: a feature holds every point it covers, its boundary included (ST_Covers), so a
point on a border is never lost. When two features of one level share the edge or vertex the point is on,
the one with the smallest code wins, so every point gets exactly one answer per level, the same on every
backend. Outside every feature, the answer is the nearest grid and its distance in metres (ties: smallest
code).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from gridmap.api.answers import Location
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import LocatorsDep, ReaderDep, VersionsDep, readable_version
from gridmap.api.params import MAX_ID, parse_crs
from gridmap.geo.crs import to_wgs84
from gridmap.store.version_store import Feature

router = APIRouter(route_class=AnswerRoute, tags=["locate"])

BORDER_RULE = (
    "boundary-inclusive (covers): a point on a border belongs to the features sharing it, "
    "and among features of one level the smallest code wins"
)


def _summary(feature: Feature) -> dict[str, Any]:
    return {"id": feature.feature_id, **feature.properties()}


@router.get(
    "/locate",
    summary="The community → grid → microgrid chain holding a point, or the nearest grid",
    response_class=JSONResponse,
    responses={200: {"model": Location, "description": "Where the point falls"}, **errors(404)},
)
def locate(
    versions: VersionsDep,
    locators: LocatorsDep,
    user: ReaderDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude in the datum `crs`")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude in the datum `crs`")],
    crs: Annotated[
        str | None, Query(description="Datum of lon/lat: wgs84 (default), gcj02 (Amap, WeChat), bd09 (Baidu), cgcs2000")
    ] = None,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Boundary version id; default: published")
    ] = None,
) -> JSONResponse:
    """Where the point falls; see the module docstring for the rule on borders."""
    datum = parse_crs(crs)
    wgs_lon, wgs_lat = (float(v) for v in to_wgs84(lon, lat, datum))
    boundary_version = readable_version(versions, version, user)
    location = locators.locate(boundary_version, wgs_lon, wgs_lat)
    by_level = {f.level.value: _summary(f) for f in location.chain if f.level is not None}
    nearest = None
    if location.nearest is not None:
        nearest = {
            "feature": _summary(location.nearest.feature),
            "distance_m": round(location.nearest.distance_m, 2),
        }
    # A JSONResponse as is: this is the hottest path, and the body needs no model to validate it.
    return JSONResponse(
        {
            "query": {"lon": lon, "lat": lat, "crs": datum.value},
            "wgs84": {"lon": round(wgs_lon, 9), "lat": round(wgs_lat, 9)},
            "version": boundary_version.id,
            "covered": location.covered,
            "community": by_level.get("community"),
            "grid": by_level.get("grid"),
            "microgrid": by_level.get("microgrid"),
            "chain": [_summary(f) for f in location.chain],
            "nearest": nearest,
            "rule": BORDER_RULE,
        }
    )
