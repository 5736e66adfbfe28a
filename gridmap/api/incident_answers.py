"""What the incident routes answer (native, map and Open311), as models for the OpenAPI document.

Like gridmap.api.answers: members not named here are served, but each one named must be there with its type.
Members that the privacy rules may withhold from a reader (point, words, address) are nullable.
"""

from __future__ import annotations

from pydantic import Field

from gridmap.api.answers import Answer, FeatureCollection
from gridmap.incidents.stats import AreaStats


class AuditStep(Answer):
    """One step of an incident's history."""

    at: str
    actor: str | None
    role: str
    action: str
    from_: str | None = Field(alias="from")
    to: str
    note: str | None
    rating: int | None
    duplicate_of: str | None
    hours: float | None = None  # an extension's working hours


class PendingRequest(Answer):
    """A hold or extension request waiting for a dispatcher."""

    action: str
    hours: float | None
    at: str


class PhotoDetail(Answer):
    """A photo of an incident: its URL, kind (before or after the fix) and when it was added."""

    url: str
    kind: str
    added_at: str | None


class DuplicateCandidate(Answer):
    """An open incident a report may repeat (staff only): how far, how alike in words (0-100)."""

    id: str
    number: str | None
    status: str
    reported_at: str
    description: str
    distance_m: float
    similarity: float


class Incident(Answer):
    """An incident as the native API answers it; `history` only where the route says so."""

    id: str
    number: str | None = None  # the short human number, e.g. SN-20261127-0042 (null for old incidents)
    category: str
    description: str | None
    public_description: str | None = None  # the text approved for the public; null until approved
    lon: float | None
    lat: float | None
    address: str | None
    channel: str
    status: str
    community: str | None
    grid: str | None
    microgrid: str | None
    worker: str | None
    reported_at: str
    updated_at: str
    rating: int | None
    duplicate_of: str | None
    near_boundary: bool
    boundary_distance_m: float | None
    photos: list[str]
    stage: str | None = None  # file, dispatch, handle or check; null once final
    due_at: str | None = None  # when the stage's time limit runs out (working time)
    overdue: bool | None = None  # null where the answer does not compute it
    due_soon: bool | None = None
    held_since: str | None = None  # the clock stopped (挂账) since then
    pending_request: PendingRequest | None = None
    photo_details: list[PhotoDetail] = Field(default_factory=list)
    field_task: str | None = None  # verify or check: waiting for the grid worker
    neighbour_grid: str | None = None  # near a boundary: the grid on the other side
    candidate_grids: list[str] = Field(default_factory=list)  # near a boundary: the grid routed to, then the neighbour
    duplicate_candidates: list[DuplicateCandidate] | None = None  # staff answers while the report can be marked
    history: list[AuditStep] | None = None


class IncidentFollowUp(Answer):
    """What the reporter reads of their report (with its key): its number and stage in words, no personal data."""

    id: str
    number: str | None
    status: str
    stage_zh: str
    stage_en: str
    duplicate_of_number: str | None  # the incident it repeats, when marked a duplicate
    rating: int | None
    can_rate: bool


class IncidentPage(Answer):
    """A page of incidents."""

    incidents: list[Incident]
    matched: int
    matched_capped: bool = Field(
        default=False, description="True when counting stopped at `matched` (10,000): at least that many match"
    )
    limit: int
    offset: int


class Period(Answer):
    """A period [start, end)."""

    start: str
    end: str


class IncidentStatistics(Answer):
    """Statistics per area over a period."""

    by: str
    period: Period
    areas: list[AreaStats]  # the dataclass the statistics are computed as


class IncidentCell(Answer):
    """Incidents counted in one cell, and their mean point."""

    x: int
    y: int
    count: int
    lon: float
    lat: float


class IncidentCells(Answer):
    """Incidents counted per cell of a view."""

    zoom: float
    cell_deg: float
    bbox: list[float]
    total: int
    cells: list[IncidentCell]


class IncidentAreas(Answer):
    """Incidents counted per area code."""

    level: str
    total: int
    counts: dict[str, int]


class IncidentPoints(FeatureCollection):
    """Matching incidents as GeoJSON points."""

    matched: int
    truncated: bool
    limit: int


class IncidentExtent(Answer):
    """The first and last report time of matching incidents."""

    first: str | None
    last: str | None
    total: int


class Open311Service(Answer):
    """A category one may report, as an Open311 service."""

    service_code: str
    service_name: str
    description: str | None
    metadata: bool
    type: str
    keywords: str
    group: str


class Open311Request(Answer):
    """A service request (incident) in GeoReport v2 shape, without personal information."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class Open311Created(Answer):
    """The answer to a GeoReport v2 POST."""

    service_request_id: str
    service_notice: str | None
    account_id: str | None


IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp")  # what incident photos are stored as
