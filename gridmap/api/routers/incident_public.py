"""The public side of an incident that staff decide: the description the public may read.

A resident's words may name or place people, so the public (Open311) reads an empty description until a
planner or admin approves one, possibly edited; an empty text withdraws it (docs/incidents.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import StaffDep, StoreDep
from gridmap.api.incident_answers import Incident
from gridmap.api.incident_json import incident_body
from gridmap.incidents.open311 import MAX_DESCRIPTION_CHARS
from gridmap.services import public_incidents

router = APIRouter(route_class=AnswerRoute, tags=["incidents"])


class PublicDescription(BaseModel):
    """The description approved for the public, possibly edited from the report's; empty withdraws it."""

    text: str = Field(default="", max_length=MAX_DESCRIPTION_CHARS)


@router.post(
    "/incidents/{incident_id}/public-description",
    summary="Approve (or withdraw) the description the public may read (planner or above)",
    response_model=Incident,
    responses=errors(403, 404),
)
def approve_public_description(
    incident_id: Annotated[str, Path(max_length=36)], body: PublicDescription, store: StoreDep, staff: StaffDep
) -> dict[str, Any]:
    """The incident with its new public description; 403 below planner, 404 outside the caller's scope."""
    incident = public_incidents.approve_public_description(
        store=store, incident_id=incident_id, text=body.text, user=staff.user, scope=staff.scope
    )
    return incident_body(incident, history=True)
