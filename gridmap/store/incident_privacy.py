"""Reporters' contacts in SQL, apart from the incidents: written with a new or imported incident, read only by
the privacy services (dispatchers, the reporter's own follow-up), and emptied with the photos on erasure or
when the retention period runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, NotFound
from gridmap.incidents.model import Contact, Incident
from gridmap.store.frames import stored_text
from gridmap.store.incident_store import ContactRecord, RemovalReason, RemovedData
from gridmap.store.tables import PERSON_LENGTH, PHONE_LENGTH, IncidentContactRow, IncidentPhotoRow, IncidentRow

_ID_CHUNK = 500  # ids per `IN (...)`


def contact_rows(incidents: Sequence[Incident]) -> list[dict[str, object]]:
    """Rows of the contacts the incidents bring into the store (those without one have no row)."""
    return [
        {
            "incident_id": incident.id,
            "name": _field(incident.contact.name, "the reporter's name", PERSON_LENGTH),
            "phone": _field(incident.contact.phone, "the reporter's phone", PHONE_LENGTH),
        }
        for incident in incidents
        if incident.contact is not None and not incident.contact.empty
    ]


def holds_personal_data() -> ColumnElement[bool]:
    """SQL: the incident still has a contact with a name or phone, or a stored photo."""
    contact = exists().where(
        IncidentContactRow.incident_id == IncidentRow.id,
        or_(IncidentContactRow.name.is_not(None), IncidentContactRow.phone.is_not(None)),
    )
    return or_(contact, exists().where(IncidentPhotoRow.incident_id == IncidentRow.id))


def _field(value: str | None, what: str, max_length: int) -> str | None:
    return stored_text(value.strip(), what, max_length) or None if value else None


def _record(incident_id: str, row: IncidentContactRow | None) -> ContactRecord:
    if row is None:
        return ContactRecord(incident_id, Contact())
    because = None if row.removed_because is None else RemovalReason(row.removed_because)
    return ContactRecord(incident_id, Contact(row.name, row.phone), row.removed_at, because)


class IncidentContacts:
    """The contact half of a SQL store's incidents; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def incident_contact(self, incident_id: str) -> ContactRecord:
        """The contact of an incident's reporter (empty when none); NotFound when there is no such incident."""
        with self._transaction() as session:
            if session.get(IncidentRow, incident_id) is None:
                msg = f"there is no incident {incident_id!r}"
                raise NotFound(msg)
            return _record(incident_id, session.get(IncidentContactRow, incident_id))

    def find_contacts(self, *, name: str | None = None, phone: str | None = None) -> list[ContactRecord]:
        """The contacts with this exact name or phone (either matching), by incident id."""
        wanted = [
            column == value.strip()
            for column, value in ((IncidentContactRow.name, name), (IncidentContactRow.phone, phone))
            if value and value.strip()
        ]
        if not wanted:
            msg = "give the reporter's phone or name to look for"
            raise InvalidInput(msg)
        with self._transaction() as session:
            rows = session.scalars(
                select(IncidentContactRow).where(or_(*wanted)).order_by(IncidentContactRow.incident_id)
            ).all()
            return [_record(row.incident_id, row) for row in rows]

    def remove_personal_data(
        self, incident_ids: Sequence[str], *, at: datetime, reason: RemovalReason, dry_run: bool = False
    ) -> RemovedData:
        """Empty the incidents' contacts and delete their photos (nothing when `dry_run`); what it took.

        The incidents stay (they are the community's record); their photo URLs are cleared, and the contact
        says when and why it was emptied.
        """
        contacts = photos = 0
        ids = sorted(set(incident_ids))
        with self._write_transaction() as session:
            for start in range(0, len(ids), _ID_CHUNK):
                part = ids[start : start + _ID_CHUNK]
                held = (
                    IncidentContactRow.incident_id.in_(part),
                    or_(IncidentContactRow.name.is_not(None), IncidentContactRow.phone.is_not(None)),
                )
                in_part = IncidentPhotoRow.incident_id.in_(part)
                contacts += session.scalar(select(func.count()).select_from(IncidentContactRow).where(*held)) or 0
                photos += session.scalar(select(func.count()).select_from(IncidentPhotoRow).where(in_part)) or 0
                if dry_run:
                    continue
                session.execute(
                    update(IncidentContactRow)
                    .where(*held)
                    .values(name=None, phone=None, removed_at=at, removed_because=reason.value)
                )
                session.execute(delete(IncidentPhotoRow).where(in_part))
                session.execute(update(IncidentRow).where(IncidentRow.id.in_(part)).values(photo_urls="[]"))
        return RemovedData(contacts=contacts, photos=photos)
