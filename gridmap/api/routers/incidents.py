"""Incidents: report one (public, rate-limited, once per Idempotency-Key; as JSON, or as a form with photos),
list, read, statistics, move through the workflow, and the reporter's rating and pin moves.

Reading incidents and changing them needs a token (reports carry residents' words and whereabouts); the
workflow decides which role may make which step (docs/incidents.md). Statistics are aggregates and follow
`public_read`. A resident has no account: their report's secret `reporter_key` (sent back in header
`X-Reporter-Key`) lets them rate it and move its pin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from gridmap.api.dependencies import (
    CurrentUserDep,
    LocatorsDep,
    ReaderDep,
    SettingsDep,
    SignedInDep,
    StoreDep,
    VersionsDep,
)
from gridmap.api.params import MAX_ID, parse_bbox
from gridmap.api.problems import BadParameter
from gridmap.api.report_form import PHOTO_FIELD, read_report_form, refuse_declared_length
from gridmap.errors import InvalidInput, Unauthorized
from gridmap.incidents.idempotency import fingerprint
from gridmap.incidents.intake import REPORTER_KEY_MAX, REPORTER_KEY_MIN, point_in_wgs84
from gridmap.incidents.model import Incident
from gridmap.incidents.open311 import parse_report
from gridmap.incidents.photos import CleanPhoto, PhotoLimits, clean_photos
from gridmap.incidents.ratelimit import TokenBucketLimiter
from gridmap.incidents.stats import AreaStats, GroupBy, month_period
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.incidents.workflow import AuditEntry, Status, parse_status
from gridmap.services import incidents as incident_service
from gridmap.services.locator import LocatorCache
from gridmap.services.version_cache import VersionCache
from gridmap.store.interface import BoundaryStore, IncidentFilter, KeyedReport, UserInfo

router = APIRouter(tags=["incidents"])

ReporterKeyHeader = Annotated[
    str | None,
    Header(
        alias="X-Reporter-Key",
        max_length=REPORTER_KEY_MAX,
        description="The reporter_key sent with the report (the reporter has no account)",
    ),
]


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
    reporter_key: str | None = Field(
        default=None,
        min_length=REPORTER_KEY_MIN,
        max_length=REPORTER_KEY_MAX,
        description="A random secret the reporting client makes per report and keeps, to rate it or move its pin",
    )


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
        "near_boundary": incident.near_boundary,
        "boundary_distance_m": incident.boundary_distance_m,
        "photos": list(incident.photo_urls),
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


@dataclass(frozen=True)
class ReportDesk:
    """What storing a report needs besides the report itself: the store, the point lookup, who sends it."""

    store: BoundaryStore
    versions: VersionCache
    locators: LocatorCache
    user: UserInfo | None
    idempotency_key: str | None


async def report_desk(
    store: StoreDep,
    versions: VersionsDep,
    locators: LocatorsDep,
    user: CurrentUserDep,
    idempotency_key: Annotated[str | None, Header(description="One key per report, e.g. a UUID")] = None,
) -> ReportDesk:
    """The desk both report routes store through."""
    return ReportDesk(store, versions, locators, user, idempotency_key)


ReportDeskDep = Annotated[ReportDesk, Depends(report_desk)]


def _store_report(
    desk: ReportDesk,
    report: IncidentReport,
    *,
    client: str,
    photos: Sequence[CleanPhoto] = (),
    photo_digests: Sequence[str] = (),
) -> JSONResponse:
    """The one way a native report is stored: 201 with the new incident, 200 with the one a key made before."""
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
    user = desk.user
    keyed = None
    if desk.idempotency_key is not None:
        content = {**report.model_dump(), "user": user.name if user else None, "photos": list(photo_digests)}
        keyed = KeyedReport(
            client=user.name if user else client, key=desk.idempotency_key, fingerprint=fingerprint(content)
        )
    incident, created = incident_service.report_incident(
        store=desk.store,
        locators=desk.locators,
        version=desk.versions.default(),
        request=parsed,
        reporter=user.name if user else report.reporter,
        role=user.role.value if user else "resident",
        at=datetime.now(UTC),
        keyed=keyed,
        photos=photos,
        reporter_key=report.reporter_key,
    )
    return JSONResponse(_body(incident, history=False), status_code=201 if created else 200)


@router.post("/incidents", summary="Report an incident; it is routed to its grid and worker", status_code=201)
def create_incident(report: IncidentReport, request: Request, desk: ReportDeskDep) -> JSONResponse:
    """Create the incident (201), or return the one already made with this Idempotency-Key (200)."""
    return _store_report(desk, report, client=limit_public_reports(request, desk.user))


def _report_form_schema() -> dict[str, Any]:
    """The OpenAPI request body of a report form: the JSON report's fields as text, and the photo files."""
    fields = IncidentReport.model_json_schema()
    photos = {"type": "array", "maxItems": PhotoLimits().max_count, "items": {"type": "string", "format": "binary"}}
    schema = {
        "type": "object",
        "required": fields["required"],
        "properties": {**fields["properties"], PHOTO_FIELD: photos},
    }
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


