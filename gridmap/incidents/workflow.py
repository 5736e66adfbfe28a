"""The incident status workflow: allowed transitions and who may make them, as data, with an audit trail.

    reported -> accepted -> dispatched -> in_progress -> resolved -> closed
    reported | accepted -> rejected | duplicate;  dispatched -> accepted (handed back, e.g. wrong grid);
    resolved -> in_progress (reopened when the check fails)

Sending back (回退) returns an incident to the previous stage with a reason (`send_back`, `SEND_BACK_TO`).
Requests to hold (挂账) or extend (延期) the current stage's time limit, and a dispatcher's decision on them,
are audited here too (`CLOCK_ACTIONS`); what they do to the due time is `gridmap.incidents.deadlines`.
The field loop's actions (a worker verifying a report, 核实, and checking a fix, 核查), staff photos and
unlinking a duplicate are audited here as well (`FIELD_ACTIONS`); their rules are `gridmap.incidents.field_loop`.

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
    SEND_BACK = "send_back"  # back to the previous stage, with a reason (回退)
    HOLD_REQUEST = "hold_request"  # a worker asks to stop the clock (挂账)
    HOLD_APPROVE = "hold_approve"
    HOLD_REFUSE = "hold_refuse"
    HOLD_RELEASE = "hold_release"  # the clock runs again
    EXTEND_REQUEST = "extend_request"  # a worker asks for more working hours (延期)
    EXTEND_APPROVE = "extend_approve"
    EXTEND_REFUSE = "extend_refuse"
    VERIFY_REQUEST = "verify_request"  # a dispatcher asks the grid worker to verify a report before filing (核实)
    VERIFY_CONFIRM = "verify_confirm"  # the worker found it as reported
    VERIFY_REFUTE = "verify_refute"  # the worker found nothing of the kind (with a note)
    CHECK_REQUEST = "check_request"  # a dispatcher asks the worker to check a fix before closing (核查)
    CHECK_PASS = "check_pass"
    CHECK_FAIL = "check_fail"  # the fix did not hold: back to in progress (with a note)
    PHOTO = "photo"  # staff added photos (before or after the fix)
    UNLINK_DUPLICATE = "unlink_duplicate"  # a dispatcher undid a duplicate marking: the report is open again


# Actions on the time limit alone: the status stays, and the entry says who asked or decided, and why.
CLOCK_ACTIONS: frozenset[AuditAction] = frozenset(
    {
        AuditAction.HOLD_REQUEST,
        AuditAction.HOLD_APPROVE,
        AuditAction.HOLD_REFUSE,
        AuditAction.HOLD_RELEASE,
        AuditAction.EXTEND_REQUEST,
        AuditAction.EXTEND_APPROVE,
        AuditAction.EXTEND_REFUSE,
    }
)

# Actions of the field loop (核实, 核查) and photos, audited here; what they do to the incident is
# `gridmap.incidents.field_loop`. Each: the statuses it is taken from, the status it leads to (None: it stays),
# whether a dispatcher (else any member of staff) takes it, and whether it needs a note.
FIELD_ACTIONS: dict[AuditAction, tuple[frozenset[Status], Status | None, bool, bool]] = {
    AuditAction.VERIFY_REQUEST: (frozenset({Status.REPORTED}), None, True, False),
    AuditAction.VERIFY_CONFIRM: (frozenset({Status.REPORTED}), None, False, False),
    AuditAction.VERIFY_REFUTE: (frozenset({Status.REPORTED}), None, False, True),
    AuditAction.CHECK_REQUEST: (frozenset({Status.RESOLVED}), None, True, False),
    AuditAction.CHECK_PASS: (frozenset({Status.RESOLVED}), None, False, False),
    AuditAction.CHECK_FAIL: (frozenset({Status.RESOLVED}), Status.IN_PROGRESS, False, True),
    AuditAction.PHOTO: (
        frozenset({Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED}),
        None,
        False,
        False,
    ),
}
# Unlinking a duplicate reopens it where it was marked: reported or filed.
UNLINK_TO: frozenset[Status] = frozenset({Status.REPORTED, Status.ACCEPTED})


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
# Sending back: each open status's previous stage, and who may send it there (a worker returns work handed to
# them; un-filing a report and failing a check are the dispatcher's).
SEND_BACK_TO: dict[Status, Status] = {
    Status.ACCEPTED: Status.REPORTED,
    Status.DISPATCHED: Status.ACCEPTED,
    Status.IN_PROGRESS: Status.ACCEPTED,
    Status.RESOLVED: Status.IN_PROGRESS,
}
ROLES_TO_SEND_BACK: dict[Status, frozenset[ActorRole]] = {
    Status.ACCEPTED: _DISPATCHERS,
    Status.DISPATCHED: _STAFF,
    Status.IN_PROGRESS: _STAFF,
    Status.RESOLVED: _DISPATCHERS,
}
# Asking for a hold or an extension is for any member of staff; deciding on it, and releasing a hold, for dispatchers.
ROLES_FOR_CLOCK: dict[AuditAction, frozenset[ActorRole]] = {
    action: _STAFF if action in {AuditAction.HOLD_REQUEST, AuditAction.EXTEND_REQUEST} else _DISPATCHERS
    for action in CLOCK_ACTIONS
}
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
    hours: float | None = None  # working hours of an extension asked for or granted

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
    _check_role(role, ROLES_FOR_STATUS[target], actor=actor, doing=f"moving an incident to {target}")
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


def send_back(
    state: IncidentState, *, actor: str, role: ActorRole | str, at: datetime, note: str
) -> tuple[IncidentState, AuditEntry]:
    """The state after sending the incident back to its previous stage (回退), and its audit entry; needs a reason."""
    role = parse_role(role)
    _check_actor(actor, at)
    target = SEND_BACK_TO.get(state.status)
    if target is None:
        msg = f"a {state.status} incident has no previous stage to go back to"
        raise Conflict(msg)
    doing = f"sending a {state.status} incident back"
    _check_role(role, ROLES_TO_SEND_BACK[state.status], actor=actor, doing=doing)
    _check_time(state, at)
    if not note.strip():
        msg = "sending an incident back needs a note saying why (the previous stage is told)"
        raise InvalidInput(msg)
    entry = AuditEntry(at, actor, role, AuditAction.SEND_BACK, state.status, target, note.strip())
    return replace(state, status=target, updated_at=at), entry


def clock_entry(
    state: IncidentState,
    action: AuditAction,
    *,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
    hours: float | None = None,
) -> tuple[IncidentState, AuditEntry]:
    """The state and audit entry of an action on the time limit (`CLOCK_ACTIONS`), checking role and time.

    Whether the action fits the incident (a request pending, a hold in force) is `gridmap.incidents.deadlines`'s
    to check; here only who may act and that requests say why.
    """
    role = parse_role(role)
    _check_actor(actor, at)
    if action not in CLOCK_ACTIONS:
        msg = f"{action} is not an action on the time limit"
        raise InvalidInput(msg)
    if state.status not in OPEN_STATUSES:
        msg = f"a {state.status} incident has no time limit to hold or extend"
        raise Conflict(msg)
    _check_role(role, ROLES_FOR_CLOCK[action], actor=actor, doing=action.value.replace("_", " "))
    _check_time(state, at)
    note = note.strip()
    if action in {AuditAction.HOLD_REQUEST, AuditAction.EXTEND_REQUEST} and not note:
        msg = "a request to hold or extend the time limit needs a note saying why"
        raise InvalidInput(msg)
    entry = AuditEntry(at, actor, role, action, state.status, state.status, note, hours=hours)
    return replace(state, updated_at=at), entry


def field_entry(
    state: IncidentState, action: AuditAction, *, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> tuple[IncidentState, AuditEntry]:
    """The state and audit entry of a field-loop action or a photo (`FIELD_ACTIONS`), checking status, role, note."""
    role = parse_role(role)
    _check_actor(actor, at)
    if action not in FIELD_ACTIONS:
        msg = f"{action} is not an action of the field loop"
        raise InvalidInput(msg)
    sources, target, dispatcher_only, note_required = FIELD_ACTIONS[action]
    words = action.value.replace("_", " ")
    if state.status not in sources:
        wanted = " or ".join(s.value for s in Status if s in sources)
        msg = f"{words} is for a {wanted} incident; this one is {state.status}"
        raise Conflict(msg)
    _check_role(role, _DISPATCHERS if dispatcher_only else _STAFF, actor=actor, doing=words)
    _check_time(state, at)
    note = note.strip()
    if note_required and not note:
        msg = f"{words} needs a note saying what was found"
        raise InvalidInput(msg)
    to = target or state.status
    entry = AuditEntry(at, actor, role, action, state.status, to, note)
    return replace(state, status=to, updated_at=at), entry


def unlink_duplicate(
    state: IncidentState, *, back_to: Status, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> tuple[IncidentState, AuditEntry]:
    """The state of a duplicate unlinked by a dispatcher, open again in `back_to` (where it was marked)."""
    role = parse_role(role)
    _check_actor(actor, at)
    if state.status is not Status.DUPLICATE:
        msg = f"only a duplicate can be unlinked; this incident is {state.status}"
        raise Conflict(msg)
    if role not in _DISPATCHERS:
        msg = f"{actor} is a {role}; unlinking a duplicate needs a planner or admin"
        raise Forbidden(msg)
    if back_to not in UNLINK_TO:
        msg = f"an unlinked duplicate goes back to reported or accepted, not {back_to}"
        raise InvalidInput(msg)
    _check_time(state, at)
    entry = AuditEntry(at, actor, role, AuditAction.UNLINK_DUPLICATE, state.status, back_to, note.strip())
    return replace(state, status=back_to, updated_at=at, duplicate_of=None), entry


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
        elif entry.action is AuditAction.SEND_BACK:
            state, _ = send_back(state, actor=entry.actor, role=entry.role, at=entry.at, note=entry.note)
        elif entry.action in CLOCK_ACTIONS:
            state, _ = clock_entry(
                state, entry.action, actor=entry.actor, role=entry.role, at=entry.at, note=entry.note, hours=entry.hours
            )
        elif entry.action in FIELD_ACTIONS:
            state, _ = field_entry(
                state, entry.action, actor=entry.actor, role=entry.role, at=entry.at, note=entry.note
            )
        elif entry.action is AuditAction.UNLINK_DUPLICATE:
            state, _ = unlink_duplicate(
                state, back_to=entry.to_status, actor=entry.actor, role=entry.role, at=entry.at, note=entry.note
            )
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


def _check_role(role: ActorRole, allowed_roles: frozenset[ActorRole], *, actor: str, doing: str) -> None:
    """Forbidden, naming the roles that may, unless `role` is among `allowed_roles`."""
    if role not in allowed_roles:
        who = " or ".join(r.value for r in ActorRole if r in allowed_roles)
        msg = f"{actor} is a {role}; {doing} needs a {who}"
        raise Forbidden(msg)


def _check_time(state: IncidentState, at: datetime) -> None:
    if at < state.updated_at:
        msg = f"time {at.isoformat()} is before the incident's last change at {state.updated_at.isoformat()}"
        raise InvalidInput(msg)
