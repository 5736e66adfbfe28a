"""Incidents after their report (`incident_reports.py`): list, read, statistics, photos, the workflow's steps,
the reporter's rating and pin moves, and the clock: due times, holds, extensions and sending back.

Reading incidents and changing them needs a staff token (reports carry residents' words and whereabouts;
viewers read what the public reads): a worker reaches their grids' incidents, a scoped dispatcher their
community's, and the workflow decides which role may make which step (docs/incidents.md). Statistics are
aggregates and follow `public_read`. A resident has no account: their report's secret `reporter_key` (sent
back in header `X-Reporter-Key`) lets them rate it, move its pin and read the contact they gave.

Staff answers carry each incident's short number, stage, due time and, computed at the moment of the answer,
`overdue` and `due_soon` (within GRIDMAP_DUE_SOON_HOURS working hours); the list filters and sorts by them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field

from gridmap.api.answers import binary_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import (
    ActingDep,
    CurrentUserDep,
    IncidentRulesDep,
    LocatorsDep,
    ReaderDep,
    StaffDep,
    StoreDep,
    VersionsDep,
)
from gridmap.api.incident_answers import IMAGE_MEDIA_TYPES, Incident, IncidentPage, IncidentStatistics
from gridmap.api.incident_json import IncidentsResponse, incident_body
from gridmap.api.incident_staff import staff_body
from gridmap.api.params import MAX_ID, aware_time, parse_bbox, parse_period
from gridmap.api.privacy_answers import ReporterContact
from gridmap.api.problems import BadParameter
from gridmap.errors import InvalidInput, Unauthorized
from gridmap.incidents.intake import REPORTER_KEY_MAX, point_in_wgs84
from gridmap.incidents.model import FieldTask
from gridmap.incidents.numbers import looks_like_number
from gridmap.incidents.stats import AreaStats, GroupBy
from gridmap.incidents.workflow import Status, parse_status
from gridmap.services import incident_access, incident_clock, privacy
from gridmap.services import incidents as incident_service
from gridmap.store.incident_store import IncidentFilter, IncidentOrder

router = APIRouter(route_class=AnswerRoute, tags=["incidents"])

ReporterKeyHeader = Annotated[
    str | None,
    Header(
        alias="X-Reporter-Key",
        max_length=REPORTER_KEY_MAX,
        description="The reporter_key sent with the report (the reporter has no account)",
    ),
]


class IncidentRating(BaseModel):
    """The reporter's rating of a closed incident, 1 (poor) to 5 (very good), and a comment."""

    rating: int = Field(ge=1, le=5)
    note: str = Field(default="", max_length=2000)


class PinMove(BaseModel):
    """A new point for the incident, in `datum`."""

    lon: float
    lat: float
    datum: str = Field(default="wgs84", description="wgs84, gcj02 (WeChat, Amap) or bd09 (Baidu)")


class IncidentStep(BaseModel):
    """A workflow step: the status to move to, a note (required for `rejected`) and the original of a duplicate."""

    to: str
    note: str = ""
    duplicate_of: str | None = None


class Reason(BaseModel):
    """Why: required to send an incident back or to ask for a hold; optional on a decision, a release or an
    unlinking."""

    note: str = Field(default="", max_length=2000)


class ExtensionRequest(Reason):
    """More working hours for the current stage, and why."""

    hours: float = Field(gt=0, le=2000)


class TimeDecision(Reason):
    """A dispatcher's answer to the pending hold or extension request."""

    approve: bool


