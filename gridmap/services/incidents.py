"""Incident use cases: report (locate in the published version, route, open, store once per key) and change.

The pure steps live in `gridmap.incidents`; this module joins them to the store and the point lookup.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from gridmap.incidents.intake import advance, move_pin, open_incident, rate_incident
from gridmap.incidents.model import Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, route_report
from gridmap.incidents.workflow import ActorRole
from gridmap.services.locator import LocatorCache
from gridmap.store.interface import BoundaryStore, KeyedReport, VersionInfo


def report_incident(
    *,
    store: BoundaryStore,
    locators: LocatorCache,
    version: VersionInfo,
    request: ReportRequest,
    reporter: str,
    role: ActorRole | str,
    at: datetime,
    keyed: KeyedReport | None = None,
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M,
) -> tuple[Incident, bool]:
    """The stored incident for a report, and whether it is new (False for a repeat of the same key)."""
    location = locators.locate(version, request.lon, request.lat)
    # A point in no grid is refused here (InvalidInput saying so), before anything is stored.
    route = route_report(request.lon, request.lat, location.chain, near_boundary_m=near_boundary_m)
    incident = open_incident(
        incident_id=str(uuid.uuid4()), request=request, route=route, reporter=reporter, role=role, at=at
    )
    return store.create_incident(incident, keyed=keyed, now=at)


def advance_incident(
    *,
    store: BoundaryStore,
    incident_id: str,
    to: str,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
    duplicate_of: str | None = None,
) -> Incident:
    """The incident after one workflow step, stored with its audit entry."""
    if duplicate_of is not None:
        store.get_incident(duplicate_of)  # NotFound when the original does not exist
    return store.change_incident(
        incident_id,
        lambda incident: advance(incident, to, actor=actor, role=role, at=at, note=note, duplicate_of=duplicate_of),
    )


def rate(*, store: BoundaryStore, incident_id: str, rating: int, actor: str, at: datetime, note: str = "") -> Incident:
    """The incident after its reporter rated it (closed incidents, once)."""
    return store.change_incident(
        incident_id,
        lambda incident: rate_incident(incident, rating, actor=actor, role=ActorRole.RESIDENT, at=at, note=note),
    )


def move_incident_pin(
    *,
    store: BoundaryStore,
    locators: LocatorCache,
    version: VersionInfo,
    incident_id: str,
    lon: float,
    lat: float,
    actor: str,
    role: ActorRole | str,
    at: datetime,
) -> Incident:
    """The incident at a new WGS-84 point, re-routed in `version`; refused once dispatched."""
    chain = locators.locate(version, lon, lat).chain
    return store.change_incident(
        incident_id, lambda incident: move_pin(incident, lon, lat, chain, actor=actor, role=role, at=at)[0]
    )
