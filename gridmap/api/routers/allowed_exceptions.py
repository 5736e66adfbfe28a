"""A boundary set's allowed exceptions: the gaps and overlaps it keeps on purpose (a river, the outer perimeter,
an overlay grid). Listing follows the rule of other boundary-set reads; adding and removing need a planner.

The validation and publish routes honour them: their problems are listed as allowed (severity info, never failing).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from gridmap.api.answers import Feature, FeatureCollection
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import PlannerDep, ReaderDep, StoreDep
from gridmap.api.params import MAX_ID
from gridmap.api.routers.boundary_sets import SetName
from gridmap.geo.allowed_exceptions import CODE_MAX_LENGTH, REASON_MAX_LENGTH, ExceptionKind
from gridmap.services import allowed_exceptions as allowed_service

router = APIRouter(route_class=AnswerRoute, prefix="/boundary-sets", tags=["allowed exceptions"])

ExceptionId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The exception's id, as GET .../allowed-exceptions lists it")
]


class AllowedExceptionRequest(BaseModel):
    """A gap or overlap to allow: where (a GeoJSON Polygon or MultiPolygon in WGS-84), why, and which features."""

    kind: ExceptionKind = Field(description="gap (no feature covers the area) or overlap (features share it)")
    geometry: dict[str, Any] = Field(description="The area: a GeoJSON Polygon or MultiPolygon, WGS-84 lon/lat")
    reason: str = Field(min_length=1, max_length=REASON_MAX_LENGTH, description="Why it is allowed")
    codes: list[Annotated[str, Field(min_length=1, max_length=CODE_MAX_LENGTH)]] = Field(
        default_factory=list,
        max_length=100,
        description="Overlaps only: the features allowed to overlap (an overlay grid's code); empty: any feature",
    )
    outside: bool = Field(
        default=False, description="Allow everything outside the area instead (the county's outer perimeter)"
    )


class AllowedExceptions(FeatureCollection):
    """The set's allowed exceptions as GeoJSON features (properties kind, reason, codes, outside, allowed_at, and
    allowed_by for signed-in callers)."""

    boundary_set: str


@router.get(
    "/{name}/allowed-exceptions",
    summary="The gaps and overlaps a set allows on purpose",
    response_model=AllowedExceptions,
    responses=errors(404),
)
def list_allowed_exceptions(name: SetName, store: StoreDep, user: ReaderDep) -> dict[str, Any]:
    """Every allowed exception of the set, oldest first; who allowed each is shown to signed-in callers only."""
    exceptions = allowed_service.list_allowed(store=store, set_name=name)
    features = [e.to_geojson(with_author=user is not None) for e in exceptions]
    return {"type": "FeatureCollection", "boundary_set": name, "features": features}


@router.post(
    "/{name}/allowed-exceptions",
    status_code=201,
    summary="Allow a gap or overlap in a set (planner)",
    response_model=Feature,
    responses=errors(404, 422),
)
def add_allowed_exception(
    name: SetName, body: AllowedExceptionRequest, store: StoreDep, user: PlannerDep
) -> dict[str, Any]:
    """Register the exception; 422 when the area is not a valid polygon or the codes are given for a gap."""
    exception = allowed_service.add_allowed(
        store=store,
        set_name=name,
        kind=body.kind.value,
        geometry=body.geometry,
        reason=body.reason,
        codes=body.codes,
        outside=body.outside,
        who=user.name,
    )
    return exception.to_geojson(with_author=True)


@router.delete(
    "/{name}/allowed-exceptions/{exception_id}",
    status_code=204,
    response_class=Response,
    summary="Remove an allowed exception (planner)",
    responses=errors(404),
)
def remove_allowed_exception(name: SetName, exception_id: ExceptionId, store: StoreDep, _user: PlannerDep) -> Response:
    """Delete the exception: its gap or overlap fails the check again."""
    allowed_service.remove_allowed(store=store, set_name=name, exception_id=exception_id)
    return Response(status_code=204)
