"""Incidents as the native API answers them: the record, and optionally its audit trail."""

from __future__ import annotations

from typing import Any

from gridmap.incidents.model import Incident
from gridmap.incidents.workflow import AuditEntry


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


def incident_body(incident: Incident, *, history: bool) -> dict[str, Any]:
    """An incident as the native API answers it (never the reporter's name or key); `history` adds its audit trail."""
    body: dict[str, Any] = {
        "id": incident.id,
        "category": incident.category,
        "description": incident.description,
        "public_description": incident.public_description,
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
