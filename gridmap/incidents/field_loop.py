"""The field loop: a dispatcher asks the grid worker to verify a report before filing (核实) and to check a fix
before closing (核查); staff add photos before and after the fix; a duplicate can be unlinked again.

A task asked for waits in the worker's queue (`Incident.field_task`) until the worker answers it or the
incident's status moves on. Workers may also verify or check unasked. The category decides two rules
(`gridmap.incidents.taxonomy.Category`): resolving needs a photo of the fix added since the work started
(`after_photo`), and closing needs a passed check since the incident was resolved (`check_required`); a step
either rule refuses is a `RuleRefused` naming the rule. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from gridmap.errors import Conflict, InvalidInput
from gridmap.incidents.model import FieldTask, Incident, IncidentPhoto, PhotoKind
from gridmap.incidents.taxonomy import Category
from gridmap.incidents.workflow import (
    ActorRole,
    AuditAction,
    AuditEntry,
    IncidentState,
    Status,
    field_entry,
    parse_status,
    unlink_duplicate,
)

RULE_AFTER_PHOTO = "after_photo_before_resolving"
RULE_CHECK = "check_before_closing"

_REQUEST_OF: dict[FieldTask, AuditAction] = {
    FieldTask.VERIFY: AuditAction.VERIFY_REQUEST,
    FieldTask.CHECK: AuditAction.CHECK_REQUEST,
}
# The answers a worker gives, and the task each settles.
ANSWERS: dict[AuditAction, FieldTask] = {
    AuditAction.VERIFY_CONFIRM: FieldTask.VERIFY,
    AuditAction.VERIFY_REFUTE: FieldTask.VERIFY,
    AuditAction.CHECK_PASS: FieldTask.CHECK,
    AuditAction.CHECK_FAIL: FieldTask.CHECK,
}
_YES = frozenset({AuditAction.VERIFY_CONFIRM, AuditAction.CHECK_PASS})
_HANDLING = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})


class RuleRefused(Conflict):
    """A workflow step a category's rule refuses (resolving without an after photo, closing without a check)."""

    title = "Refused by a workflow rule"

    def __init__(self, detail: str, *, rule: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.members = {"rule": rule}


def _appended(incident: Incident, state: IncidentState, entry: AuditEntry) -> Incident:
    return replace(incident, state=state, audit=(*incident.audit, entry))


def request_task(
    incident: Incident, task: FieldTask, *, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> Incident:
    """The incident with a dispatcher's request that the worker verify or check it; Conflict when one waits."""
    if incident.field_task is not None:
        msg = f"a {incident.field_task.value} is asked for already; wait for the worker's answer"
        raise Conflict(msg)
    state, entry = field_entry(incident.state, _REQUEST_OF[task], actor=actor, role=role, at=at, note=note)
    return replace(_appended(incident, state, entry), field_task=task)


def answer_action(task: FieldTask, *, confirmed: bool) -> AuditAction:
    """The audit action of a worker's answer: a report found as reported or not, a fix that holds or not."""
    return next(action for action, answered in ANSWERS.items() if answered is task and confirmed is (action in _YES))


def answer_task(
    incident: Incident, answer: AuditAction, *, actor: str, role: ActorRole | str, at: datetime, note: str = ""
) -> Incident:
    """The incident after a worker's verification or check (asked for or not): the task it answers is settled."""
    if answer not in ANSWERS:
        msg = f"{answer.value} is not an answer to a verification or a check"
        raise InvalidInput(msg)
    state, entry = field_entry(incident.state, answer, actor=actor, role=role, at=at, note=note)
    task = None if incident.field_task is ANSWERS[answer] else incident.field_task
    return replace(_appended(incident, state, entry), field_task=task)


def settle_task(before: Incident, after: Incident) -> Incident:
    """`after` without its task when a step moved it to another status (the task is moot there)."""
    return after if after.status is before.status else replace(after, field_task=None)


def next_photo_number(incident: Incident) -> int:
    """The number the next photo stored with the incident gets."""
    return max((photo.number for photo in incident.photos), default=0) + 1


def add_photos(
    incident: Incident,
    *,
    kind: PhotoKind,
    urls: Sequence[str],
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
) -> Incident:
    """The incident with photos of `kind` added by staff, numbered on from `next_photo_number`, and audited."""
    if not urls:
        msg = "send at least one photo"
        raise InvalidInput(msg)
    said = f"{len(urls)} {kind.value} photo{'s' if len(urls) > 1 else ''}" + (
        f": {note.strip()}" if note.strip() else ""
    )
    state, entry = field_entry(incident.state, AuditAction.PHOTO, actor=actor, role=role, at=at, note=said)
    first = next_photo_number(incident)
    added = tuple(IncidentPhoto(number=first + offset, kind=kind, added_at=at) for offset in range(len(urls)))
    return replace(
        _appended(incident, state, entry), photos=(*incident.photos, *added), photo_urls=(*incident.photo_urls, *urls)
    )


def _last_entered(incident: Incident, statuses: frozenset[Status]) -> datetime | None:
    """When the incident last came into `statuses` from outside them (None when it never did)."""
    for entry in reversed(incident.audit):
        if entry.to_status in statuses and entry.from_status not in statuses:
            return entry.at
    return None


def check_step(incident: Incident, to: Status | str, category: Category | None) -> None:
    """Pass when the category's rules allow the step to `to` (any step without a category); RuleRefused otherwise."""
    target = parse_status(to)
    if category is None:
        return
    if target is Status.RESOLVED and category.after_photo:
        started = _last_entered(incident, _HANDLING)
        fresh = [p for p in incident.photos if p.kind is PhotoKind.AFTER and (started is None or p.added_at >= started)]
        if not fresh:
            msg = (
                f"a {category.code} incident is resolved with a photo of the fix: "
                "add an after photo (POST .../photos with kind=after) first"
            )
            raise RuleRefused(msg, rule=RULE_AFTER_PHOTO)
    if target is Status.CLOSED and category.check_required:
        resolved = _last_entered(incident, frozenset({Status.RESOLVED}))
        passed = any(
            entry.action is AuditAction.CHECK_PASS and (resolved is None or entry.at >= resolved)
            for entry in incident.audit
        )
        if not passed:
            msg = f"a {category.code} incident is closed after a worker's passed check (核查): ask for a check first"
            raise RuleRefused(msg, rule=RULE_CHECK)


def unlink(incident: Incident, *, actor: str, role: ActorRole | str, at: datetime, note: str = "") -> Incident:
    """The duplicate open again where it was marked (reported or accepted), no longer linked to its original."""
    marked = next(
        (e for e in reversed(incident.audit) if e.action is AuditAction.TRANSITION and e.to_status is Status.DUPLICATE),
        None,
    )
    back_to = marked.from_status if marked is not None and marked.from_status is not None else Status.REPORTED
    state, entry = unlink_duplicate(incident.state, back_to=back_to, actor=actor, role=role, at=at, note=note)
    return _appended(incident, state, entry)


def check_original(duplicate_id: str, original: Incident) -> None:
    """Pass when `original` may be what incident `duplicate_id` repeats: another incident, not itself a duplicate."""
    if original.id == duplicate_id:
        msg = "an incident cannot be a duplicate of itself"
        raise InvalidInput(msg)
    if original.status is Status.DUPLICATE:
        msg = (
            f"{original.number or original.id} is itself a duplicate of {original.state.duplicate_of}; link to that one"
        )
        raise Conflict(msg)
