"""A resident's rights over what their reports hold: export and erasure, asked for by a dispatcher.

A resident has no account, so they ask the community office; a planner or admin (within their scope) finds
their incidents by the exact phone or name they gave. Both are POSTs so that the phone or name travels in
the body, not in a URL that access logs and proxies keep. Erasure deletes the contact details and photos;
the incidents stay, naming the reporter "resident".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from gridmap.api.answers import FeatureCollection
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import PlannerDep, StoreDep, VersionsDep
from gridmap.api.privacy_answers import PersonalDataRemoval
from gridmap.services import incident_access, privacy

router = APIRouter(route_class=AnswerRoute, prefix="/privacy", tags=["privacy"])


class ResidentQuery(BaseModel):
    """Who: the exact phone or name a resident gave when reporting (either matches)."""

    phone: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _someone(self) -> ResidentQuery:
        if not ((self.phone and self.phone.strip()) or (self.name and self.name.strip())):
            msg = "give the resident's phone or name"
            raise ValueError(msg)
        return self


class ErasureRequest(ResidentQuery):
    """Whom to erase; `dry_run` only counts what would be deleted."""

    dry_run: bool = False


@router.post(
    "/residents/export",
    summary="Everything the incidents hold on a resident, as GeoJSON (planners and admins)",
    response_model=FeatureCollection,
    responses=errors(403),
)
def export_resident(query: ResidentQuery, store: StoreDep, versions: VersionsDep, user: PlannerDep) -> dict[str, Any]:
    """The incidents the resident reported, each with its trail and the contact they gave."""
    scope = incident_access.staff_scope(versions, user)
    return privacy.export_resident(store, name=query.name, phone=query.phone, scope=scope)


@router.post(
    "/residents/erase",
    summary="Delete a resident's contact details and photos from their incidents (planners and admins)",
    response_model=PersonalDataRemoval,
    responses=errors(403),
)
def erase_resident(request: ErasureRequest, store: StoreDep, versions: VersionsDep, user: PlannerDep) -> dict[str, Any]:
    """The incidents touched and how many contacts and photos were deleted; the incidents themselves stay."""
    scope = incident_access.staff_scope(versions, user)
    removal = privacy.erase_resident(
        store,
        now=datetime.now(UTC),
        name=request.name,
        phone=request.phone,
        scope=scope,
        dry_run=request.dry_run,
    )
    return removal.to_json()
