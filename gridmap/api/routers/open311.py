"""Open311 GeoReport v2 beside the native API: services.json, requests.json (GET and POST), requests/{id}.json.

The shapes come from `gridmap.incidents.open311`: statuses map to open/closed, items carry no personal
information, and a POST is a form (with our `datum` and `channel` extensions) rate-limited like any public
report. The public (no token, or a viewer's) reads generalised points, approved descriptions only, and no
private category (a private one's id answers 404); staff read exact items.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import (
    AudienceDep,
    CurrentUserDep,
    IncidentRulesDep,
    LocatorsDep,
    StoreDep,
    TaxonomyDep,
    VersionsDep,
)
from gridmap.api.incident_answers import Open311Created, Open311Request, Open311Service
from gridmap.api.problems import BadParameter
from gridmap.api.routers.incident_reports import REPORT_ANSWERS, limit_public_reports, reporting_staff
from gridmap.errors import InvalidInput
from gridmap.incidents.disclosure import Disclosure
from gridmap.incidents.model import Incident
from gridmap.incidents.open311 import (
    MAX_DESCRIPTION_CHARS,
    OPEN311_STATUS,
    parse_page,
    parse_report,
    public_request_item,
    request_item,
    services,
)
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.services import incidents as incident_service
from gridmap.services import public_incidents
from gridmap.store.incident_store import IncidentFilter

router = APIRouter(route_class=AnswerRoute, prefix="/open311/v2", tags=["open311"])


@router.get(
    "/services.json",
    summary="The categories one may report, as Open311 services",
    response_model=list[Open311Service],
)
def list_services(taxonomy: TaxonomyDep) -> list[dict[str, Any]]:
    """Every active category; public even when reading is not, since anyone may report."""
    return services(taxonomy)


@router.get(
    "/requests.json",
    summary="Service requests (incidents), newest first, without personal information",
    response_model=list[Open311Request],
)
def list_requests(
    store: StoreDep,
    shown: AudienceDep,
    taxonomy: TaxonomyDep,
    status: Annotated[str | None, Query(description="open or closed")] = None,
    service_code: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[str | None, Query(max_length=12)] = None,
    page_size: Annotated[str | None, Query(max_length=12)] = None,
) -> list[dict[str, Any]]:
    """One page of requests (`page` from 1, `page_size` at most 200)."""
    if status not in (None, "open", "closed"):
        msg = f"query parameter status is {status!r}; use open or closed"
        raise BadParameter(msg)
    try:
        window = parse_page(page, page_size)
    except InvalidInput as exc:
        raise BadParameter(exc.detail) from None
    statuses = None if status is None else frozenset(s for s, shown in OPEN311_STATUS.items() if shown == status)
    found = public_incidents.seen_incidents(
        store=store,
        where=IncidentFilter(statuses=statuses, category=service_code),
        shown=shown,
        taxonomy=taxonomy,
        limit=window.page_size,
        offset=window.offset,
    )
    return [_item(incident, taxonomy, shown) for incident in found.incidents]


def _request_form_schema() -> dict[str, Any]:
    """The OpenAPI request body of a GeoReport v2 POST (read by parse_report, not by FastAPI)."""
    text = {"type": "string", "maxLength": MAX_DESCRIPTION_CHARS}
    properties: dict[str, Any] = {
        "service_code": {"type": "string", "description": "A code from services.json"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "datum": {"type": "string", "description": "wgs84 (default), gcj02 or bd09"},
        "description": text,
        "address_string": text,
        "channel": {"type": "string", "description": "app (default), patrol, hotline or visit"},
        "media_url": {"type": "string", "description": "An http(s) URL"},
    }
    schema = {"type": "object", "required": ["service_code", "lat", "long"], "properties": properties}
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    return {"requestBody": {"required": True, "content": {form: {"schema": schema} for form in forms}}}


@router.post(
    "/requests.json",
    summary="Report an incident as an Open311 form POST",
    status_code=201,
    response_model=list[Open311Created],
    responses={status: answer for status, answer in REPORT_ANSWERS.items() if status != 200},
    openapi_extra=_request_form_schema(),
)
async def create_request(
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    locators: LocatorsDep,
    user: CurrentUserDep,
    rules: IncidentRulesDep,
) -> list[dict[str, Any]]:
    """The new request's id, in the GeoReport v2 POST response shape (a viewer's token reports as a resident)."""
    user = reporting_staff(user)
    await limit_public_reports(request, user)
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    parsed = parse_report(form, rules.taxonomy)
    incident, _created = await run_in_threadpool(
        incident_service.report_incident,
        store=store,
        locators=locators,
        version=versions.default(),
        request=parsed,
        reporter=user.name if user else "",
        contact=parsed.reporter_contact,
        role=user.role.value if user else "resident",
        at=datetime.now(UTC),
        rules=rules,
    )
    return [{"service_request_id": incident.id, "service_notice": None, "account_id": None}]


@router.get(
    "/requests/{incident_id}.json",
    summary="One service request",
    response_model=list[Open311Request],
    responses=errors(404),
)
def get_request(
    incident_id: Annotated[str, Path(max_length=36)], store: StoreDep, shown: AudienceDep, taxonomy: TaxonomyDep
) -> list[dict[str, Any]]:
    """A list of one item, as GeoReport v2 answers (404 to the public for a private category)."""
    incident = public_incidents.seen_incident(store=store, incident_id=incident_id, shown=shown, taxonomy=taxonomy)
    return [_item(incident, taxonomy, shown)]


def _item(incident: Incident, taxonomy: Taxonomy, shown: Disclosure | None) -> dict[str, Any]:
    """The request item a caller may see: exact for staff, generalised and without words for the public."""
    if shown is None:
        return request_item(incident, taxonomy)
    return public_request_item(incident, taxonomy, shown.location_m)