@router.get(
    "/incidents", summary="Incidents matching filters, newest report or soonest due first", response_model=IncidentPage
)
def list_incidents(
    store: StoreDep,
    staff: StaffDep,
    rules: IncidentRulesDep,
    status: str | None = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    grid: Annotated[str | None, Query(max_length=32)] = None,
    community: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[datetime | None, Query(description="Reported at or after (ISO 8601 with offset)")] = None,
    before: Annotated[datetime | None, Query(description="Reported before (ISO 8601 with offset)")] = None,
    bbox: Annotated[str | None, Query(description="min lon, min lat, max lon, max lat (WGS-84)")] = None,
    number: Annotated[str | None, Query(max_length=32, description="The short number, e.g. SN-20261127-0042")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="A number, or words of the text or address (reported in the last 90 days unless since or "
            "before is given)",
        ),
    ] = None,
    overdue: Annotated[bool | None, Query(description="true: only those past their due time (not held)")] = None,
    due_within_hours: Annotated[
        float | None, Query(ge=0, le=2000, description="Only those due within this many working hours (overdue too)")
    ] = None,
    field_task: Annotated[
        FieldTask | None, Query(description="Only those waiting for the worker to verify (核实) or check (核查)")
    ] = None,
    sort: Annotated[IncidentOrder, Query(description="newest (report) or due (soonest first)")] = IncidentOrder.NEWEST,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> IncidentsResponse:
    """A page of the incidents the caller reaches (a worker: their grids') and the number matched in all.

    Answered as built (each incident by `incident_body`, as one read alone): validating up to 1,000 incidents
    against `IncidentPage` again would cost about as much as reading them."""
    now = datetime.now(UTC)
    if overdue is False:
        msg = "overdue=false is not a filter; leave it out for every incident"
        raise BadParameter(msg)
    text = None if q is None else q.strip()
    where = IncidentFilter(
        status=None if status is None else _status(status),
        category=category,
        grid_code=grid,
        community_code=community,
        reported_since=aware_time(since, "since"),
        reported_before=aware_time(before, "before"),
        bbox=parse_bbox(bbox),
        scope=staff.scope,
        # A q written like a number finds that number exactly (fast, by its unique index).
        number=text if number is None and text and looks_like_number(text) else number,
        text=None if text is None or looks_like_number(text) else text,
        overdue_at=now if overdue else None,
        due_by=None if due_within_hours is None else incident_clock.due_window(rules, now, due_within_hours),
        field_task=field_task,
    )
    where = incident_service.word_search_window(where, now)
    page = incident_service.list_incidents(store=store, where=where, limit=limit, offset=offset, order=sort)
    moment = incident_clock.flags_at(rules, now)
    return IncidentsResponse(
        {
            "incidents": [
                incident_body(incident, history=False, due=incident_clock.flags(incident, moment))
                for incident in page.incidents
            ],
            "matched": page.matched,
            "matched_capped": page.capped,
            "limit": limit,
            "offset": offset,
        }
    )


@router.get(
    "/incidents/stats",
    summary="Incident statistics per grid or community over a month or a period",
    response_model=IncidentStatistics,
)
def incident_statistics(
    store: StoreDep,
    user: ReaderDep,
    by: Annotated[GroupBy, Query(description="grid or community")] = GroupBy.GRID,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM, in China time")] = None,
    since: Annotated[datetime | None, Query(description="Reported at or after (ISO 8601 with offset)")] = None,
    before: Annotated[datetime | None, Query(description="Reported before (ISO 8601 with offset)")] = None,
    community: Annotated[str | None, Query(max_length=32, description="Only this community's incidents")] = None,
) -> dict[str, Any]:
    """Counts, median hours to first response and resolution, and the share handled within 24 h, per area."""
    period = parse_period(month, since, before)
    if period is None:
        msg = "give the period: month=YYYY-MM, or both since and before (ISO 8601 with offset)"
        raise BadParameter(msg)
    start, end = period
    areas = incident_service.area_statistics(store, by=by, start=start, end=end, community=community)
    return {
        "by": by.value,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "areas": [_area(stats) for stats in areas],
    }


@router.get(
    "/incidents/{incident_id}",
    summary="One incident with its history",
    response_model=Incident,
    responses=errors(403, 404),
)
def get_incident(
    incident_id: Annotated[str, Path(max_length=36)], store: StoreDep, staff: StaffDep, rules: IncidentRulesDep
) -> dict[str, Any]:
    """The incident and its audit trail; 404 also for one outside the caller's grids or community."""
    incident = incident_access.reachable_incident(store, incident_id, staff.scope)
    return staff_body(incident, store=store, staff=staff, rules=rules)


@router.post(
    "/incidents/{incident_id}/transitions",
    summary="Move an incident to its next status",
    response_model=Incident,
    responses=errors(403, 404, 409, 422),
)
def move_incident(
    incident_id: Annotated[str, Path(max_length=36)],
    step: IncidentStep,
    store: StoreDep,
    staff: StaffDep,
    rules: IncidentRulesDep,
) -> dict[str, Any]:
    """The incident after the step; 409 for a step the workflow does not allow, 403 for a role that may not."""
    incident = incident_service.advance_incident(
        store=store,
        incident_id=incident_id,
        to=step.to,
        actor=staff.user.name,
        role=staff.user.role.value,
        at=datetime.now(UTC),
        note=step.note,
        duplicate_of=step.duplicate_of,
        scope=staff.scope,
        rules=rules,
    )
    return staff_body(incident, store=store, staff=staff, rules=rules)


