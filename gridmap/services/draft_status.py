"""Before publishing: a draft's check report, its diff against the version it came from, and its impact, in one read.

The editor's live panels ask for this after every edit. The check covers the whole draft while it is small, and
only the area the draft changed (the changed features, their neighbours and parents) once it is large, and says
which. The impact counts the stored households and open incidents that would change grid; it names them by id
only (no names, phones or addresses) and is meant for planners. Nothing here writes.

A large draft's status is the same whether found from scratch or from the last one a `StatusMemory` holds (the
app keeps one per process): then only the draft's features written since are compared again (found by their
revisions), only the families around what changed since are checked again (`changed_area`) and only the households
there assigned again (`remembered_impact`).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
import shapely
from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.incidents.workflow import OPEN_STATUSES
from gridmap.services.allowed_exceptions import check_options_for_set
from gridmap.services.boundaries import published_version
from gridmap.services.boundary_layers import BoundaryLayers
from gridmap.services.changed_area import AreaCheck, check_area, touched_boxes
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries
from gridmap.services.household_impact import HouseholdImpact, frames_to_assign, household_impact
from gridmap.services.local_frames import LocalFrames, feature_boxes, local_frames, points_in_boxes
from gridmap.services.remembered_impact import RegisterCodes, grid_counts, household_moves, incident_moves
from gridmap.store.edit_store import DraftEditStore, DraftInfo
from gridmap.store.exception_store import ExceptionStore
from gridmap.store.household_store import HouseholdLocations, HouseholdVersionStore
from gridmap.store.incident_store import IncidentFilter, IncidentStore
from gridmap.store.version_store import FeatureRevisions, VersionComparison, VersionDiff, VersionStatus

LARGE_DRAFT_FEATURES = 3_000  # above this many features only the changed area is checked
_INCIDENT_LIMIT = 100_000
_KEPT_DRAFTS = 4  # drafts whose last status a StatusMemory holds (each: its area's families, the register's codes)


class DraftStatusStore(DraftEditStore, ExceptionStore, HouseholdVersionStore, IncidentStore, Protocol):
    """A draft with its history, its set's allowed exceptions, the household register and the incidents."""


@dataclass(frozen=True)
class RememberedStatus:
    """What a StatusMemory keeps of a large draft's status: its changed area's check (with the comparison it was
    made from), the households' codes and the draft's feature revisions that comparison saw."""

    area: AreaCheck
    households: RegisterCodes
    revisions: FeatureRevisions


class StatusMemory:
    """What the last status of each large draft in this process left (the app keeps one; each worker process its
    own): the next status checks and assigns again only where the draft changed since. Held by draft, its creation
    time and the compared version (never a draft); the check options must match too, what changed is found from
    the features' revisions and the household register's revision, and incidents are read each time, so an answer
    is never stale. Nothing is written to the store."""

    def __init__(self, drafts: int = _KEPT_DRAFTS) -> None:
        self._drafts = drafts
        self._held: OrderedDict[Hashable, RememberedStatus] = OrderedDict()
        self._lock = threading.Lock()

    def last(self, key: Hashable) -> RememberedStatus | None:
        """What the last status kept under `key` left, if any."""
        with self._lock:
            return self._held.get(key)

    def keep(self, key: Hashable, status: RememberedStatus) -> None:
        """Keep `status` under `key`, forgetting the draft kept longest ago beyond `drafts`."""
        with self._lock:
            self._held[key] = status
            self._held.move_to_end(key)
            while len(self._held) > self._drafts:
                self._held.popitem(last=False)


class CheckScope(StrEnum):
    """What the status's check covered."""

    DRAFT = "draft"  # every feature of the draft
    CHANGED_AREA = "changed_area"  # the features the draft changed, their neighbours and parents


@dataclass(frozen=True)
class GridCount:
    """Households in one grid in the compared version and in the draft, and whether the draft's count leaves
    the configured range."""

    grid: str
    before: int
    after: int
    out_of_range: bool


@dataclass(frozen=True)
class IncidentMove:
    """An open incident whose grid the draft would change (id and category only)."""

    incident_id: str
    category: str
    from_grid: str | None
    to_grid: str | None


