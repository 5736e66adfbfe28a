"""Incidents: report one (public, rate-limited, once per Idempotency-Key), list, read, and move through the workflow.

Reading incidents and changing them needs a token (reports carry residents' words and whereabouts); the
workflow decides which role may make which step (docs/incidents.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gridmap.api.dependencies import CurrentUserDep, LocatorsDep, SignedInDep, StoreDep, VersionsDep
from gridmap.api.params import MAX_ID, parse_bbox
from gridmap.api.problems import BadParameter
from gridmap.errors import InvalidInput
from gridmap.incidents.idempotency import fingerprint
from gridmap.incidents.model import Incident
from gridmap.incidents.open311 import parse_report
from gridmap.incidents.ratelimit import TokenBucketLimiter
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.incidents.workflow import AuditEntry, Status, parse_status
from gridmap.services import incidents as incident_service
from gridmap.store.interface import IncidentFilter, KeyedReport, UserInfo

router = APIRouter(tags=["incidents"])


class IncidentReport(BaseModel):
    """A report: the category code, the point (in `datum`), what is wrong and where."""

    category: str = Field(description="A category code, e.g. noise_livestock")
    lon: float
    lat: float
    datum: str = Field(default="wgs84", description="wgs84, gcj02 (WeChat, Amap) or bd09 (Baidu)")
    description: str = ""
    address: str = ""
    channel: str = Field(default="app", description="app, patrol, hotline or visit")
    reporter: str = Field(default="居民", max_length=100, description="Who reports (not shown to other readers)")


class IncidentStep(BaseModel):
    """A workflow step: the status to move to, a note (required for `rejected`) and the original of a duplicate."""

    to: str
    note: str = ""
    duplicate_of: str | None = None


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "role": entry.role.value,
        "action": entry.action.value,
        "from": None if entry.from_status is None else entry.from_status.value,
        "to": entry.to_status.value,
        "note": entry.note,
        "rating": entry.rating,
        "duplicate_of": entry.duplicate_of,
    }


def _body(incident: Incident, *, history: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": incident.id,
        "category": incident.category,
        "description": incident.description,
        "lon": incident.lon,
        "lat": incident.lat,
        "address": incident.address,
        "channel": incident.channel.value,
        "status": incident.status.value,
        "community": incident.community_code,
        "grid": incident.grid_code,
        "microgrid": incident.microgrid_code,
        "worker": incident.worker,
        "reported_at": incident.state.reported_at.isoformat(),
        "updated_at": incident.state.updated_at.isoformat(),
        "rating": incident.state.rating,
        "duplicate_of": incident.state.duplicate_of,
    }
    if history:
        body["history"] = [_entry(entry) for entry in incident.audit]
    return body


def limit_public_reports(request: Request, user: UserInfo | None) -> str:
    """The client's address; a report without a token takes a token from that address's bucket (else 429)."""
    client = request.client.host if request.client else "unknown"
    if user is None:
        limiter: TokenBucketLimiter = request.app.state.report_limiter
        limiter.check(client)
    return client


@router.post("/incidents", summary="Report an incident; it is routed to its grid and worker", status_code=201)
def create_incident(
    report: IncidentReport,
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    locators: LocatorsDep,
    user: CurrentUserDep,
    idempotency_key: Annotated[str | None, Header(description="One key per report, e.g. a UUID")] = None,
) -> JSONResponse:
    """Create the incident (201), or return the one already made with this Idempotency-Key (200)."""
    client = limit_public_reports(request, user)
    form = {
        "service_code": report.category,
        "lat": str(report.lat),
        "long": str(report.lon),
        "datum": report.datum,
        "description": report.description,
        "address_string": report.address,
        "channel": report.channel,
    }
    parsed = parse_report(form, default_taxonomy())
    keyed = None
    if idempotency_key is not None:
        digest = fingerprint({**report.model_dump(), "user": user.name if user else None})
        keyed = KeyedReport(client=user.name if user else client, key=idempotency_key, fingerprint=digest)
    incident, created = incident_service.report_incident(
        store=store,
        locators=locators,
        version=versions.default(),
        request=parsed,
        reporter=user.name if user else report.reporter,
        role=user.role.value if user else "resident",
        at=datetime.now(UTC),
        keyed=keyed,
    )
    return JSONResponse(_body(incident, history=False), status_code=201 if created else 200)


@router.get("/incidents", summary="Incidents matching filters, newest report first")
def list_incidents(
    store: StoreDep,
    user: SignedInDep,
    status: str | None = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    grid: Annotated[str | None, Query(max_length=32)] = None,
    community: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[datetime | None, Query(description="Reported at or after (ISO 8601 with offset)")] = None,
    before: Annotated[datetime | None, Query(description="Reported before (ISO 8601 with offset)")] = None,
    bbox: Annotated[str | None, Query(description="min lon, min lat, max lon, max lat (WGS-84)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    """A page of incidents and the number matched in all."""
    where = IncidentFilter(
        status=None if status is None else _status(status),
        category=category,
        grid_code=grid,
        community_code=community,
        reported_since=_aware(since, "since"),
        reported_before=_aware(before, "before"),
        bbox=parse_bbox(bbox),
    )
    page = store.list_incidents(where, limit=limit, offset=offset)
    return {
        "incidents": [_body(incident, history=False) for incident in page.incidents],
        "matched": page.matched,
        "limit": limit,
        "offset": offset,
    }


@router.get("/incidents/{incident_id}", summary="One incident with its history")
def get_incident(
    incident_id: Annotated[str, Path(max_length=36)], store: StoreDep, user: SignedInDep
) -> dict[str, Any]:
    """The incident and its audit trail."""
    return _body(store.get_incident(incident_id), history=True)


@router.post("/incidents/{incident_id}/transitions", summary="Move an incident to its next status")
def move_incident(
    incident_id: Annotated[str, Path(max_length=36)], step: IncidentStep, store: StoreDep, user: SignedInDep
) -> dict[str, Any]:
    """The incident after the step; 409 for a step the workflow does not allow, 403 for a role that may not."""
    incident = incident_service.advance_incident(
        store=store,
        incident_id=incident_id,
        to=step.to,
        actor=user.name,
        role=user.role.value,
        at=datetime.now(UTC),
        note=step.note,
        duplicate_of=step.duplicate_of,
    )
    return _body(incident, history=True)


def _status(text: str) -> Status:
    """The status a query parameter names; 400 listing the statuses otherwise."""
    try:
        return parse_status(text)
    except InvalidInput as exc:
        raise BadParameter(exc.detail) from None


def _aware(moment: datetime | None, name: str) -> datetime | None:
    """The time as given, refusing one without an offset (which would be read in an unknown zone)."""
    if moment is not None and moment.tzinfo is None:
        msg = f"query parameter {name} needs a time zone offset, e.g. 2026-10-01T00:00:00+08:00"
        raise BadParameter(msg)
    return moment
