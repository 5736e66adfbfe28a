"""What the rest of gridmap sees of storage: one small interface and the plain values it trades in.

Services and the API talk to a `BoundaryStore`; whether PostGIS or embedded SQLite answers is decided once,
by `gridmap.store.open_store(url)`. Geometry crosses this interface as shapely objects in WGS-84.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self

from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry

from gridmap.errors import Conflict, InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.model import Contact, Incident
from gridmap.incidents.photos import CleanPhoto
from gridmap.incidents.ratelimit import BucketRule, Decision
from gridmap.incidents.workflow import Status


class VersionStatus(StrEnum):
    """A boundary version starts as a draft, is published once, and is retired when replaced."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Role(StrEnum):
    """What a user may do, from least to most."""

    VIEWER = "viewer"
    WORKER = "worker"
    PLANNER = "planner"
    ADMIN = "admin"


# Properties of a feature that an edit may change (the geometry is passed apart).
EDITABLE_PROPERTIES: tuple[str, ...] = ("code", "name", "level", "parent", "worker", "households_target")


@dataclass(frozen=True)
class BoundarySetInfo:
    """A named series of boundary versions (e.g. one town's grids)."""

    name: str
    created_at: datetime
    published_version: int | None


@dataclass(frozen=True)
class VersionInfo:
    """One version of a boundary set and who made, published and retired it, when and why."""

    id: int
    set_name: str
    status: VersionStatus
    created_by: str
    created_at: datetime
    reason: str
    feature_count: int
    published_by: str | None = None
    published_at: datetime | None = None
    publish_reason: str | None = None
    retired_at: datetime | None = None


@dataclass(frozen=True)
class FeatureValues:
    """What a feature holds apart from its identity: properties and a WGS-84 polygonal geometry."""

    code: str
    name: str
    level: Level | None
    parent: str | None
    worker: str | None
    households_target: int | None
    geometry: BaseGeometry

    def properties(self) -> dict[str, Any]:
        """The properties as plain values, comparable with `Feature.properties()`."""
        return {
            "code": self.code,
            "name": self.name,
            "level": None if self.level is None else self.level.value,
            "parent": self.parent,
            "worker": self.worker,
            "households_target": self.households_target,
        }


@dataclass(frozen=True)
class Feature(FeatureValues):
    """One community, grid or microgrid of a version; `feature_id` stays the same across versions."""

    feature_id: str
    version_id: int
    revision: int


class FeaturePage(NamedTuple):
    """One page of features and how many matched the filters in all."""

    features: list[Feature]
    number_matched: int


@dataclass(frozen=True)
class Nearest:
    """The feature nearest to a point outside every feature, and how far it is in metres."""

    feature: Feature
    distance_m: float


@dataclass(frozen=True)
class Location:
    """Where a point falls: the chain community → grid → microgrid covering it, or the nearest grid."""

    lon: float
    lat: float
    chain: tuple[Feature, ...]
    nearest: Nearest | None = None

    @property
    def covered(self) -> bool:
        """True when some feature covers the point."""
        return bool(self.chain)


@dataclass(frozen=True)
class Reshape:
    """A feature whose geometry changed between two versions, with its area before and after."""

    feature_id: str
    code: str
    area_before_m2: float
    area_after_m2: float

    @property
    def area_change_m2(self) -> float:
        """Area gained (positive) or lost (negative), in m2."""
        return self.area_after_m2 - self.area_before_m2


@dataclass(frozen=True)
class PropertyChange:
    """A feature whose properties changed between two versions: name -> (before, after)."""

    feature_id: str
    code: str
    changes: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version to another, features matched by their stable id."""

    from_version: int
    to_version: int
    added: list[Feature] = field(default_factory=list)
    removed: list[Feature] = field(default_factory=list)
    reshaped: list[Reshape] = field(default_factory=list)
    changed: list[PropertyChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the two versions hold the same features."""
        return not (self.added or self.removed or self.reshaped or self.changed)

    def to_json(self) -> dict[str, Any]:
        """The diff as plain JSON (no geometries)."""
        return {
            "from_version": self.from_version,
            "to_version": self.to_version,
            "added": [{"feature_id": f.feature_id, "code": f.code, "name": f.name} for f in self.added],
            "removed": [{"feature_id": f.feature_id, "code": f.code, "name": f.name} for f in self.removed],
            "reshaped": [
                {
                    "feature_id": r.feature_id,
                    "code": r.code,
                    "area_before_m2": round(r.area_before_m2, 3),
                    "area_after_m2": round(r.area_after_m2, 3),
                    "area_change_m2": round(r.area_change_m2, 3),
                }
                for r in self.reshaped
            ],
            "changed": [
                {
                    "feature_id": c.feature_id,
                    "code": c.code,
                    "changes": {k: {"before": a, "after": b} for k, (a, b) in c.changes.items()},
                }
                for c in self.changed
            ],
        }


