"""Before publishing: a draft's check report, its diff against the version it came from, and its impact, in one read.

The editor's live panels ask for this after every edit. The check covers the whole draft while it is small, and
only the area the draft changed (the changed features, their neighbours and parents) once it is large, and says
which. The impact counts the stored households and open incidents that would change grid; it names them by id
only (no names, phones or addresses) and is meant for planners. Nothing here writes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.incidents.workflow import OPEN_STATUSES
from gridmap.services.allowed_exceptions import check_options_for_set
from gridmap.services.boundaries import published_version
from gridmap.services.boundary_layers import BoundaryLayers
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries
from gridmap.services.household_impact import HouseholdImpact, frames_to_assign, household_impact
from gridmap.services.local_frames import LocalFrames, local_frames, points_in_boxes
from gridmap.store.edit_store import DraftEditStore, DraftInfo
from gridmap.store.exception_store import ExceptionStore
from gridmap.store.household_store import HouseholdLocations, HouseholdVersionStore
from gridmap.store.incident_store import IncidentFilter, IncidentStore
from gridmap.store.version_store import VersionDiff

LARGE_DRAFT_FEATURES = 3_000  # above this many features only the changed area is checked
AREA_MARGIN_M = 5.0  # features this close to a changed feature belong to the changed area
_INCIDENT_LIMIT = 100_000
_METRES_PER_DEGREE = 111_320.0


class DraftStatusStore(DraftEditStore, ExceptionStore, HouseholdVersionStore, IncidentStore, Protocol):
    """A draft with its history, its set's allowed exceptions, the household register and the incidents."""


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
) -> DraftStatus:
    """The status of a stored version (a draft, typically) compared with `against`: by default the version it
    was started from, or the set's published version for an imported draft (InvalidInput when there is none)."""
    draft = store.draft_info(version_id)
    compared_to = against or draft.based_on or _published(store, draft)
    options = check_options_for_set(store=store, set_name=draft.version.set_name, options=options)
    comparison = store.compare(compared_to, version_id)
    diff = comparison.diff
    after_by_id = {f.feature_id: f.geometry for f in comparison.after}
    before_by_id = {f.feature_id: f.geometry for f in comparison.before}
    local = None
    if draft.version.feature_count <= LARGE_DRAFT_FEATURES:
        scope, report = CheckScope.DRAFT, check_boundaries(store.version_frame(version_id), options)
    else:
        changed = [after_by_id[i] for i in _changed_ids(diff) if i in after_by_id]
        changed += [before_by_id[f.feature_id] for f in diff.removed]
        scope, report = CheckScope.CHANGED_AREA, check_boundaries(_changed_area(store, version_id, changed), options)
        # Households and incidents move only where the versions differ: assigned there alone.
        local = local_frames(store, compared_to, version_id, comparison.before + comparison.after)
    reshaped = {r.feature_id for r in diff.reshaped}
    located = store.household_locations()
    households = household_impact(store, compared_to, version_id, local=local, households=located)
    return DraftStatus(
        draft=draft,
        compared_to=compared_to,
        scope=scope,
        report=report,
        diff=diff,
        geometry_after={i: after_by_id[i] for i in {f.feature_id for f in diff.added} | reshaped},
        geometry_before={i: before_by_id[i] for i in {f.feature_id for f in diff.removed} | reshaped},
        households=households,
        grid_counts=_grid_counts(store, compared_to, households, located, options, local=local is not None),
        incidents=_incident_moves(store, compared_to, version_id, local),
        households_range=(options.households_min, options.households_max),
    )


def _published(store: DraftStatusStore, draft: DraftInfo) -> int:
    published = published_version(store, draft.version.set_name)
    if published.id == draft.version.id:
        msg = f"version {draft.version.id} is the published one: name the version to compare it with"
        raise InvalidInput(msg)
    return published.id


def _changed_ids(diff: VersionDiff) -> list[str]:
    """The draft's features the diff names (added, reshaped, with changed properties)."""
    return sorted(
        {f.feature_id for f in diff.added}
        | {r.feature_id for r in diff.reshaped}
        | {c.feature_id for c in diff.changed}
    )


def _changed_area(store: DraftStatusStore, version_id: int, changed: Sequence[BaseGeometry]) -> GeoDataFrame:
    """The draft's features within AREA_MARGIN_M of the changed geometries, with their ancestors and everything
    below those (so the communities around the changes, whole): the check then finds no gap where a sibling
    or a child was left out."""
    boxes = np.array([_widened(geometry) for geometry in changed], dtype=np.float64).reshape(-1, 4)
    with store.reading():  # one transaction for the reads
        pieces = [store.version_frame(version_id, boxes=boxes)]
        codes = set(pieces[0]["code"])
        parents = set(pieces[0]["parent"]) - {None, ""}
        while parents:
            pieces.append(store.version_frame(version_id, codes={str(code) for code in parents}))
            codes |= set(pieces[-1]["code"])
            parents = set(pieces[-1]["parent"]) - {None, ""} - codes
        layer = codes
        while layer:
            pieces.append(store.version_frame(version_id, parents=layer))
            layer = set(pieces[-1]["code"]) - codes
            codes |= layer
    # Each piece is numbered by place in the whole draft: joined in that order, as one read of them all would be.
    joined = pd.concat([piece for piece in pieces if len(piece)] or pieces[:1], ignore_index=True)
    joined = joined.drop_duplicates("feature_id")
    return joined.sort_values("feature", kind="stable").reset_index(drop=True)


def _widened(geometry: BaseGeometry) -> tuple[float, float, float, float]:
    min_x, min_y, max_x, max_y = geometry.bounds
    dy = AREA_MARGIN_M / _METRES_PER_DEGREE
    dx = dy / max(math.cos(math.radians(max(abs(min_y), abs(max_y)))), 0.05)
    return (min_x - dx, min_y - dy, max_x + dx, max_y + dy)


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
    changed = sorted(g for g in moved if counted[g] != after[g])
    low, high = options.households_min, options.households_max
    return [GridCount(g, counted[g], after[g], not low <= after[g] <= high) for g in changed]


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
