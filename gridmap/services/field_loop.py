"""The field loop as use cases: a dispatcher asks the grid worker to verify a report (核实) or check a fix (核查),
the worker answers, staff add photos before or after the fix, and a dispatcher unlinks a duplicate.

The rules are `gridmap.incidents.field_loop`; each use case runs one of them on the stored incident within the
actor's scope, and a step into another stage (a failed check, an unlinking) starts that stage's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gridmap.incidents import field_loop
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.model import FieldTask, Incident, PhotoKind
from gridmap.incidents.photos import CleanPhoto
from gridmap.incidents.workflow import ActorRole
from gridmap.services.incident_access import check_in_scope
from gridmap.services.incident_clock import IncidentRules, stepped
from gridmap.services.incidents import photo_path
from gridmap.store.incident_store import IncidentStore


@dataclass(frozen=True)
class FieldActor:
    """Who acts, when, and the incidents they reach (None: all)."""

    name: str
    role: ActorRole | str
    at: datetime
    scope: IncidentScope | None = None


def _change(
    store: IncidentStore,
    rules: IncidentRules,
    incident_id: str,
    actor: FieldActor,
    change: Callable[[Incident], Incident],
    new_photos: Sequence[CleanPhoto] = (),
) -> Incident:
    """The stored incident after `change`, checked against the actor's scope, its clock restarted on a new stage."""

    def changed(incident: Incident) -> Incident:
        check_in_scope(incident, actor.scope)
        return stepped(incident, change(incident), rules)

    return store.change_incident(incident_id, changed, new_photos=new_photos)


def request_task(
    *, store: IncidentStore, rules: IncidentRules, incident_id: str, task: FieldTask, actor: FieldActor, note: str = ""
) -> Incident:
    """The incident with a dispatcher's request that its grid worker verify it or check its fix."""
    return _change(
        store,
        rules,
        incident_id,
        actor,
        lambda incident: field_loop.request_task(
            incident, task, actor=actor.name, role=actor.role, at=actor.at, note=note
        ),
    )


def answer_task(
    *,
    store: IncidentStore,
    rules: IncidentRules,
    incident_id: str,
    task: FieldTask,
    confirmed: bool,
    actor: FieldActor,
    note: str = "",
) -> Incident:
    """The incident after a worker verified it (`confirmed`: found as reported) or checked its fix (it holds)."""
    answer = field_loop.answer_action(task, confirmed=confirmed)
    return _change(
        store,
        rules,
        incident_id,
        actor,
        lambda incident: field_loop.answer_task(
            incident, answer, actor=actor.name, role=actor.role, at=actor.at, note=note
        ),
    )


def add_photos(
    *,
    store: IncidentStore,
    rules: IncidentRules,
    incident_id: str,
    photos: Sequence[CleanPhoto],
    kind: PhotoKind,
    actor: FieldActor,
    note: str = "",
) -> Incident:
    """The incident with staff's photos (cleaned: `gridmap.incidents.photos.clean_photos`) of `kind` stored with it."""

    def added(incident: Incident) -> Incident:
        first = field_loop.next_photo_number(incident)
        urls = [photo_path(incident.id, first + offset) for offset in range(len(photos))]
        return field_loop.add_photos(
            incident, kind=kind, urls=urls, actor=actor.name, role=actor.role, at=actor.at, note=note
        )

    return _change(store, rules, incident_id, actor, added, new_photos=photos)


def unlink_duplicate(
    *, store: IncidentStore, rules: IncidentRules, incident_id: str, actor: FieldActor, note: str = ""
) -> Incident:
    """The duplicate open again where it was marked, no longer linked, its stage's clock started afresh."""
    return _change(
        store,
        rules,
        incident_id,
        actor,
        lambda incident: field_loop.unlink(incident, actor=actor.name, role=actor.role, at=actor.at, note=note),
    )
