"""Duplicate candidates of a report, for the dispatcher filing it: the open incidents near in place, time and
words (`gridmap.incidents.duplicates`), found among those the dispatcher may see."""

from __future__ import annotations

from datetime import timedelta

from gridmap.geo.metric import degrees_reaching
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.duplicates import MARKABLE, DuplicateCandidate, DuplicateRules, duplicate_candidates
from gridmap.incidents.model import Incident
from gridmap.incidents.workflow import OPEN_STATUSES
from gridmap.store.incident_store import IncidentFilter, IncidentStore

# Open incidents of one category within 50 m and a week are few; more than this many is a hot spot, not a choice.
MAX_NEARBY = 200


def candidates_for(
    *, store: IncidentStore, incident: Incident, rules: DuplicateRules, scope: IncidentScope | None
) -> list[DuplicateCandidate]:
    """The open incidents within `scope` that `incident` may repeat; none once it is past filing (or final)."""
    if incident.status not in MARKABLE:
        return []
    reach = degrees_reaching(rules.distance_m, incident.lat)
    reported_at = incident.state.reported_at
    where = IncidentFilter(
        statuses=OPEN_STATUSES,
        category=incident.category,
        bbox=(incident.lon - reach, incident.lat - reach, incident.lon + reach, incident.lat + reach),
        reported_since=reported_at - rules.window,
        reported_before=reported_at + timedelta(microseconds=1),
        scope=scope,
    )
    nearby = store.list_incidents(where, limit=MAX_NEARBY).incidents
    return duplicate_candidates(incident, nearby, rules)
