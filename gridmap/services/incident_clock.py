"""Incident numbers and time limits as use cases: the rules a deployment sets (number prefix, time-limit file,
"due soon" window), the clock started with each report and step, the hold and extension requests a dispatcher
decides on, sending back, and the due-time filters of the staff queues.

The pure rules are `gridmap.incidents.deadlines` and `gridmap.incidents.calendar`; this module joins them to the
store. A year the working calendar does not know never loses a report: the incident is stored without a due
time and the log says which year to declare (docs/incidents.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from gridmap.errors import CalendarNotCovered, InvalidInput
from gridmap.incidents import deadlines
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.deadlines import DueFlags, TimeLimits, load_time_limits
from gridmap.incidents.duplicates import DuplicateRules
from gridmap.incidents.field_loop import settle_task
from gridmap.incidents.model import Incident
from gridmap.incidents.numbers import DEFAULT_PREFIX, check_prefix
from gridmap.incidents.taxonomy import Taxonomy, default_taxonomy, load_taxonomy
from gridmap.incidents.workflow import ActorRole
from gridmap.services.incident_access import check_in_scope
from gridmap.store.incident_store import IncidentStore

if TYPE_CHECKING:
    from gridmap.settings import Settings

logger = logging.getLogger(__name__)
DEFAULT_DUE_SOON_H = 4.0
# Later than any due time the calendar can give: the end of a window that runs past the calendar's known years.
BEYOND_CALENDAR = datetime(9999, 1, 1, tzinfo=UTC)


class Acting(TypedDict):
    """Who acts on an incident's clock (name and role, as the trail records them), when, and which incidents they
    reach (None: all): the arguments every clock action takes, given as `**acting` by the API and the CLI."""

    actor: str
    role: ActorRole | str
    at: datetime
    scope: IncidentScope | None


@dataclass(frozen=True)
class IncidentRules:
    """What a deployment sets for its incidents: the number prefix, the time limits, the "due soon" window, how
    near a report must be to an open incident to be offered as its duplicate, and the categories (with their
    private, after-photo and check flags)."""

    number_prefix: str
    limits: TimeLimits
    due_soon: timedelta  # working time
    duplicates: DuplicateRules = field(default_factory=DuplicateRules)
    taxonomy: Taxonomy = field(default_factory=default_taxonomy)

    @classmethod
    def load(
        cls,
        *,
        number_prefix: str = DEFAULT_PREFIX,
        time_limits: Path | None = None,
        due_soon_h: float = DEFAULT_DUE_SOON_H,
        duplicates: DuplicateRules | None = None,
        categories: Path | None = None,
    ) -> IncidentRules:
        """The rules from settings' values (the shipped time limits when `time_limits` is None, the default
        categories when `categories` is None); InvalidInput names the file and the field of a bad one."""
        if due_soon_h <= 0:
            msg = f"the due-soon window is a positive number of working hours, not {due_soon_h:g}"
            raise InvalidInput(msg)
        limits = load_time_limits(time_limits)
        taxonomy = default_taxonomy() if categories is None else load_taxonomy(categories)
        return cls(
            check_prefix(number_prefix), limits, timedelta(hours=due_soon_h), duplicates or DuplicateRules(), taxonomy
        )


def rules_from_settings(settings: Settings) -> IncidentRules:
    """The deployment's incident rules from its settings: loaded once by the server at start-up and by a command."""
    return IncidentRules.load(
        number_prefix=settings.incident_number_prefix,
        time_limits=settings.time_limits,
        due_soon_h=settings.due_soon_hours,
        duplicates=DuplicateRules(
            settings.duplicate_distance_m, settings.duplicate_days, settings.duplicate_min_similarity
        ),
        categories=settings.categories_file,
    )


@cache
def default_rules() -> IncidentRules:
    """The shipped rules (prefix SN, the shipped time limits), for callers that were given none."""
    return IncidentRules.load()


