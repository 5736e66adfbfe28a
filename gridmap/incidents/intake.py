"""Incidents as wholes: open one from a parsed report and its route, and apply workflow steps and pin moves.

These join the pure pieces (open311 parsing, routing, workflow) so that the store and API only load, call
one function and save the returned `Incident`.

A resident has no account: the reporting client makes a random secret per report (the reporter key) and
keeps it; the incident keeps only its SHA-256, and rating or moving the pin as the reporter needs the secret.
The incident and its trail name a resident "resident"; their name and phone go into its `Contact`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from gridmap.errors import Forbidden, InvalidInput
from gridmap.geo.crs import parse_datum, to_wgs84
from gridmap.incidents.model import Contact, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, Area, Rerouted, Route, route_report
from gridmap.incidents.workflow import (
    RESIDENT_ACTOR,
    ActorRole,
    Status,
    parse_role,
    rate,
    record_move,
    report,
    transition,
)

REPORTER_KEY_MIN = 16
REPORTER_KEY_MAX = 200


def hash_reporter_key(key: str) -> str:
    """The SHA-256 (hex) of a reporter key, after checking its length (16-200 characters)."""
    if not REPORTER_KEY_MIN <= len(key) <= REPORTER_KEY_MAX:
        msg = (
            f"a reporter key has {REPORTER_KEY_MIN}-{REPORTER_KEY_MAX} characters (this one has {len(key)}); "
            "make a random one per report"
        )
        raise InvalidInput(msg)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def point_in_wgs84(lon: float, lat: float, datum: str = "wgs84") -> tuple[float, float]:
    """A point given in `datum` (wgs84, gcj02, bd09, ...) as WGS-84; InvalidInput names the field at fault."""
    for name, value, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if not (math.isfinite(value) and -limit <= value <= limit):
            msg = f"field {name!r} is {value}; it must lie between {-limit:g} and {limit:g}"
            raise InvalidInput(msg)
    try:
        parsed = parse_datum(datum)
    except ValueError as exc:
        msg = f"field 'datum' {exc}"
        raise InvalidInput(msg) from None
    wgs_lon, wgs_lat = to_wgs84(lon, lat, parsed)
    return float(wgs_lon), float(wgs_lat)


def check_reporter_key(incident: Incident, key: str | None) -> None:
    """Pass when `key` is the secret the incident was reported with; Forbidden otherwise."""
    if key is None:
        msg = "only the reporter may do this: send the reporter key of the report in header X-Reporter-Key"
        raise Forbidden(msg)
    presented = hashlib.sha256(key.encode("utf-8")).hexdigest()
    # Compared in constant time; an incident reported without a key matches no key at all.
    if incident.reporter_key_hash is None or not hmac.compare_digest(presented, incident.reporter_key_hash):
        msg = "the reporter key does not match this incident's; only its reporter may do this"
        raise Forbidden(msg)


def open_incident(
    *,
    incident_id: str,
    request: ReportRequest,
    route: Route,
    reporter: str,
    role: ActorRole | str,
    at: datetime,
    photo_urls: Sequence[str] = (),
    reporter_key: str | None = None,
    contact: Contact | None = None,
) -> Incident:
    """A new incident in `reported`, routed (near-boundary flag included), with its first audit entry.

    `reporter` is the staff account reporting, or a resident's name: the incident then names them "resident"
    and keeps the name in its contact (with the phone of `contact`, if any).
    """
    role = parse_role(role)
    actor = RESIDENT_ACTOR if role is ActorRole.RESIDENT else reporter
    state, entry = report(actor=actor, role=role, at=at, note=f"channel {request.channel}")
    if role is ActorRole.RESIDENT and reporter.strip() != RESIDENT_ACTOR and not (contact and contact.name):
        contact = Contact(name=reporter.strip() or None, phone=contact.phone if contact else None)
    media = tuple(photo_urls) or ((request.media_url,) if request.media_url else ())
    return Incident(
        id=incident_id,
        category=request.service_code,
        description=request.description,
        lon=request.lon,
        lat=request.lat,
        channel=request.channel,
        reporter=entry.actor,
        state=state,
        audit=(entry,),
        community_code=route.community_code,
        grid_code=route.grid_code,
        microgrid_code=route.microgrid_code,
        worker=route.worker,
        address=request.address,
        photo_urls=media,
        near_boundary=route.near_boundary,
        boundary_distance_m=route.boundary_distance_m,
        reporter_key_hash=None if reporter_key is None else hash_reporter_key(reporter_key),
        contact=None if contact is None or contact.empty else contact,
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
        near_boundary=route.near_boundary,
        boundary_distance_m=route.boundary_distance_m,
    )
    changed_grid = route.grid_code != incident.grid_code
    return moved, Rerouted(route=route, grid_changed=changed_grid, worker_changed=route.worker != incident.worker)
