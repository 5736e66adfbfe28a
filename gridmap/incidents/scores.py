"""Scores of incident handling (考核, in the manner of GB/T 30428.4) per grid, worker, community or category.

The formulas are stated in docs/incidents.md ("Scoring"). In short, over the incidents reported in a period:

- response rate (按时响应率) = incidents whose first response (filing, rejecting or marking a duplicate) came by
  the filing stage's due time / incidents whose response is due (responded, or still waiting past the due time);
- resolution rate (按时处置率) = incidents resolved by the handling stage's due time (every handling up to the
  first resolution on time) / incidents whose resolution is due (resolved, or in handling past the due time,
  or handed back late);
- reopen rate (返工率) = incidents reopened after a failed check / incidents resolved;
- satisfaction rate (满意率) = incidents rated 4 or 5 / incidents rated.

Due times are replayed from each trail with the time limits on the working calendar (holds and approved
extensions included), as the desk's clock set them. Outcomes are scored, never movement: nothing here knows
where anyone walked. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gridmap.errors import CalendarNotCovered, InvalidInput
from gridmap.incidents.deadlines import Stage, TimeLimits, stage_of
from gridmap.incidents.model import Incident
from gridmap.incidents.workflow import AuditAction, AuditEntry, Status

SATISFIED_FROM = 4  # ratings of 4 and 5 (of 1-5) count as satisfied (满意)


class ScoreBy(StrEnum):
    """What the scores are grouped by."""

    GRID = "grid"
    WORKER = "worker"  # the worker the incident was routed to
    COMMUNITY = "community"
    CATEGORY = "category"


class Timeliness(StrEnum):
    """How a stage went against its due time, at the moment of scoring."""

    ON_TIME = "on_time"
    LATE = "late"
    NOT_DUE = "not_due"  # still in the stage, its due time not reached: not scored yet


@dataclass(frozen=True)
class StageVisit:
    """One stay of an incident in a stage: when it entered and left (None: still there), where it went, and the
    due time in force when it left (or now), with the hold in force then."""

    stage: Stage
    entered_at: datetime
    left_at: datetime | None
    left_to: Status | None
    due_at: datetime | None  # None: the calendar did not know the year
    held_since: datetime | None

    def timeliness(self, as_of: datetime) -> Timeliness | None:
        """On time, late or not due yet at `as_of`; None without a due time.

        A held clock stands still: a stage left (or still open) while held is late only when the hold began after
        the due time had passed.
        """
        if self.due_at is None:
            return None
        end = self.left_at or as_of
        late = self.held_since > self.due_at if self.held_since is not None else end > self.due_at
        if late:
            return Timeliness.LATE
        return Timeliness.NOT_DUE if self.left_at is None else Timeliness.ON_TIME


@dataclass(frozen=True)
class IncidentOutcome:
    """What one incident counts for in the scores; a timeliness of None is not scored."""

    filed: bool
    response: Timeliness | None
    resolution: Timeliness | None
    resolved: bool
    reopened: bool
    rating: int | None


@dataclass(frozen=True)
class ScoreRow:
    """The scores of one grid, worker, community or category (`key`; None: incidents routed to none)."""

    key: str | None
    reports: int = 0
    filed: int = 0
    response_due: int = 0
    responded_on_time: int = 0
    resolution_due: int = 0
    resolved_on_time: int = 0
    resolved: int = 0
    reopened: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def response_rate(self) -> float | None:
        """On-time responses / responses due."""
        return _share(self.responded_on_time, self.response_due)

    @property
    def resolution_rate(self) -> float | None:
        """On-time resolutions / resolutions due."""
        return _share(self.resolved_on_time, self.resolution_due)

    @property
    def reopen_rate(self) -> float | None:
        """Reopened / resolved."""
        return _share(self.reopened, self.resolved)

    @property
    def satisfaction_rate(self) -> float | None:
        """Rated 4 or 5 / rated."""
        return _share(self.satisfied, self.rated)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class _Stay:
    """The stage an incident is in while its trail is replayed, with its clock."""

    stage: Stage
    entered_at: datetime
    due_at: datetime | None
    held_since: datetime | None = None

    def left(self, at: datetime | None, to: Status | None) -> StageVisit:
        return StageVisit(self.stage, self.entered_at, at, to, self.due_at, self.held_since)

    def clock_step(self, entry: AuditEntry, limits: TimeLimits) -> None:
        """An approved hold, a release or an approved extension, applied as the desk's clock applies it."""
        due, calendar = self.due_at, limits.calendar
        if entry.action is AuditAction.HOLD_APPROVE:
            self.held_since = entry.at
        elif entry.action is AuditAction.HOLD_RELEASE and self.held_since is not None:
            held_for = calendar.between(self.held_since, entry.at)
            self.held_since = None
            self.due_at = None if due is None else _known(lambda: calendar.add(due, held_for))
        elif entry.action is AuditAction.EXTEND_APPROVE and entry.hours is not None and due is not None:
            self.due_at = _known(lambda: calendar.add(due, timedelta(hours=entry.hours or 0)))


def _known(due: Callable[[], datetime]) -> datetime | None:
    """The due time `due()` gives, or None where the calendar does not know the year (then not scored)."""
    try:
        return due()
    except CalendarNotCovered:
        return None


