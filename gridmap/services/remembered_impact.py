"""The households and open incidents a large draft would move to another grid, found where it differs from the
compared version, with the households' codes kept from one status to the next.

A point's codes in a version depend only on the features covering it, so only the points inside the boxes of the
features that differ (`feature_boxes`) can change grid, and a point's codes in the draft change only where a
feature changed since the last status (`touched`). The codes found are kept with the household register as it
was read: the next status assigns only the households inside what changed since and those newly inside the
differing area, and reads and assigns them all again when the register's revision moved (an import). The
compared version is never edited (the memory is only used against one that is not a draft), so its codes stay.
Incidents change on their own (reported, closed) and are few: assigned afresh each time, from the features around
them alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt
import shapely

from gridmap.geo.boxes import covering_boxes
from gridmap.geo.hierarchy import Level
from gridmap.incidents.workflow import OPEN_STATUSES
from gridmap.services.boundary_layers import BoundaryLayers
from gridmap.services.household_impact import HouseholdImpact, HouseholdMove
from gridmap.services.local_frames import points_in_boxes
from gridmap.store.household_store import HouseholdLocations, HouseholdStore, HouseholdVersionStore
from gridmap.store.incident_store import IncidentFilter, IncidentPoint, IncidentStore
from gridmap.store.version_store import VersionStore

_LEVELS = (Level.COMMUNITY, Level.GRID, Level.MICROGRID)
_AROUND_DEGREES = 1e-7  # each point is looked up in a box this much wider on each side (about a centimetre)
# From this many points on, codes_at asks whether their boxes spread over most of the version (a query of the grids'
# extent, ~20 ms at 10,000 grids): fewer points are looked up by their boxes whatever their spread.
_MANY_POINTS = 10_000
_SPREAD_CELLS = 64  # the points' boxes grouped into at most this many, as the store's frame query groups them

Codes = dict[Level, npt.NDArray[np.object_]]  # per level, each point's code (None: outside every feature)


class ImpactStore(HouseholdVersionStore, IncidentStore, VersionStore, Protocol):
    """Versions, the household register and the incidents."""


@dataclass(frozen=True)
class RegisterCodes:
    """The household register's points as read (with its `household_revision` then), their codes in the compared
    version and in the draft where they were found (`found_before`, `found_after`), and the ids of the rows asked
    for. The register only grows, and its revision changes with every import: the same revision, the same register,
    each row the same household."""

    revision: tuple[int, int]
    located: HouseholdLocations
    before: Codes
    after: Codes
    found_before: npt.NDArray[np.bool_]
    found_after: npt.NDArray[np.bool_]
    ids: Mapping[int, str]

    @classmethod
    def unknown(cls, store: HouseholdStore) -> RegisterCodes:
        """The register read, no codes found yet."""
        revision, located = store.household_revision(), store.household_locations()
        size, nothing = len(located.rows), np.zeros(len(located.rows), dtype=bool)
        return cls(revision, located, _nothing(size), _nothing(size), nothing, nothing, {})


def _nothing(size: int) -> Codes:
    return {level: np.full(size, None, dtype=object) for level in _LEVELS}


def codes_at(store: VersionStore, version_id: int, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> Codes:
    """Each point's community, grid and microgrid code in the version (None outside every feature), from the
    features around the points (the whole version when no grid is there, which then answers or refuses)."""
    if not len(lon):
        return _nothing(0)
    boxes = np.column_stack(
        [lon - _AROUND_DEGREES, lat - _AROUND_DEGREES, lon + _AROUND_DEGREES, lat + _AROUND_DEGREES]
    )
    spread = len(boxes) >= _MANY_POINTS and _spread_over_grids(store, version_id, boxes)
    frame = store.version_frame(version_id) if spread else store.version_frame(version_id, boxes=boxes)
    if not (frame["level"] == Level.GRID.value).any():
        frame = store.version_frame(version_id)
    found = BoundaryLayers(frame).codes(lon, lat).codes
    return {level: np.array([code or None for code in found[level].tolist()], dtype=object) for level in _LEVELS}


def _spread_over_grids(store: VersionStore, version_id: int, boxes: npt.NDArray[np.float64]) -> bool:
    """Do the boxes, grouped as a frame query groups them, cover more than half the version's grids' extent? Then
    that query reads most of the version and filters it: one read of the whole version costs less (the codes are
    the same: a point's codes come from the features covering it, which meet its box)."""
    extent = store.extent(version_id, level=Level.GRID)
    if extent is None:
        return False
    west, south, east, north = extent
    covering = covering_boxes(boxes, _SPREAD_CELLS)
    covered = float(np.sum((covering[:, 2] - covering[:, 0]) * (covering[:, 3] - covering[:, 1])))
    return covered > 0.5 * (east - west) * (north - south)


def _filled(codes: Codes, wanted: npt.NDArray[np.bool_], found: Codes) -> Codes:
    """`codes` with the `wanted` points' codes replaced by `found` (theirs, in order)."""
    filled = {level: codes[level].copy() for level in _LEVELS}
    for level in _LEVELS:
        filled[level][wanted] = found[level]
    return filled


def household_moves(
    store: ImpactStore,
    compared_to: int,
    version_id: int,
    *,
    boxes: npt.NDArray[np.float64],
    touched: npt.NDArray[np.float64] | None,
    previous: RegisterCodes | None,
) -> tuple[HouseholdImpact, RegisterCodes]:
    """The households inside the boxes of what differs (`boxes`) whose grid differs between the versions, and the
    codes found; `previous` codes are taken where the register is the same and the draft did not change since
    (outside `touched`; None: it may have changed anywhere)."""
    unchanged = previous is not None and previous.revision == store.household_revision()
    known = previous if previous is not None and unchanged else RegisterCodes.unknown(store)
    located = known.located
    lon, lat = located.lon, located.lat
    inside = points_in_boxes(boxes, lon, lat)
    redo = np.ones(len(lon), dtype=bool) if touched is None else points_in_boxes(touched, lon, lat)
    need_before = inside & ~known.found_before
    need_after = inside & (~known.found_after | redo)
    before = _filled(known.before, need_before, codes_at(store, compared_to, lon[need_before], lat[need_before]))
    after = _filled(known.after, need_after, codes_at(store, version_id, lon[need_after], lat[need_after]))
    moved = np.flatnonzero(inside & (before[Level.GRID] != after[Level.GRID]))
    rows = located.rows[moved].tolist()
    unnamed = [row for row in rows if row not in known.ids]
    named = {**known.ids, **dict(zip(unnamed, store.household_ids(unnamed) if unnamed else [], strict=True))}
    found_after = (known.found_after & ~redo) | need_after
    codes = replace(
        known,
        before=before,
        after=after,
        found_before=known.found_before | need_before,
        found_after=found_after,
        ids=named,
    )
    ids = [named[row] for row in rows]
    moves = [
        HouseholdMove(
            household_id=household_id,
            from_grid=before[Level.GRID][i],
            to_grid=after[Level.GRID][i],
            from_microgrid=before[Level.MICROGRID][i],
            to_microgrid=after[Level.MICROGRID][i],
            from_community=before[Level.COMMUNITY][i],
            to_community=after[Level.COMMUNITY][i],
        )
        for i, household_id in zip(moved.tolist(), ids, strict=True)
    ]
    return HouseholdImpact(from_version=compared_to, to_version=version_id, moves=moves), codes


def grid_counts(
    store: ImpactStore, compared_to: int, impact: HouseholdImpact, codes: RegisterCodes
) -> tuple[dict[str, tuple[int, int]], RegisterCodes]:
    """Households per grid in the compared version and in the draft, for the grids households move from or to
    (the households in those grids' boxes counted in the compared version, the moves then applied), and the
    codes found."""
    if not impact.moves:
        return {}, codes
    moved = {g for m in impact.moves for g in (m.from_grid, m.to_grid) if g is not None}
    grids = store.features(compared_to, codes=moved).features
    boxes = shapely.bounds(np.asarray([g.geometry for g in grids], dtype=object)).reshape(-1, 4)
    lon, lat = codes.located.lon, codes.located.lat
    inside = points_in_boxes(boxes, lon, lat)
    need = inside & ~codes.found_before
    before = _filled(codes.before, need, codes_at(store, compared_to, lon[need], lat[need]))
    codes = replace(codes, before=before, found_before=codes.found_before | need)
    counted = Counter(before[Level.GRID][inside].tolist())
    after = Counter(counted)
    for move in impact.moves:
        after[move.from_grid] -= 1
        after[move.to_grid] += 1
    return {g: (counted[g], after[g]) for g in moved}, codes


@dataclass(frozen=True)
class IncidentChange:
    """An open incident and its grid in the compared version and in the draft."""

    incident: IncidentPoint
    from_grid: str | None
    to_grid: str | None


def incident_moves(
    store: ImpactStore, compared_to: int, version_id: int, boxes: npt.NDArray[np.float64], limit: int
) -> list[IncidentChange]:
    """The open incidents (up to `limit`, newest first) inside the boxes whose grid differs between the versions."""
    points, _matched = store.incident_points(IncidentFilter(statuses=OPEN_STATUSES), limit)
    lon = np.array([p.lon for p in points], dtype=np.float64)
    lat = np.array([p.lat for p in points], dtype=np.float64)
    inside = np.flatnonzero(points_in_boxes(boxes, lon, lat))
    old = codes_at(store, compared_to, lon[inside], lat[inside])[Level.GRID]
    new = codes_at(store, version_id, lon[inside], lat[inside])[Level.GRID]
    return [
        IncidentChange(points[i], a, b)
        for i, a, b in zip(inside.tolist(), old.tolist(), new.tolist(), strict=True)
        if a != b
    ]
