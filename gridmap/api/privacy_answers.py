"""What the privacy routes answer: a reporter's contact, and what a purge or an erasure removed."""

from __future__ import annotations

from gridmap.api.answers import Answer


class ReporterContact(Answer):
    """The contact a reporter gave (personal data), or when and why it was removed."""

    incident: str
    name: str | None
    phone: str | None
    removed_at: str | None
    removed_because: str | None


class PersonalDataRemoval(Answer):
    """Incidents whose contact details and photos were (or, in a dry run, would be) deleted, and how many."""

    dry_run: bool
    incidents: list[str]
    contacts: int
    photos: int
