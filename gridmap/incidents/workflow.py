"""The incident status workflow: allowed transitions and who may make them, as data, with an audit trail.

    reported -> accepted -> dispatched -> in_progress -> resolved -> closed
    reported | accepted -> rejected | duplicate;  dispatched -> accepted (handed back, e.g. wrong grid);
    resolved -> in_progress (reopened when the check fails)

Residents report, may move their pin before dispatch, and once an incident is closed rate it 1-5, once
(由邻评事); everything else is done by grid workers, dispatchers (planners) and admins. Each change yields
one `AuditEntry`, and `replay` rebuilds (and re-checks) a state from its trail.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from gridmap.errors import Conflict, Forbidden, InvalidInput


class Status(StrEnum):
    """Where an incident stands."""

    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class ActorRole(StrEnum):
    """Who acts on an incident; the staff roles have the values of the store's user roles."""

    RESIDENT = "resident"
    VIEWER = "viewer"
    WORKER = "worker"
    PLANNER = "planner"
    ADMIN = "admin"


class AuditAction(StrEnum):
    """What an audit entry records."""

    REPORT = "report"
    TRANSITION = "transition"
    RATE = "rate"
    MOVE = "move"  # the pin moved and the incident was re-routed


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.REPORTED: frozenset({Status.ACCEPTED, Status.REJECTED, Status.DUPLICATE}),
    Status.ACCEPTED: frozenset({Status.DISPATCHED, Status.REJECTED, Status.DUPLICATE}),
    Status.DISPATCHED: frozenset({Status.IN_PROGRESS, Status.ACCEPTED}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.DUPLICATE: frozenset(),
}

_STAFF = frozenset({ActorRole.WORKER, ActorRole.PLANNER, ActorRole.ADMIN})
_DISPATCHERS = frozenset({ActorRole.PLANNER, ActorRole.ADMIN})

# Who may move an incident into each status (the source status does not matter).
ROLES_FOR_STATUS: dict[Status, frozenset[ActorRole]] = {
    Status.ACCEPTED: _STAFF,
    Status.REJECTED: _STAFF,
    Status.DUPLICATE: _STAFF,
    Status.DISPATCHED: _DISPATCHERS,
    Status.IN_PROGRESS: _STAFF,
    Status.RESOLVED: _STAFF,
    Status.CLOSED: _DISPATCHERS,
}
ROLES_TO_RATE: frozenset[ActorRole] = frozenset({ActorRole.RESIDENT})
# Statuses that need a note saying why (a refusal or a reopening must be explained to the resident).
NOTE_REQUIRED: frozenset[Status] = frozenset({Status.REJECTED})
# Before dispatch the pin may move freely; afterwards the dispatcher must first take the incident back.
PIN_MOVABLE: frozenset[Status] = frozenset({Status.REPORTED, Status.ACCEPTED})
OPEN_STATUSES: frozenset[Status] = frozenset(s for s, nxt in TRANSITIONS.items() if nxt)
FINAL_STATUSES: frozenset[Status] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


@dataclass(frozen=True)
class IncidentState:
    """The workflow part of an incident: its status, timestamps and rating."""

    status: Status
    reported_at: datetime
    updated_at: datetime
    rating: int | None = None
    duplicate_of: str | None = None


RESIDENT_ACTOR = "resident"  # how a trail names every resident: never by name


@dataclass(frozen=True)
class AuditEntry:
    """One change to an incident: who, when, from which status to which, and why.

    Staff are named by their account; a resident's entry always says "resident" (whatever name was given),
    so that the trail, which every member of staff reads, holds no resident's name.
    """

    at: datetime
    actor: str
    role: ActorRole
    action: AuditAction
    from_status: Status | None
    to_status: Status
    note: str = ""
    rating: int | None = None
    duplicate_of: str | None = None

    def __post_init__(self) -> None:
        # Enforced here rather than by each caller: files and old rows named residents, and none may slip through.
        if self.role is ActorRole.RESIDENT and self.actor != RESIDENT_ACTOR:
            object.__setattr__(self, "actor", RESIDENT_ACTOR)


def parse_status(text: str | Status) -> Status:
    """The status named by `text`, or InvalidInput listing the statuses."""
    try:
        return Status(text)
    except ValueError:
        msg = f"unknown incident status {text!r}; use one of {', '.join(s.value for s in Status)}"
        raise InvalidInput(msg) from None


def parse_role(text: str | ActorRole) -> ActorRole:
    """The role named by `text`, or InvalidInput listing the roles."""
    try:
        return ActorRole(text)
    except ValueError:
        msg = f"unknown role {text!r}; use one of {', '.join(r.value for r in ActorRole)}"
        raise InvalidInput(msg) from None


def allowed_next(status: Status) -> list[Status]:
    """The statuses reachable from `status` in one step, in workflow order."""
    return [s for s in Status if s in TRANSITIONS[status]]


def report(*, actor: str, role: ActorRole | str, at: datetime, note: str = "") -> tuple[IncidentState, AuditEntry]:
    """A new incident's state and the audit entry recording its report (anyone but a viewer may report)."""
    role = parse_role(role)
    _check_actor(actor, at)
    if role is ActorRole.VIEWER:
        msg = f"{actor} is a viewer; reporting needs a resident, worker, planner or admin"
        raise Forbidden(msg)
    state = IncidentState(status=Status.REPORTED, reported_at=at, updated_at=at)
    return state, AuditEntry(at, actor, role, AuditAction.REPORT, None, Status.REPORTED, note.strip())


