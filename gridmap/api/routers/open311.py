"""Open311 GeoReport v2 beside the native API: services.json, requests.json (GET and POST), requests/{id}.json.

The shapes come from `gridmap.incidents.open311`: statuses map to open/closed, items carry no personal
information, and a POST is a form (with our `datum` and `channel` extensions) rate-limited like any public
report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from gridmap.api.dependencies import CurrentUserDep, LocatorsDep, ReaderDep, StoreDep, VersionsDep
from gridmap.api.problems import BadParameter
from gridmap.api.routers.incident_reports import limit_public_reports
from gridmap.errors import InvalidInput
from gridmap.incidents.open311 import OPEN311_STATUS, parse_page, parse_report, request_item, services
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.services import incidents as incident_service
from gridmap.store.interface import IncidentFilter

router = APIRouter(prefix="/open311/v2", tags=["open311"])


@router.get("/services.json", summary="The categories one may report, as Open311 services")
def list_services() -> list[dict[str, Any]]:
    """Every active category; public even when reading is not, since anyone may report."""
    return services(default_taxonomy())


@router.get("/requests.json", summary="Service requests (incidents), newest first, without personal information")
def list_requests(
    store: StoreDep,
    user: ReaderDep,
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
    where = IncidentFilter(statuses=statuses, category=service_code)
    found = store.list_incidents(where, limit=window.page_size, offset=window.offset)
    taxonomy = default_taxonomy()
    return [request_item(incident, taxonomy) for incident in found.incidents]


@router.post("/requests.json", summary="Report an incident as an Open311 form POST", status_code=201)
async def create_request(
    request: Request, store: StoreDep, versions: VersionsDep, locators: LocatorsDep, user: CurrentUserDep
) -> list[dict[str, Any]]:
    """The new request's id, in the GeoReport v2 POST response shape."""
    limit_public_reports(request, user)
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    parsed = parse_report(form, default_taxonomy())
    incident, _created = await run_in_threadpool(
        incident_service.report_incident,
        store=store,
        locators=locators,
        version=versions.default(),
        request=parsed,
        reporter=user.name if user else "居民",
        role=user.role.value if user else "resident",
        at=datetime.now(UTC),
    )
    return [{"service_request_id": incident.id, "service_notice": None, "account_id": None}]


@router.get("/requests/{incident_id}.json", summary="One service request")
def get_request(
    incident_id: Annotated[str, Path(max_length=36)], store: StoreDep, user: ReaderDep
) -> list[dict[str, Any]]:
    """A list of one item, as GeoReport v2 answers."""
    return [request_item(store.get_incident(incident_id), default_taxonomy())]