@router.post(
    "/incidents/{incident_id}/send-back",
    summary="Send an incident back to its previous stage with a reason (回退)",
    response_model=Incident,
    responses=errors(403, 404, 409, 422),
)
def send_incident_back(
    incident_id: Annotated[str, Path(max_length=36)],
    reason: Reason,
    store: StoreDep,
    staff: StaffDep,
    acting: ActingDep,
    rules: IncidentRulesDep,
) -> dict[str, Any]:
    """The incident in its previous stage, that stage's clock restarted; 422 without a note, 409 from a final status."""
    incident = incident_clock.send_back(store=store, rules=rules, incident_id=incident_id, note=reason.note, **acting)
    return staff_body(incident, store=store, staff=staff, rules=rules)


@router.post(
    "/incidents/{incident_id}/clock/hold",
    summary="Ask a dispatcher to hold the incident's clock (挂账), with a reason",
    response_model=Incident,
    responses=errors(403, 404, 409, 422),
)
def request_hold(
    incident_id: Annotated[str, Path(max_length=36)],
    reason: Reason,
    store: StoreDep,
    staff: StaffDep,
    acting: ActingDep,
    rules: IncidentRulesDep,
) -> dict[str, Any]:
    """The incident with the request pending; 409 when one is pending already or the clock is held."""
    incident = incident_clock.request_time(store=store, incident_id=incident_id, hold=True, note=reason.note, **acting)
    return staff_body(incident, store=store, staff=staff, rules=rules)


@router.post(
    "/incidents/{incident_id}/clock/extension",
    summary="Ask a dispatcher for more working hours (延期), with a reason",
    response_model=Incident,
    responses=errors(403, 404, 409, 422),
)
def request_extension(
    incident_id: Annotated[str, Path(max_length=36)],
    request: ExtensionRequest,
    store: StoreDep,
    staff: StaffDep,
    acting: ActingDep,
    rules: IncidentRulesDep,
) -> dict[str, Any]:
    """The incident with the request pending; 409 when one is pending already."""
    incident = incident_clock.request_time(
        store=store, incident_id=incident_id, hold=False, hours=request.hours, note=request.note, **acting
    )
    return staff_body(incident, store=store, staff=staff, rules=rules)


@router.post(
    "/incidents/{incident_id}/clock/decision",
    summary="Approve or refuse the pending hold or extension request (planner or admin)",
    response_model=Incident,
    responses=errors(403, 404, 409, 422),
)
def decide_time_request(
    incident_id: Annotated[str, Path(max_length=36)],
    decision: TimeDecision,
    store: StoreDep,
    staff: StaffDep,
    acting: ActingDep,
    rules: IncidentRulesDep,
) -> dict[str, Any]:
    """The incident after the decision: an approved extension moves due_at, an approved hold stops the clock."""
    incident = incident_clock.decide_time_request(
        store=store, rules=rules, incident_id=incident_id, approve=decision.approve, note=decision.note, **acting
    )
    return staff_body(incident, store=store, staff=staff, rules=rules)


@router.post(
    "/incidents/{incident_id}/clock/release",
    summary="Release a held clock; the due time moves by the working time held (planner or admin)",
    response_model=Incident,
    responses=errors(403, 404, 409),
)
def release_hold(
    incident_id: Annotated[str, Path(max_length=36)],
    reason: Reason,
    store: StoreDep,
    staff: StaffDep,
    acting: ActingDep,
    rules: IncidentRulesDep,
) -> dict[str, Any]:
    """The incident with its clock running again; 409 when it is not held."""
    incident = incident_clock.release_hold(
        store=store, rules=rules, incident_id=incident_id, note=reason.note, **acting
    )
    return staff_body(incident, store=store, staff=staff, rules=rules)


