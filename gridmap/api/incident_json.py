"""Incidents as the native API answers them: the record with its number and clock, and optionally its audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse
from pydantic_core import to_json

from gridmap.incidents.deadlines import DueFlags, pending_request, stage_of
from gridmap.incidents.model import Incident, PhotoKind
from gridmap.incidents.workflow import AuditEntry
from gridmap.services.incidents import photo_path


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
        "hours": entry.hours,
    }


def _utc(moment: datetime | None) -> str | None:
    """A moment in ISO 8601 in UTC, as the other times of the answer (the calendar computes in China time)."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _clock(incident: Incident, due: DueFlags | None) -> dict[str, Any]:
    """The stage, its due time and flags (null when not computed for this answer), the hold and any request."""
    stage = stage_of(incident.status)
    request = pending_request(incident)
    return {
        "stage": None if stage is None else stage.value,
        "due_at": _utc(incident.due_at),
        "overdue": None if due is None else due.overdue,
        "due_soon": None if due is None else due.due_soon,
        "held_since": _utc(incident.held_since),
        "pending_request": None
        if request is None
        else {"action": request.action.value, "hours": request.hours, "at": request.at.isoformat()},
    }


def _photo_details(incident: Incident) -> list[dict[str, Any]]:
    """Each photo URL with its kind (before, after) and when it was added; a link the report gave is a before photo."""
    stored = {photo_path(incident.id, photo.number): photo for photo in incident.photos}
    details = []
    for url in incident.photo_urls:
        photo = stored.get(url)
        kind = PhotoKind.BEFORE if photo is None else photo.kind
        added_at = incident.state.reported_at if photo is None else photo.added_at
        details.append({"url": url, "kind": kind.value, "added_at": _utc(added_at)})
    return details


def _candidate_grids(incident: Incident) -> list[str]:
    """The grids a dispatcher chooses from for a report near a boundary: its own, then the neighbour's."""
    if not incident.near_boundary or incident.grid_code is None:
        return []
    return [incident.grid_code, *([incident.neighbour_grid_code] if incident.neighbour_grid_code else [])]


def incident_body(incident: Incident, *, history: bool, due: DueFlags | None = None) -> dict[str, Any]:
    """An incident as the native API answers it (never the reporter's name or key); `history` adds its audit trail.

    `due` (overdue, due soon at the moment of the answer) is given by the staff routes; others answer null.
    """
    body: dict[str, Any] = {
        "id": incident.id,
        "number": incident.number,
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
        "photo_details": _photo_details(incident),
        "field_task": None if incident.field_task is None else incident.field_task.value,
        "neighbour_grid": incident.neighbour_grid_code,
        "candidate_grids": _candidate_grids(incident),
        **_clock(incident, due),
    }
    if history:
        body["history"] = [_entry(entry) for entry in incident.audit]
    return body


class IncidentsResponse(JSONResponse):
    """An answer of incident bodies (`incident_body`) sent as built, not validated again against its answer model,
    and written by pydantic's serialiser: the same bytes as `JSONResponse` (non-finite numbers as null, as the
    models write them) in a fifth of the time, which a page of 200 incidents notices."""

    def render(self, content: Any) -> bytes:
        return to_json(content, inf_nan_mode="null")
