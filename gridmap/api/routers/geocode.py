"""Geocoding one address: the registry entry it names, how sure the match is, and the grids holding it.

Public like `/locate`: the answer holds registry addresses and grid codes only, never household data.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from gridmap.api.answers import Geocoded
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import LocatorsDep, ReaderDep, VersionsDep, readable_version
from gridmap.api.problems import BadParameter
from gridmap.errors import NotFound
from gridmap.services.address_registry import RegistryMatchers
from gridmap.services.geocode import match_summary

router = APIRouter(route_class=AnswerRoute, tags=["geocode"])

MAX_QUERY_CHARS = 200


def address_matchers(request: Request) -> RegistryMatchers:
    """The app's matcher over the store's address registry, made on first use and rebuilt after an import."""
    state = request.app.state
    if getattr(state, "address_matchers", None) is None:
        state.address_matchers = RegistryMatchers(state.store)
    matchers: RegistryMatchers = state.address_matchers
    return matchers


@router.get(
    "/geocode",
    summary="The standard address and the community → grid → microgrid of one address text",
    response_model=Geocoded,
    responses=errors(404),
)
def geocode(
    request: Request,
    versions: VersionsDep,
    locators: LocatorsDep,
    user: ReaderDep,
    q: Annotated[str, Query(description="An address as written, e.g. 寿宁县胜利街12号 or 龙庭国际3-2-501")],
) -> dict[str, Any]:
    """Match `q` against the address registry; when it is found, locate its point in the published version.

    `match.address` is the address in the registry's words and `match.id` the registry entry's id (null at
    road level and for a building or compound without an entry of its own).
    """
    text = q.strip()
    if not text or len(text) > MAX_QUERY_CHARS:
        msg = f"q must be an address of 1 to {MAX_QUERY_CHARS} characters"
        raise BadParameter(msg)
    result = address_matchers(request).get().match(text)
    body: dict[str, Any] = {"query": text, "match": match_summary(result), "wgs84": None, "location": None}
    if result.matched and result.lon is not None and result.lat is not None:
        body["wgs84"] = {"lon": result.lon, "lat": result.lat}
        try:
            version = readable_version(versions, None, user)
        except NotFound:
            return body  # nothing published yet: the match still stands
        location = locators.locate(version, result.lon, result.lat)
        by_level = {f.level.value: {"code": f.code, "name": f.name} for f in location.chain if f.level is not None}
        nearest = None
        if location.nearest is not None:
            feature = location.nearest.feature
            nearest = {"code": feature.code, "name": feature.name, "distance_m": round(location.nearest.distance_m, 2)}
        body["location"] = {
            "version": version.id,
            "covered": location.covered,
            "community": by_level.get("community"),
            "grid": by_level.get("grid"),
            "microgrid": by_level.get("microgrid"),
            "nearest": nearest,
        }
    return body
