"""Incidents as GeoJSON: one Point feature per incident, its fields as properties and its audit trail.

The file is what `python -m gridmap_demo sample` writes to `data/sample/incidents.geojson` and what
`gridmap demo load` imports. Times are ISO 8601 in China time; the trail lists each audit entry with only the
fields it uses (`action` only when it is not a transition). Reading replays every trail through the
workflow (`workflow.replay`), so a file whose trail and status disagree is refused naming the feature.
A resident's name and phone are the feature's `contact` (stored apart from the incident); files written
before contacts were kept apart name the resident in `reporter`, which reading moves into the contact.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridmap.errors import GridmapError, InvalidInput
from gridmap.incidents.model import Channel, Contact, Incident
from gridmap.incidents.stats import CHINA_TIME
from gridmap.incidents.workflow import (
    RESIDENT_ACTOR,
    ActorRole,
    AuditAction,
    AuditEntry,
    IncidentState,
    Status,
    replay,
)

# The geometry and the trail are not plain properties. The desk's live state stays in the store: the photos'
# records (with their bytes), a task waiting for the worker and a near-boundary report's neighbour grid.
_KEPT_APART = ("lon", "lat", "state", "audit", "photos", "field_task", "neighbour_grid_code")


def incident_feature(incident: Incident) -> dict[str, Any]:
    """One incident as a GeoJSON Feature (plain JSON values)."""
    properties: dict[str, Any] = {}
    for field in fields(Incident):
        if field.name not in _KEPT_APART:
            properties[field.name] = _plain(getattr(incident, field.name))
    state = incident.state
    properties.update(
        status=state.status.value,
        reported_at=_time(state.reported_at),
        updated_at=_time(state.updated_at),
        rating=state.rating,
        duplicate_of=state.duplicate_of,
        trail=[_entry_json(entry) for entry in incident.audit],
    )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [incident.lon, incident.lat]},
        "properties": properties,
    }


def incidents_geojson(incidents: Iterable[Incident]) -> str:
    """A FeatureCollection of incidents, one feature a line, keys sorted: the same incidents, the same bytes."""
    lines = [
        json.dumps(incident_feature(i), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
        for i in incidents
    ]
    return '{"features":[\n' + ",\n".join(lines) + '\n],"type":"FeatureCollection"}\n'


def read_incidents(path: Path) -> list[Incident]:
    """The incidents of a file `incidents_geojson` wrote; InvalidInput names the file and feature at fault."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        msg = f"{path}: cannot read the incidents file ({exc.strerror or exc})"
        raise InvalidInput(msg) from exc
    except json.JSONDecodeError as exc:
        msg = f"{path}: not valid JSON: {exc}"
        raise InvalidInput(msg) from exc
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        msg = f"{path}: not a GeoJSON FeatureCollection"
        raise InvalidInput(msg)
    incidents = []
    for number, feature in enumerate(features, start=1):
        try:
            incidents.append(feature_incident(feature))
        except (GridmapError, KeyError, TypeError, ValueError) as exc:
            detail = exc.detail if isinstance(exc, GridmapError) else f"{type(exc).__name__}: {exc}"
            msg = f"{path}: feature {number}: {detail}"
            raise InvalidInput(msg) from exc
    return incidents


def feature_incident(feature: dict[str, Any]) -> Incident:
    """The incident a feature describes; its trail is replayed and must lead to its status."""
    properties = dict(feature["properties"])
    lon, lat = (float(value) for value in feature["geometry"]["coordinates"][:2])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        msg = f"coordinates {lon}, {lat} are not finite numbers (NaN or Infinity)"
        raise InvalidInput(msg)
    trail = tuple(_entry(entry) for entry in properties.pop("trail"))
    replayed = replay(list(trail))
    state = IncidentState(
        status=Status(properties.pop("status")),
        reported_at=_parse_time(properties.pop("reported_at")),
        updated_at=_parse_time(properties.pop("updated_at")),
        rating=properties.pop("rating", None),
        duplicate_of=properties.pop("duplicate_of", None),
    )
    if replayed != state:
        msg = f"incident {properties.get('id')!r}: its trail leads to {replayed.status}, not to {state.status}"
        raise InvalidInput(msg)
    known = {field.name for field in fields(Incident)} - set(_KEPT_APART)
    values = {name: value for name, value in properties.items() if name in known}
    values["channel"] = Channel(values["channel"])
    values["photo_urls"] = tuple(values.get("photo_urls") or ())
    contact = Contact(**values.pop("contact", None) or {})
    if trail[0].role is ActorRole.RESIDENT and values["reporter"] != RESIDENT_ACTOR:
        # An older file: the resident's name moves into the contact.
        contact = Contact(name=contact.name or values["reporter"] or None, phone=contact.phone)
        values["reporter"] = RESIDENT_ACTOR
    return Incident(lon=lon, lat=lat, state=state, audit=trail, contact=None if contact.empty else contact, **values)


def _plain(value: object) -> object:
    if isinstance(value, Channel):
        return value.value
    if isinstance(value, Contact):
        return {"name": value.name, "phone": value.phone}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, datetime):
        return _time(value)
    return value


def _time(at: datetime) -> str:
    return at.astimezone(CHINA_TIME).isoformat()


def _parse_time(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        msg = f"time {text!r} has no time zone"
        raise InvalidInput(msg)
    return at.astimezone(UTC)


def _entry_json(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry with only the fields it uses."""
    data: dict[str, Any] = {"at": _time(entry.at), "actor": entry.actor, "role": entry.role.value}
    if entry.action is not AuditAction.TRANSITION:  # the usual action goes without saying
        data["action"] = entry.action.value
    data["to"] = entry.to_status.value
    if entry.from_status is not None:
        data["from"] = entry.from_status.value
    if entry.note:
        data["note"] = entry.note
    if entry.rating is not None:
        data["rating"] = entry.rating
    if entry.duplicate_of is not None:
        data["duplicate_of"] = entry.duplicate_of
    return data


def _entry(data: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        at=_parse_time(data["at"]),
        actor=data["actor"],
        role=ActorRole(data["role"]),
        action=AuditAction(data.get("action", AuditAction.TRANSITION.value)),
        from_status=Status(data["from"]) if "from" in data else None,
        to_status=Status(data["to"]),
        note=data.get("note", ""),
        rating=data.get("rating"),
        duplicate_of=data.get("duplicate_of"),
    )
