"""Incidents with their photos, audit trails and reporters' contacts, the incident maps, and bulk import.

Implemented for both backends in `gridmap/store/incidents.py`, `incident_privacy.py`, `incident_map.py` and
`incident_import.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from gridmap.geo.hierarchy import Level
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.model import Contact, FieldTask, Incident
from gridmap.incidents.photos import CleanPhoto
from gridmap.incidents.workflow import Status


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents to list; every field left None matches all. `reported_since`/`before` is [start, end)."""

    status: Status | None = None
    statuses: frozenset[Status] | None = None  # any of these (e.g. the statuses Open311 calls open)
    category: str | None = None
    grid_code: str | None = None
    community_code: str | None = None
    reported_since: datetime | None = None
    reported_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # WGS-84 min lon, min lat, max lon, max lat
    excluded_categories: frozenset[str] | None = None  # none of these (the private ones, in public answers)
    # Public answers: the bbox holds the points generalised to a grid of this many metres, not the exact ones.
    generalised_m: float | None = None
    scope: IncidentScope | None = None  # only the incidents a member of staff may see
    personal_data: bool | None = None  # True: only those still holding contact details or photos
    number: str | None = None  # the short human number, exactly (any case)
    text: str | None = None  # held in the number, description or address
    overdue_at: datetime | None = None  # due before this moment, and not held
    due_by: datetime | None = None  # due at or before this moment (overdue ones too), and not held
    field_task: FieldTask | None = None  # a verification or check waiting for the worker


class IncidentOrder(StrEnum):
    """How a list of incidents is sorted."""

    NEWEST = "newest"  # newest report first
    DUE = "due"  # soonest due first; those without a due time last


class RemovalReason(StrEnum):
    """Why a resident's contact details and photos were deleted."""

    ERASED = "erased"  # on the resident's request, by a dispatcher
    RETENTION = "retention"  # the retention period after closing ran out


@dataclass(frozen=True)
class ContactRecord:
    """The contact of one incident's reporter; empty when none was given or it was removed (`removed_at`)."""

    incident_id: str
    contact: Contact
    removed_at: datetime | None = None
    removed_because: RemovalReason | None = None


@dataclass(frozen=True)
class RemovedData:
    """What deleting personal data took (or would take): contacts emptied and photos deleted."""

    contacts: int
    photos: int


@dataclass(frozen=True)
class IncidentPage:
    """One page of incidents and how many matched in all (at least that many when `capped`: counting stopped)."""

    incidents: list[Incident]
    matched: int
    capped: bool = False


@dataclass(frozen=True)
class KeyedReport:
    """The idempotency key of a report: who sent it, their key, and a digest of its content."""

    client: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class IncidentCell:
    """Incidents in one square cell of `cell_deg` degrees (column x, row y from 0,0): how many, and their mean point."""

    x: int
    y: int
    count: int
    lon: float
    lat: float


@dataclass(frozen=True)
class IncidentPoint:
    """Where an incident is and what it is, without what it says or who said it (for maps)."""

    id: str
    lon: float
    lat: float
    category: str
    status: Status
    reported_at: datetime


class IncidentStore(Protocol):
    """Incidents reported by residents or staff, their photos and contacts, and what the viewer's maps count."""

    # Incidents.
    def create_incident(
        self,
        incident: Incident,
        *,
        keyed: KeyedReport | None = None,
        now: datetime | None = None,
        photos: Sequence[CleanPhoto] = (),
        number_prefix: str | None = None,
    ) -> tuple[Incident, bool]:
        """Store a new incident with its photos (and, with `number_prefix`, its day's next short number), or
        return the one made under the same key; and whether it is new."""
        ...

    def get_incident(self, incident_id: str) -> Incident:
        """The incident with its whole audit trail; NotFound when there is none."""
        ...

    def list_incidents(
        self,
        where: IncidentFilter,
        *,
        limit: int = 50,
        offset: int = 0,
        order: IncidentOrder = IncidentOrder.NEWEST,
        count_up_to: int | None = None,
        whole_trails: bool = True,
    ) -> IncidentPage:
        """The incidents matching `where` in `order`, `limit` from `offset`; with `count_up_to`, matches are counted
        only up to that many (the page says `capped` when more match). Without `whole_trails` each incident's
        trail holds only its pending hold or extension request, if any (what lists of staff show of it)."""
        ...

    def change_incident(
        self, incident_id: str, change: Callable[[Incident], Incident], *, new_photos: Sequence[CleanPhoto] = ()
    ) -> Incident:
        """Apply `change` (e.g. a workflow step) to the stored incident under a lock and store the result, with
        `new_photos` under the photo records `change` appended (one each, in order)."""
        ...

    def iter_incidents(self, where: IncidentFilter, *, chunk: int = 1000) -> Iterator[Incident]:
        """Every incident matching `where` with its audit trail, oldest report first, read `chunk` at a time."""
        ...

    def get_incident_photo(self, incident_id: str, number: int) -> CleanPhoto:
        """Photo `number` (from 1) of an incident as stored (re-encoded, no metadata); NotFound otherwise."""
        ...

    # Reporters' contacts and retention (gridmap/store/incident_privacy.py).
    def incident_contact(self, incident_id: str) -> ContactRecord:
        """The contact of an incident's reporter (empty when none); NotFound when there is no such incident."""
        ...

    def find_contacts(self, *, name: str | None = None, phone: str | None = None) -> list[ContactRecord]:
        """The contacts with this exact name or phone (either matching), by incident id."""
        ...

    def remove_personal_data(
        self, incident_ids: Sequence[str], *, at: datetime, reason: RemovalReason, dry_run: bool = False
    ) -> RemovedData:
        """Empty the incidents' contacts and delete their photos (nothing when `dry_run`); what it took."""
        ...

    # Incident maps (aggregates for the viewer; gridmap/store/incident_map.py).
    def incident_cells(self, where: IncidentFilter, cell_deg: float) -> list[IncidentCell]:
        """Matching incidents counted per square cell of `cell_deg` degrees, with each cell's mean point."""
        ...

    def incident_area_counts(self, where: IncidentFilter, level: Level) -> dict[str, int]:
        """Matching incidents counted per community, grid or microgrid code they were routed to."""
        ...

    def incident_points(self, where: IncidentFilter, limit: int) -> tuple[list[IncidentPoint], int]:
        """Up to `limit` matching incidents, newest report first, as map points; and how many matched in all."""
        ...

    def incident_extent(self, where: IncidentFilter) -> tuple[datetime | None, datetime | None, int]:
        """The first and last report time of the matching incidents (None when none match), and their number."""
        ...

    def rebuild_incident_counts(self) -> int:
        """Count every stored incident again into the map's kept counts (kept by every write; rebuilt for stores
        whose counts were lost or made by hand); the number of count rows."""
        ...

    # Bulk import (gridmap/store/incident_import.py).
    def import_incidents(
        self, incidents: Iterable[Incident], *, batch: int = 5000, progress: Callable[[int], None] | None = None
    ) -> int:
        """Store incidents with their trails in one transaction, `batch` per statement; the number stored.

        An id that is stored already (or repeats in the input) is a Conflict naming it; nothing is kept then.
        """
        ...
