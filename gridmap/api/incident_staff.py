"""An incident as the staff routes answer it: the native body with its history, its due flags at this moment and,
while the report can still be marked a duplicate, the open incidents it may repeat (within the caller's scope)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gridmap.api.dependencies import Staff
from gridmap.api.incident_json import incident_body
from gridmap.incidents.duplicates import DuplicateCandidate
from gridmap.incidents.model import Incident
from gridmap.services import incident_clock
from gridmap.services.duplicates import candidates_for
from gridmap.store.incident_store import IncidentStore


def _candidate(candidate: DuplicateCandidate) -> dict[str, Any]:
    original = candidate.incident
    return {
        "id": original.id,
        "number": original.number,
        "status": original.status.value,
        "reported_at": original.state.reported_at.isoformat(),
        "description": original.description,
        "distance_m": round(candidate.distance_m, 1),
        "similarity": round(candidate.similarity, 1),
    }


def staff_body(
    incident: Incident, *, store: IncidentStore, staff: Staff, rules: incident_clock.IncidentRules
) -> dict[str, Any]:
    """The incident with its history, due flags and duplicate candidates, as staff read it."""
    due = incident_clock.flags(incident, incident_clock.flags_at(rules, datetime.now(UTC)))
    candidates = candidates_for(store=store, incident=incident, rules=rules.duplicates, scope=staff.scope)
    return {
        **incident_body(incident, history=True, due=due),
        "duplicate_candidates": [_candidate(candidate) for candidate in candidates],
    }
