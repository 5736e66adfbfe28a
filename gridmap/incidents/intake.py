"""Incidents as wholes: open one from a parsed report and its route, and apply workflow steps and pin moves.

These join the pure pieces (open311 parsing, routing, workflow) so that the store and API only load, call
one function and save the returned `Incident`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from gridmap.incidents.model import Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, Area, Rerouted, Route, route_report
from gridmap.incidents.workflow import ActorRole, Status, rate, record_move, report, transition


def open_incident(
    *,
    incident_id: str,
    request: ReportRequest,
    route: Route,
    reporter: str,
    role: ActorRole | str,
    at: datetime,
    photo_urls: Sequence[str] = (),
) -> Incident:
    """A new incident in `reported`, routed, with its first audit entry."""
    state, entry = report(actor=reporter, role=role, at=at, note=f"channel {request.channel}")
    media = tuple(photo_urls) or ((request.media_url,) if request.media_url else ())
    return Incident(
        id=incident_id,
        category=request.service_code,
        description=request.description,
        lon=request.lon,
        lat=request.lat,
        channel=request.channel,
        reporter=reporter,
        state=state,
        audit=(entry,),
        community_code=route.community_code,
        grid_code=route.grid_code,
        microgrid_code=route.microgrid_code,
        worker=route.worker,
        address=request.address,
        photo_urls=media,
    )


def advance(
    incident: Incident,
    to: Status | str,
    *,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
    duplicate_of: str | None = None,
) -> Incident:
    """The incident after one workflow step, its audit trail one entry longer."""
    state, entry = transition(incident.state, to, actor=actor, role=role, at=at, note=note, duplicate_of=duplicate_of)
    return replace(incident, state=state, audit=(*incident.audit, entry))


def rate_incident(
    incident: Incident, rating: int, *, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> Incident:
    """The incident after a resident's rating."""
    state, entry = rate(incident.state, rating, actor=actor, role=role, at=at, note=note)
    return replace(incident, state=state, audit=(*incident.audit, entry))


def move_pin(
    incident: Incident,
    lon: float,
    lat: float,
    chain: Sequence[Area],
    *,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M,
) -> tuple[Incident, Rerouted]:
    """The incident at a new WGS-84 point, re-routed and audited; refused once it has been dispatched."""
    route = route_report(lon, lat, chain, near_boundary_m=near_boundary_m)
    where = f"moved to {lon:.6f}, {lat:.6f}: grid {incident.grid_code} -> {route.grid_code}"
    state, entry = record_move(incident.state, actor=actor, role=role, at=at, note=where)
    moved = replace(
        incident,
        state=state,
        audit=(*incident.audit, entry),
        lon=lon,
        lat=lat,
        community_code=route.community_code,
        grid_code=route.grid_code,
        microgrid_code=route.microgrid_code,
        worker=route.worker,
    )
    changed_grid = route.grid_code != incident.grid_code
    return moved, Rerouted(route=route, grid_changed=changed_grid, worker_changed=route.worker != incident.worker)
