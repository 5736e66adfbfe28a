"""Geocoding one address: the registry entry it names, how sure the match is, and the grids holding it.

Public like `/locate`: the answer holds registry addresses and grid codes only, never household data. The
review queue (planners): a batch of addresses with their candidates, and a person's pick stored as an alias.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gridmap.address.candidates import AliasProposal
from gridmap.api.answers import Geocoded, ReviewBatch, StoredAlias
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import (
    LocatorsDep,
    PlannerDep,
    ReaderDep,
    SettingsDep,
    StoreDep,
    VersionsDep,
    readable_version,
)
from gridmap.api.problems import BadParameter
from gridmap.errors import NotFound
from gridmap.services.address_registry import RegistryMatchers
from gridmap.services.geocode import match_summary
from gridmap.services.geocode_review import MAX_ALIAS_CHARS, Reviewed, candidate_summary, reviewed, store_alias

router = APIRouter(route_class=AnswerRoute, tags=["geocode"])

MAX_QUERY_CHARS = 200
MAX_CANDIDATES = 5
MAX_REVIEW_BATCH = 2_000


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
    settings: SettingsDep,
    q: Annotated[str, Query(description="An address as written, e.g. 寿宁县胜利街12号 or 龙庭国际3-2-501")],
    candidates: Annotated[
        int,
        Query(ge=0, le=MAX_CANDIDATES, description="Give up to this many candidates when the answer needs review"),
    ] = 0,
) -> dict[str, Any]:
    """Match `q` against the address registry; when it is found, locate its point in the published version.

    `match.address` is the address in the registry's words and `match.id` the registry entry's id (null at
    road level and for a building or compound without an entry of its own). `status` is `needs_review` when
    the answer is less sure than GRIDMAP_REVIEW_BELOW; with `candidates=3` the answer lists the three places
    the address most likely means, each with why and the alias that would make it match next time.
    """
    text = _address(q, "q")
    answer = reviewed(address_matchers(request).get(), text, review_below=settings.review_below, limit=candidates)
    result = answer.result
    body: dict[str, Any] = {"query": text, "match": match_summary(result), "wgs84": None, "location": None}
    body["status"] = answer.status.value
    if candidates:
        body["candidates"] = [candidate_summary(c) for c in answer.candidates]
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


def _address(text: str, name: str) -> str:
    """The address text stripped, or 400 when it is empty or too long."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_QUERY_CHARS:
        msg = f"{name} must be an address of 1 to {MAX_QUERY_CHARS} characters"
        raise BadParameter(msg)
    return stripped


class ReviewRequest(BaseModel):
    """Addresses to geocode for the review queue (the address column of a clerk's table)."""

    model_config = ConfigDict(extra="forbid")
    addresses: list[str] = Field(min_length=1, max_length=MAX_REVIEW_BATCH)


class AliasRequest(BaseModel):
    """A person's pick in the review queue: the written name to read as a registry road's or compound's."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["road", "compound"]
    name: str = Field(min_length=1, max_length=MAX_ALIAS_CHARS, description="The registry's name (龙庭国际)")
    alias: str = Field(min_length=1, max_length=MAX_ALIAS_CHARS, description="The name as written (龙亭国际)")


def _reviewed_json(answer: Reviewed) -> dict[str, Any]:
    result = answer.result
    point = None if result.lon is None or result.lat is None else {"lon": result.lon, "lat": result.lat}
    return {
        "query": result.query,
        "match": match_summary(result),
        "status": answer.status.value,
        "wgs84": point,
        "candidates": [candidate_summary(c) for c in answer.candidates],
    }


@router.post(
    "/geocode/review",
    summary="Geocode a batch of addresses with the candidates of those needing review (planners)",
    response_model=ReviewBatch,
    responses=errors(404),
)
def review_batch(request: Request, body: ReviewRequest, user: PlannerDep, settings: SettingsDep) -> dict[str, Any]:
    """Each address's answer and status; the unsure ones (below GRIDMAP_REVIEW_BELOW) with up to 3 candidates."""
    texts = [_address(text, "every address") for text in body.addresses]
    matcher = address_matchers(request).get()
    results = [_reviewed_json(reviewed(matcher, text, review_below=settings.review_below)) for text in texts]
    return {"review_below": settings.review_below, "results": results}


@router.post(
    "/geocode/aliases",
    status_code=201,
    summary="Store a picked candidate's alias: the written road or compound read as the registry's (planners)",
    response_model=StoredAlias,
    responses=errors(404, 422),
)
def add_alias(request: Request, body: AliasRequest, store: StoreDep, user: PlannerDep) -> JSONResponse:
    """Store the alias, so the next geocode of the same words matches the registry name; 422 when the name is
    not the registry's or the alias is itself a registry name."""
    proposal = AliasProposal(body.kind, body.name.strip(), body.alias.strip())
    stored = store_alias(store, address_matchers(request).get(), proposal)
    answer = {"kind": proposal.kind, "name": proposal.name, "alias": proposal.alias, "stored": stored}
    return JSONResponse(answer, status_code=201 if stored else 200)