def started(incident: Incident, rules: IncidentRules, at: datetime) -> Incident:
    """The incident with its current stage's clock started at `at`; no due time when the calendar cannot tell."""
    try:
        return deadlines.start_stage(incident, rules.limits, at)
    except CalendarNotCovered as exc:
        logger.warning("incident %s stored without a due time: %s", incident.id, exc.detail)
        return replace(incident, due_at=None, held_since=None)


def stepped(before: Incident, after: Incident, rules: IncidentRules) -> Incident:
    """`after` (one workflow step on from `before`) with its clock restarted when the step entered another stage.

    Going from dispatched to in progress keeps the handling clock (and a rating or a pin move keeps any);
    every other step enters another stage, a reopening and a handing back included.
    """
    if deadlines.stage_of(before.status) is deadlines.stage_of(after.status):
        return after
    return started(after, rules, after.state.updated_at)


def due_window(rules: IncidentRules, now: datetime, hours: float) -> datetime:
    """The moment `hours` of working time after `now`, or BEYOND_CALENDAR when that lies past the known years.

    The calendar walks forward day by day and stops at the first day of a year it does not know, so the
    window then ends after every moment it knows, and every stored due time (which it computed) lies within.
    """
    if hours < 0:
        msg = f"a due window is a number of working hours from 0 up, not {hours:g}"
        raise InvalidInput(msg)
    try:
        return rules.limits.calendar.add(now, timedelta(hours=hours))
    except CalendarNotCovered:
        return BEYOND_CALENDAR


def flags_at(rules: IncidentRules, now: datetime) -> tuple[datetime, datetime]:
    """`now` and the end of its "due soon" window, for `flags`."""
    return now, due_window(rules, now, rules.due_soon.total_seconds() / 3600)


def flags(incident: Incident, moment: tuple[datetime, datetime]) -> DueFlags:
    """Overdue and due soon at the moment of `flags_at`."""
    now, soon_until = moment
    return deadlines.due_flags(incident, now=now, soon_until=soon_until)


def send_back(
    *,
    store: IncidentStore,
    rules: IncidentRules,
    incident_id: str,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str,
    scope: IncidentScope | None = None,
) -> Incident:
    """The incident sent back to its previous stage with a reason (回退), its clock restarted there."""

    def sent_back(incident: Incident) -> Incident:
        check_in_scope(incident, scope)
        sent = deadlines.send_incident_back(incident, actor=actor, role=role, at=at, note=note)
        return settle_task(incident, started(sent, rules, at))

    return store.change_incident(incident_id, sent_back)


def request_time(
    *,
    store: IncidentStore,
    incident_id: str,
    hold: bool,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str,
    hours: float | None = None,
    scope: IncidentScope | None = None,
) -> Incident:
    """The incident with a request to hold its clock (挂账) or extend its limit by `hours` (延期), for a dispatcher."""

    def requested(incident: Incident) -> Incident:
        check_in_scope(incident, scope)
        return deadlines.request_time(incident, hold=hold, actor=actor, role=role, at=at, note=note, hours=hours)

    return store.change_incident(incident_id, requested)


def decide_time_request(
    *,
    store: IncidentStore,
    rules: IncidentRules,
    incident_id: str,
    approve: bool,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
    scope: IncidentScope | None = None,
) -> Incident:
    """The incident after a dispatcher approved (moving the clock) or refused its pending request."""

    def decided(incident: Incident) -> Incident:
        check_in_scope(incident, scope)
        return deadlines.decide_request(
            incident, rules.limits, approve=approve, actor=actor, role=role, at=at, note=note
        )

    return store.change_incident(incident_id, decided)


def release_hold(
    *,
    store: IncidentStore,
    rules: IncidentRules,
    incident_id: str,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
    scope: IncidentScope | None = None,
) -> Incident:
    """The incident with its clock running again and its due time moved by the working time held."""

    def released(incident: Incident) -> Incident:
        check_in_scope(incident, scope)
        return deadlines.release_hold(incident, rules.limits, actor=actor, role=role, at=at, note=note)

    return store.change_incident(incident_id, released)
