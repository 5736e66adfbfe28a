"""Life circles: coverage per area and proposed new facility sites, on the store's boundaries and households.

Boundaries are those of the published version (or `version=`, drafts with a token, as the collections read
them); households are the store's register when it holds any with a point, else the households file;
facilities and streets are files (Settings.lifecircle_facilities, lifecircle_network). Each answer names its
`sources`. Answers hold counts and shares only, never a household.

An analysis costs about a second when it is not kept: the walking speed is rounded to 0.1 m/s so that one
is kept per rounded speed (services.lifecircle_towns), and callers without a token take a token per request
from their address's bucket of costly requests (settings.expensive_burst, expensive_per_hour; 429 with
Retry-After when it is empty).
"""

from __future__ import annotations

from typing import Annotated, Any

import shapely
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from gridmap.api.answers import FeatureCollection, LifecircleCoverage, SiteProposal
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import CostlyReaderDep, ReaderDep, SettingsDep, StoreDep, VersionsDep, readable_version
from gridmap.api.params import MAX_ID
from gridmap.errors import NotFound
from gridmap.geo.lifecircle_levels import FACILITY_TYPES, LEVEL_MINUTES
from gridmap.geo.network import DEFAULT_WALKING_SPEED
from gridmap.services import lifecircle as service
from gridmap.services.lifecircle_towns import MAX_SPEED, MIN_SPEED, SPEED_STEP, TownCache, TownFiles
from gridmap.services.version_cache import VersionCache
from gridmap.settings import Settings
from gridmap.store.account_store import UserInfo
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import VersionInfo

router = APIRouter(route_class=AnswerRoute, prefix="/lifecircle", tags=["lifecircle"], responses=errors(404, 422))

SPEED_DESCRIPTION = f"Walking speed in m/s, {MIN_SPEED} to {MAX_SPEED}, rounded to {SPEED_STEP} m/s"
SpeedQuery = Annotated[float, Query(ge=MIN_SPEED, le=MAX_SPEED, description=SPEED_DESCRIPTION)]
VersionQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Boundary version id (see /boundary-sets/{name}/versions); default: published"),
]


class SitesRequest(BaseModel):
    """Which facility type to site, how many, and where it may go."""

    type: str = Field(description=f"Facility type: {', '.join(FACILITY_TYPES)}")
    k: int = Field(default=3, ge=1, le=20, description="How many new sites")
    speed: float = Field(default=DEFAULT_WALKING_SPEED, ge=MIN_SPEED, le=MAX_SPEED, description=SPEED_DESCRIPTION)
    candidates: list[tuple[float, float]] | None = Field(
        default=None, max_length=5000, description="Candidate sites as [lon, lat] (WGS-84); default: street nodes"
    )
    people: bool = Field(default=False, description="Maximise people covered instead of households")


def town_files(settings: Settings) -> TownFiles:
    """The streets and facilities files of the settings, and the households file used when the register is empty."""
    return TownFiles.of_sample(
        settings.sample_dir, network=settings.lifecircle_network, facilities=settings.lifecircle_facilities
    )


def _towns(request: Request, settings: Settings, store: BoundaryStore) -> TownCache:
    """The process's analysed towns, made on first use."""
    state = request.app.state
    if getattr(state, "lifecircle_towns", None) is None:
        state.lifecircle_towns = TownCache(store, town_files(settings))
    towns: TownCache = state.lifecircle_towns
    return towns


def _boundary_version(versions: VersionCache, version_id: int | None, user: UserInfo | None) -> VersionInfo | None:
    """The version asked for (drafts need a token), else the published one; None when nothing is published."""
    if version_id is not None:
        return readable_version(versions, version_id, user)
    try:
        return versions.default()
    except NotFound:
        return None  # a store without a published version: town totals only


def _version_json(version: VersionInfo | None) -> dict[str, Any] | None:
    """The boundary version an answer used, as it names it."""
    if version is None:
        return None
    return {"id": version.id, "set": version.set_name, "status": version.status.value}