@dataclass(frozen=True)
class UserInfo:
    """A person who may use gridmap, and their role. The token is never kept, only its hash."""

    id: int
    name: str
    role: Role
    created_at: datetime
    scope: str | None = None  # a dispatcher's community or street code prefix (None: every incident)


@dataclass(frozen=True)
class ExpectedPublished:
    """The published version a publisher saw and means to replace (None: they saw none published)."""

    version_id: int | None


class PublishedMeanwhile(Conflict):
    """Another version was published since the publisher looked: it names the winner and who published it."""

    def __init__(self, detail: str, *, winner: VersionInfo) -> None:
        super().__init__(detail)
        self.members = {
            "published_version": winner.id,
            "published_by": winner.published_by,
            "published_at": None if winner.published_at is None else winner.published_at.isoformat(),
        }


@dataclass(frozen=True)
class TokenInfo:
    """A user's token as the store keeps it (never the token itself): when it was made, ends and was last used."""

    id: int
    user: str
    role: Role
    label: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class JobStatus(StrEnum):
    """Where a background job is: waiting, running, done (result ready) or failed (with a message)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobChange:
    """What to change of a job: the fields left None stay as they are."""

    status: JobStatus | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class JobInfo:
    """A background job of some `kind` (e.g. geocode), as every server worker sees it in the store."""

    id: str
    kind: str
    owner: str
    label: str
    status: JobStatus
    progress: int
    summary: dict[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    runner: str  # host:pid of the process that runs it


class CheckOutcome(Protocol):
    """What a boundary check returns (gridmap.services.check.CheckReport has this shape)."""

    @property
    def ok(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


# A full boundary check over a version's features (GeoDataFrame in EPSG:4326, one row per feature).
CheckFn = Callable[[GeoDataFrame], CheckOutcome]


class CheckFailed(InvalidInput):
    """Publishing was refused because the check found errors; `report` is the check's JSON report."""

    title = "Check failed"

    def __init__(self, detail: str, report: dict[str, Any]) -> None:
        super().__init__(detail)
        self.report = report


@dataclass(frozen=True)
class HouseholdRecord:
    """A household of the register; `head_name` and `phone` are personal data, never shown to viewers."""

    household_id: str
    address: str
    lon: float | None
    lat: float | None
    people: int
    elderly_alone: bool = False
    disabled: bool = False
    left_behind_children: int = 0
    head_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class HouseholdPoint:
    """Where a stored household is (WGS-84; None when it has no point), by its row number and household id."""

    row: int
    household_id: str
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class Placement:
    """A household's codes in one version; no grid code and the nearest grid when it is uncovered."""

    row: int
    community_code: str | None
    grid_code: str | None
    microgrid_code: str | None
    nearest_grid_code: str | None = None
    distance_m: float | None = None


@dataclass(frozen=True)
class PlacedHousehold:
    """A household of the register with its codes in one version (personal data included: check roles first)."""

    household: HouseholdRecord
    community_code: str | None
    grid_code: str | None
    microgrid_code: str | None


@dataclass(frozen=True)
class HouseholdCounts:
    """Households in one community, grid or microgrid of a version, with people and care flags."""

    code: str
    version_id: int
    households: int
    people: int
    elderly_alone: int
    disabled: int
    left_behind_children: int


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
    """One page of incidents, newest report first, and how many matched in all."""

    incidents: list[Incident]
    matched: int


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


