"""Household counts per community, grid or microgrid: public, because they hold no personal data.

The household list of a grid holds names and phones: only planners, admins and the grid's own worker get it.
Nothing here logs households, and SQLAlchemy keeps its own loggers (which would show rows) at WARNING unless
someone configures them otherwise: do not turn on `echo` where the register is served.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from gridmap.api.answers import GridHouseholdCounts, GridHouseholds, LevelHouseholdCounts
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import ReaderDep, SignedInDep, StoreDep, VersionsDep, readable_version
from gridmap.api.params import MAX_ID
from gridmap.geo.hierarchy import Level
from gridmap.services import households as household_service
from gridmap.store.household_store import PlacedHousehold

router = APIRouter(route_class=AnswerRoute, tags=["households"])

VersionQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Boundary version id; default: published")]


@router.get(
    "/grids/{code}/household-counts",
    summary="Households, people and care flags in one grid",
    response_model=GridHouseholdCounts,
    responses=errors(404),
)
def household_counts(
    store: StoreDep,
    versions: VersionsDep,
    user: ReaderDep,
    code: Annotated[str, Path(max_length=32, description="A community, grid or microgrid code")],
    version: VersionQuery = None,
) -> dict[str, Any]:
    """Counts of the households placed in the feature `code` (any level) of the version."""
    boundary_version = readable_version(versions, version, user)
    return asdict(household_service.household_counts(store, boundary_version, code))


@router.get(
    "/grids/{code}/households",
    summary="The households of one grid, with names and phones (restricted)",
    response_model=GridHouseholds,
    responses=errors(403, 404),
)
def households_in_grid(
    store: StoreDep,
    versions: VersionsDep,
    user: SignedInDep,
    code: Annotated[str, Path(max_length=32, description="A community, grid or microgrid code")],
    version: VersionQuery = None,
) -> dict[str, Any]:
    """The households placed in `code`: for planners and admins, and for the worker named by the grid."""
    boundary_version = readable_version(versions, version, user)
    found = household_service.households_in_grid(store, boundary_version, code, user=user)
    return {
        "code": code,
        "version_id": boundary_version.id,
        "count": len(found),
        "households": [_household_json(placed) for placed in found],
    }


def _household_json(placed: PlacedHousehold) -> dict[str, Any]:
    return {
        **asdict(placed.household),
        "community_code": placed.community_code,
        "grid_code": placed.grid_code,
        "microgrid_code": placed.microgrid_code,
    }


@router.get(
    "/household-counts",
    summary="Households, people and care flags in every area of one level",
    response_model=LevelHouseholdCounts,
    responses=errors(404),
)
def household_counts_by_level(
    store: StoreDep,
    versions: VersionsDep,
    user: ReaderDep,
    level: Annotated[Level, Query(description="Which areas to count: community, grid or microgrid")] = Level.GRID,
    version: VersionQuery = None,
) -> dict[str, Any]:
    """Counts for every feature of `level` in the version, in one answer (for the viewer's choropleth)."""
    boundary_version = readable_version(versions, version, user)
    counts = [asdict(c) for c in household_service.household_counts_of_level(store, boundary_version, level)]
    for entry in counts:
        del entry["version_id"]
    return {"version_id": boundary_version.id, "level": level.value, "counts": counts}