@dataclass(frozen=True)
class DraftStatus:
    """Everything the editor's panels show about a draft before it is published."""

    draft: DraftInfo
    compared_to: int
    scope: CheckScope
    report: CheckReport
    diff: VersionDiff
    geometry_after: dict[str, BaseGeometry]  # feature id -> draft geometry of the added and reshaped features
    geometry_before: dict[str, BaseGeometry]  # feature id -> compared geometry of the removed and reshaped ones
    households: HouseholdImpact
    grid_counts: list[GridCount] = field(default_factory=list)  # the grids whose count changes
    incidents: list[IncidentMove] = field(default_factory=list)
    households_range: tuple[int, int] = (0, 0)


def draft_status(
    store: DraftStatusStore,
    version_id: int,
    *,
    against: int | None = None,
    options: CheckOptions | None = None,
    memory: StatusMemory | None = None,
) -> DraftStatus:
    """The status of a stored version (a draft, typically) compared with `against`: by default the version it
    was started from, or the set's published version for an imported draft (InvalidInput when there is none).
    With `memory`, a large draft's changed area is checked again only where the draft changed since the last
    status `memory` holds for it (the same report as a check of the whole area)."""
    draft = store.draft_info(version_id)
    compared_to = against or draft.based_on or _published(store, draft)
    options = check_options_for_set(store=store, set_name=draft.version.set_name, options=options)
    scope = CheckScope.DRAFT if draft.version.feature_count <= LARGE_DRAFT_FEATURES else CheckScope.CHANGED_AREA
    if scope is CheckScope.DRAFT:
        comparison = store.compare(compared_to, version_id)
        report = check_boundaries(store.version_frame(version_id), options)
        impact = _impact(store, compared_to, version_id, options, None)
    elif memory is None or store.get_version(compared_to).status is VersionStatus.DRAFT:  # a draft may change
        comparison = store.compare(compared_to, version_id)
        report = check_area(store, version_id, comparison, options, None, remember=False).report
        # Households and incidents move only where the versions differ: assigned there alone.
        local = local_frames(store, compared_to, version_id, comparison.before + comparison.after)
        impact = _impact(store, compared_to, version_id, options, local)
    else:
        comparison, report, impact = _remembered(store, draft, compared_to, options, memory)
    diff = comparison.diff
    after_by_id = {f.feature_id: f.geometry for f in comparison.after}
    before_by_id = {f.feature_id: f.geometry for f in comparison.before}
    reshaped = {r.feature_id for r in diff.reshaped}
    return DraftStatus(
        draft=draft,
        compared_to=compared_to,
        scope=scope,
        report=report,
        diff=diff,
        geometry_after={i: after_by_id[i] for i in {f.feature_id for f in diff.added} | reshaped},
        geometry_before={i: before_by_id[i] for i in {f.feature_id for f in diff.removed} | reshaped},
        households=impact.households,
        grid_counts=impact.grid_counts,
        incidents=impact.incidents,
        households_range=(options.households_min, options.households_max),
    )


@dataclass(frozen=True)
class _Impact:
    households: HouseholdImpact
    grid_counts: list[GridCount]
    incidents: list[IncidentMove]


def _impact(
    store: DraftStatusStore, compared_to: int, version_id: int, options: CheckOptions, local: LocalFrames | None
) -> _Impact:
    """The households and open incidents that change grid (of those inside `local`, when given), and the counts."""
    located = store.household_locations()
    households = household_impact(store, compared_to, version_id, local=local, households=located)
    return _Impact(
        households=households,
        grid_counts=_grid_counts(store, compared_to, households, located, options, local=local is not None),
        incidents=_incident_moves(store, compared_to, version_id, local),
    )


def _remembered(
    store: DraftStatusStore, draft: DraftInfo, compared_to: int, options: CheckOptions, memory: StatusMemory
) -> tuple[VersionComparison, CheckReport, _Impact]:
    """The comparison, the changed area's check and the impact, from the last status `memory` holds for the draft
    brought up to date where the draft changed since (from scratch when it holds none), and remembered for the next."""
    key = (draft.version.id, draft.version.created_at, compared_to)
    held = memory.last(key)
    with store.reading():  # the revisions and the features compared in one look at the draft
        revisions = store.feature_revisions(draft.version.id)
        comparison = _comparison(store, compared_to, revisions, held)
    checked = check_area(store, draft.version.id, comparison, options, held.area if held else None)
    touched = touched_boxes(held.area.comparison, comparison) if held else None
    boxes = feature_boxes(comparison.before + comparison.after)
    households, codes = household_moves(
        store, compared_to, draft.version.id, boxes=boxes, touched=touched, previous=held.households if held else None
    )
    counts, codes = grid_counts(store, compared_to, households, codes)
    memory.keep(key, RememberedStatus(area=checked, households=codes, revisions=revisions))
    incidents = [
        IncidentMove(change.incident.id, change.incident.category, change.from_grid, change.to_grid)
        for change in incident_moves(store, compared_to, draft.version.id, boxes, _INCIDENT_LIMIT)
    ]
    return comparison, checked.report, _Impact(households, _changing(counts, options), incidents)