@router.get(
    "/coverage",
    summary="Share of households and people within each facility type's life circle",
    response_model=LifecircleCoverage,
    responses=errors(429),
)
def coverage(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    versions: VersionsDep,
    user: CostlyReaderDep,
    level: Annotated[
        str | None, Query(pattern="^(microgrid|grid|community)$", description="Areas to break down by; default: town")
    ] = None,
    speed: SpeedQuery = DEFAULT_WALKING_SPEED,
    version: VersionQuery = None,
) -> dict[str, Any]:
    """Coverage per type and completeness per GB 50180 level, for the town or each area of `level`."""
    boundary_version = _boundary_version(versions, version, user)
    analysis = _towns(request, settings, store).get(boundary_version, speed)
    table = analysis.town.coverage(level)
    areas = [
        {
            "code": str(code) or None,
            "name": str(row["name"]),
            "households": int(row["households"]),
            "people": int(row["people"]),
            "households_covered": {key: round(float(row[key]), 4) for key in FACILITY_TYPES},
            "people_covered": {key: round(float(row[f"{key}_people"]), 4) for key in FACILITY_TYPES},
            "completeness": {str(m): round(float(row[f"complete_{m}"]), 4) for m in LEVEL_MINUTES},
        }
        for code, row in table.iterrows()
    ]
    types = {
        key: {"name_zh": t.name_zh, "name_en": t.name_en, "minutes": t.minutes, "level": t.level}
        for key, t in FACILITY_TYPES.items()
    }
    return {
        "speed": analysis.town.speed,
        "level": level or "town",
        "version": _version_json(boundary_version),
        "sources": analysis.sources,
        "unlocated_households": analysis.unlocated,
        "types": types,
        "areas": areas,
    }


@router.get("/facilities", summary="The life-circle facilities as GeoJSON points", response_model=FeatureCollection)
def facilities(settings: SettingsDep, user: ReaderDep) -> dict[str, Any]:
    """Every facility with its name, type, the type's Chinese name and life-circle minutes (WGS-84)."""
    files = town_files(settings)
    frame = service.read_facilities(files.facilities)
    features = [
        {
            "type": "Feature",
            "id": index,
            "properties": {
                "name": str(name),
                "type": str(kind),
                "name_zh": FACILITY_TYPES[kind].name_zh,
                "minutes": FACILITY_TYPES[kind].minutes,
            },
            "geometry": {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]},
        }
        for index, (name, kind, point) in enumerate(zip(frame["name"], frame["type"], frame.geometry, strict=True))
    ]
    return {"type": "FeatureCollection", "features": features, "source": files.describe(files.facilities)}


@router.post(
    "/sites",
    summary="New sites for a facility type that newly cover the most households",
    response_model=SiteProposal,
    responses=errors(429),
)
def sites(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    versions: VersionsDep,
    user: CostlyReaderDep,
    body: SitesRequest,
    version: VersionQuery = None,
) -> dict[str, Any]:
    """k proposed sites (greedy with a bound, exact when small) and the coverage they add."""
    boundary_version = _boundary_version(versions, version, user)
    analysis = _towns(request, settings, store).get(boundary_version, body.speed)
    town = analysis.town
    candidates = None
    if body.candidates is not None:
        candidates = shapely.points([list(c) for c in body.candidates])
    proposal = town.propose(body.type, body.k, candidates=candidates, weigh_people=body.people)
    return {
        "type": proposal.type,
        "minutes": proposal.minutes,
        "speed": town.speed,
        "unit": "people" if body.people else "households",
        "sites": [
            {"rank": int(rank), "lon": round(point.x, 7), "lat": round(point.y, 7), "gain": float(gain)}
            for rank, gain, point in zip(
                proposal.sites["rank"], proposal.sites["gain"], proposal.sites.geometry, strict=True
            )
        ],
        "gain": proposal.gain,
        "covered_before": proposal.covered_before,
        "total": proposal.total,
        "share_before": round(proposal.share_before, 4),
        "share_after": round(proposal.share_after, 4),
        "method": proposal.method,
        "optimal": proposal.optimal,
        "version": _version_json(boundary_version),
        "sources": analysis.sources,
    }
