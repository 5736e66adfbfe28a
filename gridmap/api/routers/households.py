"""Household counts per community, grid or microgrid: public, because they hold no personal data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from gridmap.api.dependencies import ReaderDep, StoreDep, VersionsDep, readable_version
from gridmap.api.params import MAX_ID
from gridmap.services import households as household_service

router = APIRouter(tags=["households"])


@router.get("/grids/{code}/household-counts", summary="Households, people and care flags in one grid")
def household_counts(
    store: StoreDep,
    versions: VersionsDep,
    user: ReaderDep,
    code: Annotated[str, Path(max_length=32, description="A community, grid or microgrid code")],
    version: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Boundary version id; default: published")
    ] = None,
) -> dict[str, Any]:
    """Counts of the households placed in the feature `code` (any level) of the version."""
    boundary_version = readable_version(versions, version, user)
    return asdict(household_service.household_counts(store, boundary_version, code))
