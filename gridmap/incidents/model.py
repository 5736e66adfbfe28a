"""The incident record the pure functions share: what was reported, where it was routed, and its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from gridmap.incidents.workflow import AuditEntry, IncidentState, Status


class FieldTask(StrEnum):
    """What a dispatcher asked the grid worker to do on the spot, waiting in the worker's queue."""

    VERIFY = "verify"  # is the report true, before filing (核实)
    CHECK = "check"  # did the fix hold, before closing (核查)


class PhotoKind(StrEnum):
    """When a photo was taken: showing the problem (the reporter's, a verification's) or the fix."""

    BEFORE = "before"
    AFTER = "after"


@dataclass(frozen=True)
class IncidentPhoto:
    """A photo stored with an incident: its number (from 1, as in its URL), kind and when it was added."""

    number: int
    kind: PhotoKind
    added_at: datetime


class Channel(StrEnum):
    """How a report reached the community."""

    APP = "app"  # 随手拍 in the mini program or the reporting page
    PATROL = "patrol"  # a grid worker on their round
    HOTLINE = "hotline"
    VISIT = "visit"  # 居民说事日, a red station, the office
    CITIZEN_HOTLINE = "12345"  # work orders of the 12345 hotline (政务服务便民热线), imported from its files


@dataclass(frozen=True)
class Contact:
    """How to reach a resident who reported: personal information, kept apart from the incident record."""

    name: str | None = None
    phone: str | None = None

    @property
    def empty(self) -> bool:
        """True when it holds neither a name nor a phone."""
        return not (self.name or self.phone)


@dataclass(frozen=True)
class Incident:
    """One incident as the store keeps it; coordinates are WGS-84.

    `reporter` names who reported as the trail does: a member of staff by their account, any resident as
    "resident". A resident's name and phone travel in `contact` only on the way into the store (a new report,
    an import), which keeps them in a table of their own; incidents read from the store carry no contact.
    """

    id: str
    category: str
    description: str
    lon: float
    lat: float
    channel: Channel
    reporter: str
    state: IncidentState
    audit: tuple[AuditEntry, ...]
    community_code: str | None = None
    grid_code: str | None = None
    microgrid_code: str | None = None
    worker: str | None = None
    address: str = ""
    photo_urls: tuple[str, ...] = ()
    near_boundary: bool = False  # within the routing distance of the grid's edge: the dispatcher confirms
    boundary_distance_m: float | None = None
    # The SHA-256 (hex) of the secret the reporting client made, which rating and moving the pin need.
    reporter_key_hash: str | None = field(default=None, repr=False)
    # The description as a member of staff approved it for the public; None until then.
    public_description: str | None = None
    contact: Contact | None = field(default=None, repr=False, compare=False)
    # The short number people say and search (e.g. SN-20261127-0042), given by the store with the report.
    number: str | None = None
    # When the current stage's time limit runs out (None when final, or when the calendar could not tell),
    # and since when a dispatcher holds the clock (挂账); `gridmap.incidents.deadlines` keeps both.
    due_at: datetime | None = None
    held_since: datetime | None = None
    # The task a dispatcher set the worker (verify, check) until it is answered or the status moves on.
    field_task: FieldTask | None = None
    # The photos stored with the incident (its `photo_urls` may also hold a link the report gave), given by the store.
    photos: tuple[IncidentPhoto, ...] = ()
    # Near a boundary: the grid on the other side, the second candidate the dispatcher chooses from.
    neighbour_grid_code: str | None = None

    @property
    def status(self) -> Status:
        """The current workflow status."""
        return self.state.status
