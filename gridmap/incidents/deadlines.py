"""Time limits of the workflow's stages, due times, holds (挂账), extensions (延期) and sending back (回退).

Each open status belongs to a stage: file (reported), dispatch (accepted), handle (dispatched, in progress)
and check (resolved). Entering a stage starts its clock: the due time is the stage's limit for the
category, in working time (`gridmap.incidents.calendar`), after the moment of entry. A worker may ask to hold
the clock or extend the limit, with a reason; a dispatcher approves or refuses. An approved extension moves
the due time by the working hours granted; an approved hold stops the clock until a dispatcher releases it,
and the due time then moves by the working time the hold lasted.

The limits come from a TOML file (the shipped `time_limits.toml` unless GRIDMAP_TIME_LIMITS names another);
everything else here is pure.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from gridmap.errors import Conflict, InvalidInput
from gridmap.incidents.calendar import DEFAULT_PERIODS, DeclaredYear, WorkingCalendar
from gridmap.incidents.model import Incident
from gridmap.incidents.workflow import ActorRole, AuditAction, AuditEntry, Status, clock_entry, send_back

DEFAULT_TIME_LIMITS = Path(__file__).with_name("time_limits.toml")
MAX_EXTENSION_H = 2000.0  # about a working year: more is a typo


class Stage(StrEnum):
    """A stage of the loop, each with its own time limit."""

    FILE = "file"  # reported -> accepted (立案)
    DISPATCH = "dispatch"  # accepted -> dispatched (派遣)
    HANDLE = "handle"  # dispatched -> resolved (处置)
    CHECK = "check"  # resolved -> closed (核查结案)


STAGE_OF_STATUS: dict[Status, Stage] = {
    Status.REPORTED: Stage.FILE,
    Status.ACCEPTED: Stage.DISPATCH,
    Status.DISPATCHED: Stage.HANDLE,
    Status.IN_PROGRESS: Stage.HANDLE,
    Status.RESOLVED: Stage.CHECK,
}
_DECISIONS = {
    AuditAction.HOLD_REQUEST: (AuditAction.HOLD_APPROVE, AuditAction.HOLD_REFUSE),
    AuditAction.EXTEND_REQUEST: (AuditAction.EXTEND_APPROVE, AuditAction.EXTEND_REFUSE),
}
# A request on the time limit, and the answers to one: `pending_request` looks back for these (the store too).
TIME_REQUESTS = frozenset(_DECISIONS)
TIME_DECISIONS = frozenset(action for pair in _DECISIONS.values() for action in pair)
_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def stage_of(status: Status) -> Stage | None:
    """The stage an incident in `status` is in; None for a final status."""
    return STAGE_OF_STATUS.get(status)


@dataclass(frozen=True)
class TimeLimits:
    """Working-time limits per stage, by default and per category, on a working calendar."""

    calendar: WorkingCalendar
    default: Mapping[Stage, timedelta]
    by_category: Mapping[str, Mapping[Stage, timedelta]] = field(default_factory=dict)

    def limit(self, category: str, stage: Stage) -> timedelta:
        """The working time allowed for `stage` of an incident of `category`."""
        return self.by_category.get(category, {}).get(stage, self.default[stage])

    def due(self, category: str, stage: Stage, start: datetime) -> datetime:
        """When `stage` entered at `start` runs out of time (CalendarNotCovered past the calendar's years)."""
        return self.calendar.add(start, self.limit(category, stage))


def load_time_limits(path: Path | None = None) -> TimeLimits:
    """The time limits of a TOML file (the shipped defaults when `path` is None); InvalidInput naming what is wrong."""
    source = path or DEFAULT_TIME_LIMITS
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"cannot read the time limits in {source}: {exc}"
        raise InvalidInput(msg) from None
    return parse_time_limits(data, source=str(source))


def parse_time_limits(data: Mapping[str, Any], *, source: str = "the time limits") -> TimeLimits:
    """Time limits from the parsed TOML (`working_hours`, `default`, `categories`, `calendar.years`)."""
    periods = tuple(_period(text, source) for text in data.get("working_hours", {}).get("periods", []))
    years = data.get("calendar", {}).get("years", {})
    declared = {int(year): _declared_year(int(year), days, source) for year, days in years.items()}
    calendar = WorkingCalendar(periods=periods or DEFAULT_PERIODS, declared=declared)
    default = _stage_limits(data.get("default", {}), calendar, f"{source} [default]")
    if missing := [stage.value for stage in Stage if stage not in default]:
        msg = f"{source} [default] needs a limit for every stage; missing: {', '.join(missing)}"
        raise InvalidInput(msg)
    by_category = {
        code: _stage_limits(limits, calendar, f"{source} [categories.{code}]")
        for code, limits in data.get("categories", {}).items()
    }
    return TimeLimits(calendar=calendar, default=default, by_category=by_category)


def _stage_limits(table: Mapping[str, Any], calendar: WorkingCalendar, where: str) -> dict[Stage, timedelta]:
    limits: dict[Stage, timedelta] = {}
    for name, text in table.items():
        try:
            stage = Stage(name)
        except ValueError:
            msg = f"{where}: unknown stage {name!r}; use {', '.join(s.value for s in Stage)}"
            raise InvalidInput(msg) from None
        match = _LIMIT.match(str(text))
        if match is None or float(match[1]) <= 0:
            msg = f'{where}: limit {text!r} for {name} is not a positive number of working hours or days ("4h", "2d")'
            raise InvalidInput(msg)
        amount = float(match[1])
        limits[stage] = calendar.day_length * amount if match[2] == "d" else timedelta(hours=amount)
    return limits


def _period(text: str, source: str) -> tuple[time, time]:
    match = _PERIOD.match(text)
    try:
        if match is None:
            raise ValueError
        return time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
    except ValueError:
        msg = f'{source}: working period {text!r} is not written like "08:30-12:00"'
        raise InvalidInput(msg) from None


def _declared_year(year: int, days: Mapping[str, Any], source: str) -> DeclaredYear:
    def dates(name: str) -> frozenset[date]:
        try:
            parsed = frozenset(date.fromisoformat(str(text)) for text in days.get(name, []))
        except ValueError:
            msg = f"{source} [calendar.years.{year}] {name}: write each day as YYYY-MM-DD"
            raise InvalidInput(msg) from None
        if any(day.year != year for day in parsed):
            msg = f"{source} [calendar.years.{year}] {name} holds a day of another year"
            raise InvalidInput(msg)
        return parsed

    return DeclaredYear(holidays=dates("holidays"), workdays=dates("workdays"))


# The clock of one incident.


def start_stage(incident: Incident, limits: TimeLimits, at: datetime) -> Incident:
    """The incident with the clock of its current stage started at `at` (no due time once final; no hold)."""
    stage = stage_of(incident.status)
    due_at = None if stage is None else limits.due(incident.category, stage, at)
    return replace(incident, due_at=due_at, held_since=None)


def pending_request(incident: Incident) -> AuditEntry | None:
    """The hold or extension request still waiting for a dispatcher in the current status, if any."""
    for entry in reversed(incident.audit):
        if entry.action in TIME_REQUESTS:
            return entry
        if entry.action in TIME_DECISIONS or entry.from_status is not entry.to_status:
            return None
    return None


def send_incident_back(incident: Incident, *, actor: str, role: ActorRole | str, at: datetime, note: str) -> Incident:
    """The incident sent back to its previous stage with a reason; the caller starts that stage's clock."""
    state, entry = send_back(incident.state, actor=actor, role=role, at=at, note=note)
    return replace(incident, state=state, audit=(*incident.audit, entry))


def request_time(
    incident: Incident,
    *,
    hold: bool,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str,
    hours: float | None = None,
) -> Incident:
    """The incident with a worker's request to hold its clock (`hold`) or extend its limit by `hours`."""
    if pending_request(incident) is not None:
        msg = "a request on this incident's time limit is waiting for a dispatcher; decide on it first"
        raise Conflict(msg)
    if hold and incident.held_since is not None:
        msg = "this incident's clock is held already"
        raise Conflict(msg)
    if not hold and (hours is None or not 0 < hours <= MAX_EXTENSION_H):
        msg = f"an extension asks for more working hours: a number from 0 to {MAX_EXTENSION_H:g}"
        raise InvalidInput(msg)
    action = AuditAction.HOLD_REQUEST if hold else AuditAction.EXTEND_REQUEST
    state, entry = clock_entry(incident.state, action, actor=actor, role=role, at=at, note=note, hours=hours)
    return replace(incident, state=state, audit=(*incident.audit, entry))


def decide_request(
    incident: Incident,
    limits: TimeLimits,
    *,
    approve: bool,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
) -> Incident:
    """The incident after a dispatcher approved or refused its pending request (an approval moves the clock)."""
    request = pending_request(incident)
    if request is None:
        msg = "there is no request on this incident's time limit to decide on"
        raise Conflict(msg)
    approval, refusal = _DECISIONS[request.action]
    action = approval if approve else refusal
    state, entry = clock_entry(incident.state, action, actor=actor, role=role, at=at, note=note, hours=request.hours)
    decided = replace(incident, state=state, audit=(*incident.audit, entry))
    if action is AuditAction.HOLD_APPROVE:
        return replace(decided, held_since=at)
    if action is AuditAction.EXTEND_APPROVE and incident.due_at is not None and request.hours is not None:
        return replace(decided, due_at=limits.calendar.add(incident.due_at, timedelta(hours=request.hours)))
    return decided


def release_hold(
    incident: Incident, limits: TimeLimits, *, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> Incident:
    """The incident with its clock running again, its due time later by the working time the hold lasted."""
    if incident.held_since is None:
        msg = "this incident's clock is not held"
        raise Conflict(msg)
    state, entry = clock_entry(incident.state, AuditAction.HOLD_RELEASE, actor=actor, role=role, at=at, note=note)
    held = limits.calendar.between(incident.held_since, at)
    due_at = None if incident.due_at is None else limits.calendar.add(incident.due_at, held)
    return replace(incident, state=state, audit=(*incident.audit, entry), due_at=due_at, held_since=None)


@dataclass(frozen=True)
class DueFlags:
    """Where an incident stands against its time limit at a moment."""

    overdue: bool
    due_soon: bool


def due_flags(incident: Incident, *, now: datetime, soon_until: datetime) -> DueFlags:
    """Overdue (due before `now`) or due soon (by `soon_until`, N working hours on); neither while held or final."""
    if incident.due_at is None or incident.held_since is not None:
        return DueFlags(overdue=False, due_soon=False)
    overdue = incident.due_at < now
    return DueFlags(overdue=overdue, due_soon=not overdue and incident.due_at <= soon_until)
