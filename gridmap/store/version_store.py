"""Boundary sets and their versions: features, point lookup, edits, diffs and publishing, and the values they trade in.

Geometry crosses this protocol as shapely objects in WGS-84; `gridmap/store/sql.py` and `spatial.py` implement it,
with the SQLite and PostGIS spatial clauses in `sqlite.py` and `postgis.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from shapely.geometry.base import BaseGeometry

from gridmap.errors import Conflict, ProblemsFound
from gridmap.geo.hierarchy import Level

if TYPE_CHECKING:  # frames cross this protocol, but importing it (a command's --help) costs no geopandas
    import numpy as np
    import numpy.typing as npt
    from geopandas import GeoDataFrame


class VersionStatus(StrEnum):
    """A boundary version starts as a draft, is published once, and is retired when replaced."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


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
class VersionComparison:
    """Two versions' diff, and the features of each (by code) that the other does not hold alike: the same id,
    properties and geometry. Every other feature is the same in both."""

    diff: VersionDiff
    before: list[Feature]
    after: list[Feature]


@dataclass(frozen=True)
class FeatureRevisions:
    """Every feature of a version at its revision, as `feature_id:revision` entries parted by spaces (in no set
    order; ids are uuids, without spaces): one string costs a third of the time of a row per feature to read. A
    draft's features the next look finds at another revision (or only then, or no more) were written since."""

    version_id: int
    entries: str

    def moved_since(self, earlier: FeatureRevisions) -> set[str]:
        """The ids of the features written, created or deleted since `earlier` (a look at the same version)."""
        if self.entries == earlier.entries:
            return set()
        moved = set(self.entries.split(" ")) ^ set(earlier.entries.split(" "))
        return {entry.rpartition(":")[0] for entry in moved if entry}


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


class CheckOutcome(Protocol):
    """What a boundary check returns (gridmap.services.check.CheckReport has this shape)."""

    @property
    def ok(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


# A full boundary check over a version's features (GeoDataFrame in EPSG:4326, one row per feature).
CheckFn = Callable[["GeoDataFrame"], CheckOutcome]


class CheckFailed(ProblemsFound):
    """Publishing was refused because the check found errors; `report` is the check's JSON report."""

    title = "Check failed"

    def __init__(self, detail: str, report: dict[str, Any]) -> None:
        super().__init__(detail)
        self.report = report


class VersionStore(Protocol):
    """Boundary sets, their versions and features, on PostGIS or embedded SQLite.

    Point lookup rule (`locate`): a point belongs to every feature that covers it (ST_Covers semantics, so
    a point on a border counts). When several features of the same level cover it (a point on the edge
    they share), the one with the smallest code is the answer: one deterministic feature per level. The
    chain runs community → grid → microgrid. A point outside every feature gets the nearest grid (a
    feature of level grid, or of any level when the version has no grids) and its distance in metres,
    measured in the metric CRS chosen by `gridmap.geo.crs.metric_crs` for the point; ties go to the
    smallest code.
    """

    def reading(self) -> AbstractContextManager[None]:
        """A block whose reads share one transaction: one connection and one look at the data for a use case
        that reads many times (an edit's neighbourhood and check). Writes inside it keep their own transactions
        and are not seen by its reads on every backend: write after the block."""
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
    def extent(self, version_id: int, *, level: Level | None = None) -> tuple[float, float, float, float] | None:
        """A box (min lon, min lat, max lon, max lat) holding every feature of a version (of `level`), perhaps
        slightly larger than their own; None when there is none; NotFound when there is no such version."""
        ...

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
        parents: Collection[str] | None = None,
        codes: Collection[str] | None = None,
        after: str | None = None,
    ) -> FeaturePage:
        """Features of a version matching every filter given, by code; bbox is (minx, miny, maxx, maxy).

        `parents` and `codes` match a feature whose parent (code) is any of those given (none when empty).
        `after` starts the page after that code (keyset paging: a page of a box query reads no match before it);
        `number_matched` counts every match all the same.
        """
        ...

    def feature(self, version_id: int, feature_id: str) -> Feature:
        """One feature of a version; NotFound when there is none."""
        ...

    def version_frame(
        self,
        version_id: int,
        *,
        feature_ids: Collection[str] | None = None,
        codes: Collection[str] | None = None,
        parents: Collection[str] | None = None,
        boxes: npt.NDArray[np.float64] | None = None,
    ) -> GeoDataFrame:
        """Every feature of a version as a GeoDataFrame (EPSG:4326), the shape `read_boundaries` gives, by code and
        numbered by their place in the whole version (column `feature`); or only those chosen by one of:
        `feature_ids`, `codes`, `parents` (the features whose parent is one of those codes) or `boxes` (the features
        meeting one of them: min lon, min lat, max lon, max lat, one per row). InvalidInput when given two."""
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

    def compare(self, from_version: int, to_version: int) -> VersionComparison:
        """The diff of two versions with the features it is made of, read without the rest."""
        ...

    def recompare(self, earlier: VersionComparison, feature_ids: Collection[str]) -> VersionComparison:
        """`earlier` (a comparison of two versions) brought up to date: the features with `feature_ids` compared
        again, every other one taken as it was (the caller knows they have not changed since)."""
        ...

    def feature_revisions(self, version_id: int) -> FeatureRevisions:
        """Every feature id of a version with its revision (every write of a feature raises it), read at once."""
        ...

    def diff(self, from_version: int, to_version: int) -> VersionDiff:
        """Features added, removed, reshaped (area change in m2) and with changed properties."""
        ...