class BoundaryStore(Protocol):
    """Boundary sets, their versions and features, and users, on PostGIS or embedded SQLite.

    Point lookup rule (`locate`): a point belongs to every feature that covers it (ST_Covers semantics, so
    a point on a border counts). When several features of the same level cover it (a point on the edge
    they share), the one with the smallest code is the answer: one deterministic feature per level. The
    chain runs community → grid → microgrid. A point outside every feature gets the nearest grid (a
    feature of level grid, or of any level when the version has no grids) and its distance in metres,
    measured in the metric CRS chosen by `gridmap.geo.crs.metric_crs` for the point; ties go to the
    smallest code.
    """

    url: str

    def close(self) -> None:
        """Release the database connections."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Close the store."""
        ...

    # Boundary sets and versions.
    def create_set(self, name: str) -> BoundarySetInfo:
        """A new, empty boundary set; Conflict when the name is taken."""
        ...

    def get_set(self, name: str) -> BoundarySetInfo:
        """The named set; NotFound when there is none."""
        ...

    def list_sets(self) -> list[BoundarySetInfo]:
        """Every set, by name."""
        ...

    def import_version(self, set_name: str, frame: GeoDataFrame, *, who: str, why: str) -> VersionInfo:
        """A new draft version of `set_name` (created if absent) holding the frame's features.

        Features keep the `feature_id` of the feature with the same code in the set's most recent
        version holding that code; their revision grows by one when geometry or properties changed.
        """
        ...

    def list_versions(self, set_name: str | None = None) -> list[VersionInfo]:
        """Versions of one set (or of all sets), oldest first."""
        ...

    def get_version(self, version_id: int) -> VersionInfo:
        """One version; NotFound when there is none."""
        ...

    def published_version(self, set_name: str) -> VersionInfo | None:
        """The set's published version, or None when none is published yet."""
        ...

    def publish(
        self,
        version_id: int,
        *,
        who: str,
        why: str,
        check: CheckFn,
        expected: ExpectedPublished | None = None,
        force: bool = False,
    ) -> VersionInfo:
        """Publish a draft after `check` passes, retiring the set's published version in one transaction.

        Unless `force`, the published version must be the `expected` one (by default: none may have been
        published since the draft was made), else PublishedMeanwhile names the winner. Raises CheckFailed
        (carrying the report) when the check finds errors, Conflict when the version is not a draft; on any
        failure nothing changes.
        """
        ...

    # Features.
    def features(
        self,
        version_id: int,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        level: Level | None = None,
        parent: str | None = None,
        code: str | None = None,
        name_contains: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> FeaturePage:
        """Features of a version matching every filter given, by code; bbox is (minx, miny, maxx, maxy)."""
        ...

    def feature(self, version_id: int, feature_id: str) -> Feature:
        """One feature of a version; NotFound when there is none."""
        ...

    def version_frame(self, version_id: int) -> GeoDataFrame:
        """Every feature of a version as a GeoDataFrame (EPSG:4326), the shape `read_boundaries` gives."""
        ...

    def locate(self, version_id: int, lon: float, lat: float) -> Location:
        """The features covering a point, one per level, or the nearest grid (see the class docstring)."""
        ...

    def nearest(self, version_id: int, lon: float, lat: float) -> Nearest | None:
        """The nearest grid to a point and its distance in metres (0 inside); None for an empty version."""
        ...

    def update_feature(
        self,
        version_id: int,
        feature_id: str,
        *,
        expected_revision: int,
        geometry: BaseGeometry | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Feature:
        """Edit a feature of a draft; Conflict when the revision is stale or the version is not a draft."""
        ...

    def diff(self, from_version: int, to_version: int) -> VersionDiff:
        """Features added, removed, reshaped (area change in m2) and with changed properties."""
        ...

    # Users.
    def add_user(self, name: str, role: Role, *, scope: str | None = None, expires_at: datetime | None = None) -> str:
        """Create a user (a dispatcher optionally scoped to a code prefix) and return their token (kept hashed)."""
        ...

    def add_token(self, user_name: str, *, label: str, expires_at: datetime | None) -> tuple[TokenInfo, str]:
        """A new token for an existing user: its record, and the token itself (shown once, kept hashed)."""
        ...

    def list_tokens(self) -> list[TokenInfo]:
        """Every token's record (never the token), by user name and then age."""
        ...

    def revoke_token(self, token_id: int, *, at: datetime) -> TokenInfo:
        """Revoke a token from `at` on; NotFound for no such id."""
        ...

    def user_for_token(self, token: str, *, now: datetime | None = None) -> UserInfo | None:
        """The user holding this token, or None."""
        ...

    def list_users(self) -> list[UserInfo]:
        """Every user, by name."""
        ...

    # Rate-limit buckets shared by every server worker (gridmap/store/ratelimits.py; see BucketStore).
    def take_tokens(self, limit: str, client: str, rule: BucketRule, *, now: float, cost: int = 1) -> Decision:
        """Apply `take_from` to the client's bucket of the named limit in one transaction."""
        ...

    def forget_full_buckets(self, limit: str, rule: BucketRule, *, now: float) -> int:
        """Drop the named limit's buckets that would be full by `now`; how many were dropped."""
        ...

    # Background jobs of any kind (gridmap/store/jobs.py).
    def create_job(self, kind: str, *, owner: str, label: str, runner: str) -> JobInfo:
        """A new queued job run by `runner` (host:pid of the process running it), with a random id."""
        ...

    def get_job(self, job_id: str) -> JobInfo:
        """One job; NotFound when there is none."""
        ...

    def list_jobs(self, kind: str, *, unfinished: bool = False) -> list[JobInfo]:
        """The jobs of a kind (only those queued or running when `unfinished`), oldest first."""
        ...

    def update_job(self, job_id: str, change: JobChange) -> JobInfo:
        """Apply a change (status, progress, summary, error, finish time) to a job; NotFound when there is none."""
        ...

    def add_job_progress(self, job_id: str, amount: int) -> None:
        """Add `amount` to a job's progress in one statement (several threads may report at once)."""
        ...

    def delete_job(self, job_id: str) -> None:
        """Forget a job (its files are the caller's); nothing when there is none."""
        ...

    # Households.
    def add_households(self, households: Sequence[HouseholdRecord]) -> int:
        """Add households to the register in one transaction; Conflict when a household id is taken."""
        ...

    def household_points(self) -> list[HouseholdPoint]:
        """Every stored household's point and id, by row."""
        ...

    def save_placements(self, version_id: int, placements: Sequence[Placement]) -> None:
        """Replace the household codes stored for a version."""
        ...

    def has_placements(self, version_id: int) -> bool:
        """Whether household codes are stored for a version."""
        ...

    def households(self) -> list[HouseholdRecord]:
        """Every household of the register (personal data included), by household id."""
        ...

    def households_in(self, version_id: int, code: str) -> list[PlacedHousehold]:
        """The households placed in the feature `code` of a version, by household id; NotFound for no such code."""
        ...

    def household_revision(self) -> tuple[int, int]:
        """How many households the register holds and its highest row number: changes with every import."""
        ...

    def household_counts(self, version_id: int, code: str) -> HouseholdCounts:
        """Households placed in the feature `code` of a version; NotFound when the version has no such code."""
        ...

    # Incidents.
    def create_incident(
        self,
        incident: Incident,
        *,
        keyed: KeyedReport | None = None,
        now: datetime | None = None,
        photos: Sequence[CleanPhoto] = (),
    ) -> tuple[Incident, bool]:
        """Store a new incident with its photos, or return the one made under the same key; and whether it is new."""
        ...

    def get_incident(self, incident_id: str) -> Incident:
        """The incident with its whole audit trail; NotFound when there is none."""
        ...

    def list_incidents(self, where: IncidentFilter, *, limit: int = 50, offset: int = 0) -> IncidentPage:
        """The incidents matching `where`, newest report first, `limit` from `offset`."""
        ...

    def change_incident(self, incident_id: str, change: Callable[[Incident], Incident]) -> Incident:
        """Apply `change` (e.g. a workflow step) to the stored incident under a lock and store the result."""
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

    def import_incidents(
        self, incidents: Iterable[Incident], *, batch: int = 5000, progress: Callable[[int], None] | None = None
    ) -> int:
        """Store incidents with their trails in one transaction, `batch` per statement; the number stored.

        An id that is stored already (or repeats in the input) is a Conflict naming it; nothing is kept then.
        """
        ...
