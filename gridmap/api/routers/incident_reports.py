"""Reporting incidents: as JSON, or as a form with up to 3 photos; public, rate-limited per client, once per
Idempotency-Key.

Both routes store through one `ReportDesk`: the report is parsed as an Open311 request, located in the
published version, routed to its grid and worker, and stored with its cleaned photos in one transaction.
A report without a token is a resident's and takes a token from its client address's bucket (429 when empty).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gridmap.api.clients import request_client
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import CurrentUserDep, IncidentRulesDep, LocatorsDep, SettingsDep, StoreDep, VersionsDep
from gridmap.api.incident_answers import Incident
from gridmap.api.incident_json import incident_body
from gridmap.api.report_form import PHOTO_FIELD, read_report_form, refuse_declared_length
from gridmap.incidents.idempotency import fingerprint
from gridmap.incidents.intake import REPORTER_KEY_MAX, REPORTER_KEY_MIN
from gridmap.incidents.open311 import parse_report
from gridmap.incidents.photos import CleanPhoto, PhotoLimits, clean_photos
from gridmap.incidents.ratelimit import TokenBucketLimiter
from gridmap.services import incidents as incident_service
from gridmap.services.incident_clock import IncidentRules
from gridmap.services.locator import LocatorCache
from gridmap.services.version_cache import VersionCache
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.incident_store import KeyedReport
from gridmap.store.interface import BoundaryStore

router = APIRouter(route_class=AnswerRoute, tags=["incidents"])

# Both report routes answer alike: the new incident, or the one an Idempotency-Key made before.
REPORT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": Incident, "description": "The incident this Idempotency-Key made before"},
    **errors(404, 409, 422, 429),
}


class IncidentReport(BaseModel):
    """A report: the category code, the point (in `datum`), what is wrong and where."""

    category: str = Field(description="A category code, e.g. noise_livestock")
    lon: float
    lat: float
    datum: str = Field(default="wgs84", description="wgs84, gcj02 (WeChat, Amap) or bd09 (Baidu)")
    description: str = ""
    address: str = ""
    channel: str = Field(default="app", description="app, patrol, hotline or visit")
    reporter: str = Field(
        default="", max_length=100, description="The resident's name, kept apart for dispatchers (never shown)"
    )
    phone: str = Field(
        default="", max_length=32, description="The resident's phone, kept apart for dispatchers (never shown)"
    )
    reporter_key: str | None = Field(
        default=None,
        min_length=REPORTER_KEY_MIN,
        max_length=REPORTER_KEY_MAX,
        description="A random secret the reporting client makes per report and keeps, to rate it or move its pin",
    )


def reporting_staff(user: UserInfo | None) -> UserInfo | None:
    """The account a report is made under; None (a resident's report) without a token and for a viewer's token.

    The workflow lets staff report under their own name; a viewer is no member of staff, so a viewer reports as
    any resident does (rate-limited, named "resident", with their own reporter key), not as a refused viewer.
    """
    return None if user is None or user.role is Role.VIEWER else user


async def limit_public_reports(request: Request, user: UserInfo | None) -> str:
    """The client's address; a report without a token takes a token from that address's bucket (else 429)."""
    client = request_client(request)
    if user is None:
        limiter: TokenBucketLimiter = request.app.state.report_limiter
        # The buckets are in the store (shared by every worker): off the event loop.
        await run_in_threadpool(limiter.check, client)
    return client


@dataclass(frozen=True)
class ReportDesk:
    """What storing a report needs besides the report itself: the store, the point lookup, who sends it."""

    store: BoundaryStore
    versions: VersionCache
    locators: LocatorCache
    user: UserInfo | None
    idempotency_key: str | None
    rules: IncidentRules


async def report_desk(
    store: StoreDep,
    versions: VersionsDep,
    locators: LocatorsDep,
    user: CurrentUserDep,
    rules: IncidentRulesDep,
    idempotency_key: Annotated[str | None, Header(description="One key per report, e.g. a UUID")] = None,
) -> ReportDesk:
    """The desk both report routes store through."""
    return ReportDesk(store, versions, locators, reporting_staff(user), idempotency_key, rules)


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
        # Open311's contact fields: kept with the report, apart from the incident.
        "last_name": report.reporter,
        "phone": report.phone,
    }
    parsed = parse_report(form, desk.rules.taxonomy)
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
        contact=parsed.reporter_contact,
        rules=desk.rules,
    )
    return JSONResponse(incident_body(incident, history=False), status_code=201 if created else 200)


@router.post(
    "/incidents",
    summary="Report an incident; it is routed to its grid and worker",
    status_code=201,
    response_model=Incident,
    responses=REPORT_ANSWERS,
)
async def create_incident(report: IncidentReport, request: Request, desk: ReportDeskDep) -> JSONResponse:
    """Create the incident (201), or return the one already made with this Idempotency-Key (200)."""
    client = await limit_public_reports(request, desk.user)
    return await run_in_threadpool(_store_report, desk, report, client=client)


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
    response_model=Incident,
    responses=REPORT_ANSWERS,
)
async def create_incident_with_photos(request: Request, desk: ReportDeskDep, settings: SettingsDep) -> JSONResponse:
    """As `POST /incidents`, with the fields as a form and photos (JPEG, PNG, WebP) in field `photos`.

    Every check (size, count, format, decoding, category, point) passes before anything is stored; photos
    are stored re-encoded without EXIF or other metadata.
    """
    refuse_declared_length(request, settings.max_report_bytes)
    client = await limit_public_reports(request, desk.user)
    form = await read_report_form(request, text_fields=IncidentReport.model_fields, max_bytes=settings.max_report_bytes)
    report = form.parsed(IncidentReport)
    # Decoding and re-encoding images takes CPU time: off the event loop.
    photos = await run_in_threadpool(clean_photos, form.uploads)
    digests = [hashlib.sha256(upload.data).hexdigest() for upload in form.uploads]
    return await run_in_threadpool(_store_report, desk, report, client=client, photos=photos, photo_digests=digests)