def _comparison(
    store: DraftStatusStore, compared_to: int, revisions: FeatureRevisions, held: RememberedStatus | None
) -> VersionComparison:
    """The draft against the compared version (which never changes): the last status's comparison with only the
    features written, created or deleted since compared again (all of them when there is none)."""
    if held is None:
        return store.compare(compared_to, revisions.version_id)
    moved = revisions.moved_since(held.revisions)
    if not moved:
        return held.area.comparison
    return store.recompare(held.area.comparison, moved)


def _published(store: DraftStatusStore, draft: DraftInfo) -> int:
    published = published_version(store, draft.version.set_name)
    if published.id == draft.version.id:
        msg = f"version {draft.version.id} is the published one: name the version to compare it with"
        raise InvalidInput(msg)
    return published.id


def _grid_counts(
    store: DraftStatusStore,
    compared_to: int,
    impact: HouseholdImpact,
    households: HouseholdLocations,
    options: CheckOptions,
    *,
    local: bool,
) -> list[GridCount]:
    """Households per grid before and after, for the grids whose count changes, ordered by code.

    Only the grids that households move from or to change count; when `local`, only the households in those
    grids' boxes are counted, against the features of the compared version that meet the boxes."""
    if not impact.moves:
        return []
    moved = {g for m in impact.moves for g in (m.from_grid, m.to_grid) if g is not None}
    lon, lat = households.lon, households.lat
    if local:
        grids = store.features(compared_to, codes=moved).features
        boxes = shapely.bounds(np.asarray([g.geometry for g in grids], dtype=object)).reshape(-1, 4)
        inside = points_in_boxes(boxes, lon, lat)
        lon, lat, before = lon[inside], lat[inside], store.version_frame(compared_to, boxes=boxes)
    else:
        before = store.version_frame(compared_to)
    counted = Counter(_grids(before, lon, lat)) if len(before) else Counter[str | None]()
    after = Counter(counted)
    for move in impact.moves:
        after[move.from_grid] -= 1
        after[move.to_grid] += 1
    return _changing({g: (counted[g], after[g]) for g in moved}, options)


def _changing(counts: Mapping[str, tuple[int, int]], options: CheckOptions) -> list[GridCount]:
    """The grids whose count (before, after) changes, ordered by code, each marked when it leaves the range."""
    low, high = options.households_min, options.households_max
    return [
        GridCount(g, before, after, not low <= after <= high)
        for g, (before, after) in sorted(counts.items())
        if before != after
    ]


def _grids(boundaries: GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
    """The grid code of every point in the boundaries (None outside every grid)."""
    return [code or None for code in BoundaryLayers(boundaries).assign(lon, lat)["grid_code"]]


def _incident_moves(
    store: DraftStatusStore, compared_to: int, version_id: int, local: LocalFrames | None
) -> list[IncidentMove]:
    """The open incidents whose grid differs between the two versions (of those inside `local`, when given)."""
    points, _matched = store.incident_points(IncidentFilter(statuses=OPEN_STATUSES), _INCIDENT_LIMIT)
    if not points:
        return []
    lon = np.array([p.lon for p in points], dtype=np.float64)
    lat = np.array([p.lat for p in points], dtype=np.float64)
    before, after, inside = frames_to_assign(store, compared_to, version_id, local, lon, lat)
    points, lon, lat = [p for p, held in zip(points, inside, strict=True) if held], lon[inside], lat[inside]
    if not points:
        return []
    moves = zip(points, _grids(before, lon, lat), _grids(after, lon, lat), strict=True)
    return [IncidentMove(p.id, p.category, old, new) for p, old, new in moves if old != new]