@router.post(
    "/incidents/reports",
    summary="Report an incident with up to 3 photos (multipart/form-data)",
    status_code=201,
    openapi_extra=_report_form_schema(),
    responses={413: {"description": "The report or one photo is too large"}},
)
async def create_incident_with_photos(request: Request, desk: ReportDeskDep, settings: SettingsDep) -> JSONResponse:
    """As `POST /incidents`, with the fields as a form and photos (JPEG, PNG, WebP) in field `photos`.

    Every check (size, count, format, decoding, category, point) passes before anything is stored; photos
    are stored re-encoded without EXIF or other metadata.
    """
    refuse_declared_length(request, settings.max_report_bytes)
    client = limit_public_reports(request, desk.user)
    form = await read_report_form(request, text_fields=IncidentReport.model_fields, max_bytes=settings.max_report_bytes)
    try:
        report = IncidentReport.model_validate(form.fields)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    # Decoding and re-encoding images takes CPU time: off the event loop.
    photos = await run_in_threadpool(clean_photos, form.uploads)
    digests = [hashlib.sha256(upload.data).hexdigest() for upload in form.uploads]
    return await run_in_threadpool(_store_report, desk, report, client=client, photos=photos, photo_digests=digests)


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


@router.get("/incidents/stats", summary="Incident statistics per grid or community over a month or a period")
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
    start, end = _period(month, since, before)
    areas = incident_service.area_statistics(store, by=by, start=start, end=end, community=community)
    return {
        "by": by.value,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "areas": [_area(stats) for stats in areas],
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


@router.get("/incidents/{incident_id}/photos/{number}", summary="A photo of an incident (stored without metadata)")
def get_incident_photo(
    incident_id: Annotated[str, Path(max_length=36)],
    number: Annotated[int, Path(ge=1, le=MAX_ID)],
    store: StoreDep,
    user: SignedInDep,
) -> Response:
    """The photo's bytes with their media type; 404 when the incident has no such photo."""
    photo = store.get_incident_photo(incident_id, number)
    return Response(
        content=photo.data,
        media_type=photo.format.value,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/incidents/{incident_id}/rating", summary="The reporter rates a closed incident (once)")
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
    return _body(incident, history=False)


@router.post("/incidents/{incident_id}/location", summary="Move an incident's pin; it is routed again")
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
    # A token says more than a key: staff act under their own name and role.
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
    )
    return _body(incident, history=True)


def _status(text: str) -> Status:
    """The status a query parameter names; 400 listing the statuses otherwise."""
    try:
        return parse_status(text)
    except InvalidInput as exc:
        raise BadParameter(exc.detail) from None


def _given(header: str | None) -> str | None:
    """A header's value, None when it is absent or blank."""
    return header if header and header.strip() else None


def _period(month: str | None, since: datetime | None, before: datetime | None) -> tuple[datetime, datetime]:
    """The statistics period: a month, or since and before (with offsets); exactly one of the two ways."""
    if month is not None and (since is not None or before is not None):
        msg = "give either month=YYYY-MM or since and before, not both"
        raise BadParameter(msg)
    if month is not None:
        try:
            return month_period(month)
        except InvalidInput as exc:
            raise BadParameter(exc.detail) from None
    start, end = _aware(since, "since"), _aware(before, "before")
    if start is None or end is None:
        msg = "give the period: month=YYYY-MM, or both since and before (ISO 8601 with offset)"
        raise BadParameter(msg)
    if end <= start:
        msg = "query parameter before must come after since"
        raise BadParameter(msg)
    return start, end


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


def _aware(moment: datetime | None, name: str) -> datetime | None:
    """The time as given, refusing one without an offset (which would be read in an unknown zone)."""
    if moment is not None and moment.tzinfo is None:
        msg = f"query parameter {name} needs a time zone offset, e.g. 2026-10-01T00:00:00+08:00"
        raise BadParameter(msg)
    return moment
