"""A resident's personal data in incidents: who may read a reporter's contact, the retention purge, and a
resident's export and erasure on request (by a dispatcher).

Contact details and photos are deleted once an incident has been closed (closed, rejected, duplicate) for
the retention period of its category; erasure does the same at once for every incident a resident
reported. The incidents themselves stay: they are the community's record, and name residents "resident".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gridmap.errors import Forbidden
from gridmap.incidents.access import IncidentScope, RetentionPolicy, closed_at
from gridmap.incidents.intake import check_reporter_key
from gridmap.incidents.workflow import FINAL_STATUSES
from gridmap.io.incidents import incident_feature
from gridmap.services.incident_access import reachable_incident
from gridmap.services.users import has_role
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.incident_store import ContactRecord, IncidentFilter, IncidentStore, RemovalReason


@dataclass(frozen=True)
class Removal:
    """What a purge or an erasure deleted (or, in a dry run, would delete): per incident and in all."""

    dry_run: bool
    incident_ids: list[str]
    contacts: int
    photos: int

    def to_json(self) -> dict[str, Any]:
        """Counts and incident ids (no personal data) as plain JSON."""
        return {
            "dry_run": self.dry_run,
            "incidents": self.incident_ids,
            "contacts": self.contacts,
            "photos": self.photos,
        }


def contact_json(record: ContactRecord) -> dict[str, Any]:
    """A reporter's contact as plain JSON (personal data: for dispatchers and the reporter only)."""
    return {
        "incident": record.incident_id,
        "name": record.contact.name,
        "phone": record.contact.phone,
        "removed_at": None if record.removed_at is None else record.removed_at.isoformat(),
        "removed_because": None if record.removed_because is None else record.removed_because.value,
    }


def incident_contact(
    store: IncidentStore,
    incident_id: str,
    *,
    user: UserInfo | None,
    scope: IncidentScope | None = None,
    reporter_key: str | None = None,
) -> ContactRecord:
    """The reporter's contact, for a dispatcher within `scope` or the reporter with their key; else Forbidden."""
    incident = reachable_incident(store, incident_id, scope if user is not None else None)
    if reporter_key is not None:
        check_reporter_key(incident, reporter_key)
    elif not has_role(user, Role.PLANNER):
        msg = "a reporter's contact is for dispatchers (planner or admin) and the reporter (header X-Reporter-Key)"
        raise Forbidden(msg)
    return store.incident_contact(incident_id)


def purge(
    store: IncidentStore, *, now: datetime, dry_run: bool = True, policy: RetentionPolicy | None = None
) -> Removal:
    """Delete contact details and photos of incidents closed longer ago than their category's retention period.

    With `dry_run` (the default) nothing is deleted and the result says what would be.
    """
    policy = policy or RetentionPolicy()
    where = IncidentFilter(statuses=FINAL_STATUSES, personal_data=True)
    due = []
    for incident in store.iter_incidents(where):
        closed = closed_at(incident)
        if closed is not None and policy.due(incident.category, closed, now):
            due.append(incident.id)
    removed = store.remove_personal_data(due, at=now, reason=RemovalReason.RETENTION, dry_run=dry_run)
    return Removal(dry_run, due, removed.contacts, removed.photos)


def resident_contacts(
    store: IncidentStore, *, name: str | None = None, phone: str | None = None, scope: IncidentScope | None = None
) -> list[ContactRecord]:
    """The contacts of the incidents a resident (by exact phone or name) reported, within a dispatcher's scope."""
    found = store.find_contacts(name=name, phone=phone)
    if scope is None:
        return found
    return [record for record in found if scope.covers(store.get_incident(record.incident_id))]


def export_resident(
    store: IncidentStore, *, name: str | None = None, phone: str | None = None, scope: IncidentScope | None = None
) -> dict[str, Any]:
    """What the store holds on a resident: the incidents they reported with their contact, as GeoJSON."""
    features = [
        incident_feature(replace(store.get_incident(record.incident_id), contact=record.contact))
        for record in resident_contacts(store, name=name, phone=phone, scope=scope)
    ]
    return {"type": "FeatureCollection", "features": features}


def erase_resident(
    store: IncidentStore,
    *,
    now: datetime,
    name: str | None = None,
    phone: str | None = None,
    scope: IncidentScope | None = None,
    dry_run: bool = False,
) -> Removal:
    """Delete a resident's contact details and photos from every incident they reported (the incidents stay)."""
    ids = [record.incident_id for record in resident_contacts(store, name=name, phone=phone, scope=scope)]
    removed = store.remove_personal_data(ids, at=now, reason=RemovalReason.ERASED, dry_run=dry_run)
    return Removal(dry_run, ids, removed.contacts, removed.photos)