@router.get(
    "/incidents/{incident_id}/photos/{number}",
    summary="A photo of an incident (stored without metadata)",
    response_class=Response,
    responses={**binary_answer(*IMAGE_MEDIA_TYPES, description="The photo"), **errors(403, 404)},
)
def get_incident_photo(
    incident_id: Annotated[str, Path(max_length=36)],
    number: Annotated[int, Path(ge=1, le=MAX_ID)],
    store: StoreDep,
    staff: StaffDep,
) -> Response:
    """The photo's bytes with their media type; 404 when the incident has no such photo or is out of reach."""
    photo = incident_service.incident_photo(store=store, incident_id=incident_id, number=number, scope=staff.scope)
    return Response(
        content=photo.data,
        media_type=photo.format.value,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.post(
    "/incidents/{incident_id}/rating",
    summary="The reporter rates a closed incident (once)",
    response_model=Incident,
    responses=errors(403, 404, 409, 422),
)
def rate_incident(
    incident_id: Annotated[str, Path(max_length=36)],
    rating: IncidentRating,
    store: StoreDep,
    reporter_key: ReporterKeyHeader = None,
) -> dict[str, Any]:
    """The incident with its rating; 403 without the reporter's key, 409 when not closed or already rated."""
    incident = incident_service.rate(
        store=store,
        incident_id=incident_id,
        rating=rating.rating,
        at=datetime.now(UTC),
        note=rating.note,
        reporter_key=_given(reporter_key),
    )
    return incident_body(incident, history=False)


@router.post(
    "/incidents/{incident_id}/location",
    summary="Move an incident's pin; it is routed again",
    response_model=Incident,
    responses=errors(403, 404, 409, 422),
)
def move_incident_pin(
    incident_id: Annotated[str, Path(max_length=36)],
    move: PinMove,
    store: StoreDep,
    versions: VersionsDep,
    locators: LocatorsDep,
    user: CurrentUserDep,
    reporter_key: ReporterKeyHeader = None,
) -> dict[str, Any]:
    """The incident at its new point with its history; by staff with a token or by the reporter with their key.

    Refused once dispatched (409: the dispatcher hands it back first) and outside every grid (422).
    """
    key = _given(reporter_key)
    if user is None and key is None:
        msg = "moving a pin needs a token (staff) or the reporter's key in header X-Reporter-Key"
        raise Unauthorized(msg)
    lon, lat = point_in_wgs84(move.lon, move.lat, move.datum)
    # A token says more than a key: staff act under their own name and role, within their scope.
    scope = incident_access.staff_scope(versions, user) if user else None
    incident = incident_service.move_incident_pin(
        store=store,
        locators=locators,
        version=versions.default(),
        incident_id=incident_id,
        lon=lon,
        lat=lat,
        role=user.role.value if user else "resident",
        actor=user.name if user else None,
        reporter_key=None if user else key,
        at=datetime.now(UTC),
        scope=scope,
    )
    return incident_body(incident, history=True)


@router.get(
    "/incidents/{incident_id}/contact",
    summary="The reporter's contact (dispatchers and the reporter only)",
    response_model=ReporterContact,
    responses=errors(401, 403, 404),
)
def get_incident_contact(
    incident_id: Annotated[str, Path(max_length=36)],
    store: StoreDep,
    versions: VersionsDep,
    user: CurrentUserDep,
    reporter_key: ReporterKeyHeader = None,
) -> dict[str, Any]:
    """The name and phone the reporter gave, or when and why they were removed (erased, retention).

    For a planner or admin within their scope, or the reporter with their key; 403 for anyone else.
    """
    key = _given(reporter_key)
    if user is None and key is None:
        msg = "a reporter's contact needs a dispatcher's token or the reporter's key in header X-Reporter-Key"
        raise Unauthorized(msg)
    scope = incident_access.staff_scope(versions, user) if user and key is None else None
    record = privacy.incident_contact(store, incident_id, user=user, scope=scope, reporter_key=key)
    return privacy.contact_json(record)


def _status(text: str) -> Status:
    """The status a query parameter names; 400 listing the statuses otherwise."""
    try:
        return parse_status(text)
    except InvalidInput as exc:
        raise BadParameter(exc.detail) from None


def _given(header: str | None) -> str | None:
    """A header's value, None when it is absent or blank."""
    return header if header and header.strip() else None


def _area(stats: AreaStats) -> dict[str, Any]:
    return {
        "area_code": stats.area_code,
        "total": stats.total,
        "by_category": stats.by_category,
        "by_status": stats.by_status,
        "median_first_response_h": stats.median_first_response_h,
        "median_resolution_h": stats.median_resolution_h,
        "share_within_24h": stats.share_within_24h,
    }