def transition(
    state: IncidentState,
    to: Status | str,
    *,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
    duplicate_of: str | None = None,
) -> tuple[IncidentState, AuditEntry]:
    """The state after moving to `to`, and its audit entry; refuses illegal steps, roles and times."""
    target = parse_status(to)
    role = parse_role(role)
    _check_actor(actor, at)
    if target not in TRANSITIONS[state.status]:
        nexts = allowed_next(state.status)
        then = f"allowed next: {', '.join(nexts)}" if nexts else f"{state.status} is final"
        msg = f"an incident cannot go from {state.status} to {target}; {then}"
        raise Conflict(msg)
    allowed_roles = ROLES_FOR_STATUS[target]
    if role not in allowed_roles:
        who = " or ".join(r.value for r in ActorRole if r in allowed_roles)
        msg = f"{actor} is a {role}; moving an incident to {target} needs a {who}"
        raise Forbidden(msg)
    _check_time(state, at)
    note = note.strip()
    if target in NOTE_REQUIRED and not note:
        msg = f"moving an incident to {target} needs a note saying why (the reporter is told)"
        raise InvalidInput(msg)
    if target is Status.DUPLICATE and not (duplicate_of and duplicate_of.strip()):
        msg = "marking an incident a duplicate needs duplicate_of, the id of the incident it repeats"
        raise InvalidInput(msg)
    original = duplicate_of.strip() if target is Status.DUPLICATE and duplicate_of else None
    new_state = replace(state, status=target, updated_at=at, duplicate_of=original or state.duplicate_of)
    entry = AuditEntry(at, actor, role, AuditAction.TRANSITION, state.status, target, note, None, original)
    return new_state, entry


def rate(
    state: IncidentState, rating: int, *, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> tuple[IncidentState, AuditEntry]:
    """The state after a resident rates a closed incident 1-5 (once), and its audit entry."""
    role = parse_role(role)
    _check_actor(actor, at)
    if role not in ROLES_TO_RATE:
        msg = f"{actor} is a {role}; only the residents served may rate an incident"
        raise Forbidden(msg)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        msg = f"a rating is a whole number from 1 to 5, not {rating!r}"
        raise InvalidInput(msg)
    if state.status is not Status.CLOSED:
        msg = f"only a closed incident can be rated; this one is {state.status}"
        raise Conflict(msg)
    if state.rating is not None:
        msg = f"this incident was already rated ({state.rating}); a rating is given once"
        raise Conflict(msg)
    _check_time(state, at)
    new_state = replace(state, rating=rating, updated_at=at)
    return new_state, AuditEntry(at, actor, role, AuditAction.RATE, state.status, state.status, note.strip(), rating)


def record_move(
    state: IncidentState, *, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> tuple[IncidentState, AuditEntry]:
    """The state after the pin moved (reporter or staff, before dispatch), and its audit entry."""
    role = parse_role(role)
    _check_actor(actor, at)
    if role is ActorRole.VIEWER:
        msg = f"{actor} is a viewer; moving the pin needs the reporter, a worker, planner or admin"
        raise Forbidden(msg)
    if state.status not in PIN_MOVABLE:
        msg = f"the pin of a {state.status} incident cannot move; move it while reported or accepted"
        raise Conflict(msg)
    _check_time(state, at)
    entry = AuditEntry(at, actor, role, AuditAction.MOVE, state.status, state.status, note.strip())
    return replace(state, updated_at=at), entry


def replay(entries: list[AuditEntry]) -> IncidentState:
    """The state an audit trail leads to, checking every step again (e.g. to verify a stored trail)."""
    if not entries or entries[0].action is not AuditAction.REPORT:
        msg = "an audit trail starts with the report"
        raise InvalidInput(msg)
    first = entries[0]
    state, _ = report(actor=first.actor, role=first.role, at=first.at)
    for entry in entries[1:]:
        if entry.action is AuditAction.RATE:
            if entry.rating is None:
                msg = f"the rating entry at {entry.at.isoformat()} has no rating"
                raise InvalidInput(msg)
            state, _ = rate(state, entry.rating, actor=entry.actor, role=entry.role, at=entry.at)
        elif entry.action is AuditAction.MOVE:
            state, _ = record_move(state, actor=entry.actor, role=entry.role, at=entry.at)
        elif entry.action is AuditAction.TRANSITION:
            state, _ = transition(
                state,
                entry.to_status,
                actor=entry.actor,
                role=entry.role,
                at=entry.at,
                note=entry.note,
                duplicate_of=entry.duplicate_of,
            )
        else:
            msg = f"a second report entry at {entry.at.isoformat()}"
            raise InvalidInput(msg)
    return state


def _check_actor(actor: str, at: datetime) -> None:
    if not actor or not actor.strip():
        msg = "every change to an incident names who made it (actor)"
        raise InvalidInput(msg)
    if at.tzinfo is None or at.utcoffset() is None:
        msg = f"time {at.isoformat()} has no time zone; give an aware datetime"
        raise InvalidInput(msg)


def _check_time(state: IncidentState, at: datetime) -> None:
    if at < state.updated_at:
        msg = f"time {at.isoformat()} is before the incident's last change at {state.updated_at.isoformat()}"
        raise InvalidInput(msg)