def stage_visits(incident: Incident, limits: TimeLimits) -> list[StageVisit]:
    """The incident's stays in the stages, replayed from its trail with `limits` (as the desk's clock ran)."""
    visits: list[StageVisit] = []
    stay: _Stay | None = None

    def enter(stage: Stage | None, at: datetime) -> _Stay | None:
        if stage is None:
            return None
        return _Stay(stage, at, _known(lambda: limits.due(incident.category, stage, at)))

    for entry in incident.audit:
        if entry.action is AuditAction.REPORT:
            stay = enter(Stage.FILE, entry.at)
        elif entry.from_status is not entry.to_status and _changes_stage(entry):
            # Any change of status moves the clock: steps, sending back, a failed check (resolved -> in progress)
            # and a duplicate unlinked (open again) alike.
            if stay is not None:
                visits.append(stay.left(entry.at, entry.to_status))
            stay = enter(stage_of(entry.to_status), entry.at)
        elif stay is not None:
            stay.clock_step(entry, limits)
    if stay is not None:
        visits.append(stay.left(None, None))
    return visits


def _changes_stage(entry: AuditEntry) -> bool:
    return entry.from_status is None or stage_of(entry.from_status) is not stage_of(entry.to_status)


def outcome(incident: Incident, limits: TimeLimits, *, as_of: datetime) -> IncidentOutcome:
    """What the incident counts for at `as_of`."""
    visits = stage_visits(incident, limits)
    first_response = visits[0].timeliness(as_of) if visits and visits[0].stage is Stage.FILE else None
    statuses = [(entry.from_status, entry.to_status) for entry in incident.audit]
    return IncidentOutcome(
        filed=(Status.REPORTED, Status.ACCEPTED) in statuses,
        response=first_response,
        resolution=_resolution(visits, as_of),
        resolved=any(to is Status.RESOLVED for _, to in statuses),
        reopened=(Status.RESOLVED, Status.IN_PROGRESS) in statuses,
        rating=incident.state.rating,
    )


def _resolution(visits: list[StageVisit], as_of: datetime) -> Timeliness | None:
    """The handling up to the first resolution: late when any stay in it was late; None when never handled,
    when a due time is unknown, or when it left handling unresolved without being late."""
    considered: list[StageVisit] = []
    for visit in (v for v in visits if v.stage is Stage.HANDLE):
        considered.append(visit)
        if visit.left_to is Status.RESOLVED:
            break
    results = [visit.timeliness(as_of) for visit in considered]
    if not considered or None in results:
        return None
    if Timeliness.LATE in results:
        return Timeliness.LATE
    if considered[-1].left_to is Status.RESOLVED:
        return Timeliness.ON_TIME
    return Timeliness.NOT_DUE if considered[-1].left_at is None else None


def parse_score_by(text: str | ScoreBy) -> ScoreBy:
    """What the scores are grouped by; InvalidInput listing the choices."""
    try:
        return ScoreBy(text)
    except ValueError:
        msg = f"scores are grouped by {', '.join(b.value for b in ScoreBy)}, not {text!r}"
        raise InvalidInput(msg) from None


def group_key(incident: Incident, by: ScoreBy) -> str | None:
    """The grid, worker, community or category an incident is scored under."""
    return {
        ScoreBy.GRID: incident.grid_code,
        ScoreBy.WORKER: incident.worker,
        ScoreBy.COMMUNITY: incident.community_code,
        ScoreBy.CATEGORY: incident.category,
    }[by]


def score(incidents: Iterable[Incident], limits: TimeLimits, *, by: ScoreBy | str, as_of: datetime) -> list[ScoreRow]:
    """Scores per `by` of `incidents` (those of the period) at `as_of`, in key order (incidents routed to none last)."""
    group = parse_score_by(by)
    counts: dict[str | None, dict[str, int]] = {}
    for incident in incidents:
        tally = counts.setdefault(group_key(incident, group), dict.fromkeys(_COUNTED, 0))
        for name, counted in _counts(outcome(incident, limits, as_of=as_of)).items():
            tally[name] += counted
    keys = sorted(counts, key=lambda key: (key is None, key or ""))
    return [ScoreRow(key, **counts[key]) for key in keys]


_COUNTED = (
    "reports",
    "filed",
    "response_due",
    "responded_on_time",
    "resolution_due",
    "resolved_on_time",
    "resolved",
    "reopened",
    "rated",
    "satisfied",
)


def _counts(result: IncidentOutcome) -> dict[str, int]:
    scored = {Timeliness.ON_TIME, Timeliness.LATE}
    return {
        "reports": 1,
        "filed": int(result.filed),
        "response_due": int(result.response in scored),
        "responded_on_time": int(result.response is Timeliness.ON_TIME),
        "resolution_due": int(result.resolution in scored),
        "resolved_on_time": int(result.resolution is Timeliness.ON_TIME),
        "resolved": int(result.resolved),
        "reopened": int(result.reopened),
        "rated": int(result.rating is not None),
        "satisfied": int(result.rating is not None and result.rating >= SATISFIED_FROM),
    }
