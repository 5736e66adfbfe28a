"""Sliver merging: thin parts of features given to the neighbour of the same parent with the longest shared border.

A sliver is what the check calls one (`coverage.thin_features`): a polygon that erosion by half the sliver width
leaves empty. A sliver *part* is such a polygon inside a feature that also has a thicker part; a sliver *feature*
is one whose every part is thin. Parts are merged; whole features only when the caller allows it, and never one
that other features name as their parent.

A part moves only between features of the same level and the same parent (all top-level features count as
siblings), so no area crosses a boundary of the parent level. When a grid's part moves, the pieces of its
microgrids inside that part follow it into the receiving grid's microgrid with the longest border on the part,
so the levels below stay nested. A move that would empty a feature, leave children behind or break a group's
coverage is refused and reported instead.

Geometries stay in lon/lat so that untouched vertices stay bit-identical; widths and lengths are measured after
`to_metres` (the check's affine local metres).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.coverage import polygonal_parts, thin_features
from gridmap.geo.hierarchy import LEVELS, Level

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]
ToMetres = Callable[[Any], Any]

# Pieces of children smaller than this (m2) inside a moved part are overlay noise, not area to carry along.
_NOISE_M2 = 1e-4
# A child may reach this far (m2) outside its parent after a move: floating-point residue of the overlay.
_NESTING_TOLERANCE_M2 = 0.01
# Flagged coverage edges may grow by this much (m) in a move: vertex noise, not a broken border.
_EDGE_TOLERANCE_M = 0.01


@dataclass(frozen=True)
class SliverMerge:
    """One polygon (lon/lat) moved from feature `source` to feature `target` (indices into the input)."""

    source: int
    target: int
    geometry: BaseGeometry
    shared_border_m: float
    whole_feature: bool  # the source was a sliver feature and is now empty
    follows: int | None = None  # index in `merges` of the parent's merge this child piece follows


@dataclass(frozen=True)
class FoundSliver:
    """A feature with sliver parts: its thin polygons (every part when the whole feature is a sliver)."""

    feature: int  # index into the geometries searched
    parts: list[BaseGeometry]
    whole_feature: bool


@dataclass(frozen=True)
class SliverLeft:
    """A sliver (a part, or the whole feature) that was not merged, and why."""

    feature: int
    geometry: BaseGeometry
    whole_feature: bool
    reason: str


@dataclass
class SliverRepair:
    """The geometries after merging (same order; merged sliver features empty), what moved and what stayed."""

    geometries: GeometryArray
    merges: list[SliverMerge]
    left: list[SliverLeft]


class _Refused(Exception):
    """A planned move that would break something; the message says what."""


@dataclass
class _Hierarchy:
    """Who is whose sibling and child, as far as sliver merging is concerned."""

    group_of: npt.NDArray[np.int64]  # per feature: its sibling group, -1 when it has none (no usable parent)
    groups: dict[int, IndexArray]
    children_of: dict[int, list[int]]
    child_count: npt.NDArray[np.intp]  # features naming each one as parent (whatever their level)


def merge_slivers(
    geometries: GeometryArray,
    *,
    levels: Sequence[str],
    parent_of: IndexArray,
    to_metres: ToMetres,
    sliver_width: float,
    merge_features: bool = False,
) -> SliverRepair:
    """Merge every sliver part (and, with `merge_features`, every sliver feature) into a same-parent neighbour.

    `levels` holds each feature's level ("" for a flat set), `parent_of` the index of its parent or -1;
    `sliver_width` is in metres. Levels are handled top-down, so pieces a grid hands down become its
    microgrids' to merge in turn.
    """
    shapes = np.asarray(geometries, dtype=object).copy()
    hierarchy = _hierarchy(levels, parent_of)
    merges: list[SliverMerge] = []
    left: list[SliverLeft] = []
    for level in _present_levels(levels):
        members = np.flatnonzero(np.asarray(levels, dtype=object) == level)
        suspects = members[_has_sliver(shapes[members], to_metres, sliver_width)]
        for group in np.unique(hierarchy.group_of[suspects]).tolist():
            if group < 0:
                orphans = suspects[hierarchy.group_of[suspects] < 0]
                whole = np.isin(np.arange(len(orphans)), thin_features(to_metres(shapes[orphans]), sliver_width))
                reason = "it has no usable parent, so it has no siblings to merge into"
                left.extend(SliverLeft(int(i), shapes[i], bool(w), reason) for i, w in zip(orphans, whole, strict=True))
                continue
            merger = _GroupMerger(shapes, hierarchy, to_metres, sliver_width, merge_features, merges)
            left.extend(merger.run(hierarchy.groups[group]))
    return SliverRepair(geometries=shapes, merges=merges, left=left)


def _present_levels(levels: Sequence[str]) -> list[str]:
    """The levels present, top-down (the hierarchy's order, then any others such as "" for a flat set)."""
    known = [lv.value for lv in LEVELS if lv.value in set(levels)]
    return known + sorted(set(levels) - set(known))


def _hierarchy(levels: Sequence[str], parent_of: IndexArray) -> _Hierarchy:
    """Sibling groups: the top level is one group; below it, the children of one parent of the level above."""
    present = _present_levels(levels)
    level_array = np.asarray(levels, dtype=object)
    group_of = np.full(len(levels), -1, dtype=np.int64)
    top = level_array == present[0] if present else np.zeros(len(levels), dtype=bool)
    group_of[top] = len(levels)  # a key no parent index can take
    children_of: dict[int, list[int]] = {}
    for i, (level, parent) in enumerate(zip(levels, parent_of.tolist(), strict=True)):
        if parent < 0 or not level or level not in {lv.value for lv in Level}:
            continue
        expected = Level(level).parent_level
        if expected is not None and levels[parent] == expected.value:
            group_of[i] = parent
            children_of.setdefault(parent, []).append(i)
    groups = {int(g): np.flatnonzero(group_of == g) for g in np.unique(group_of[group_of >= 0]).tolist()}
    child_count = np.bincount(parent_of[parent_of >= 0], minlength=len(levels)).astype(np.intp)
    return _Hierarchy(group_of=group_of, groups=groups, children_of=children_of, child_count=child_count)


def _has_sliver(shapes: GeometryArray, to_metres: ToMetres, width: float) -> npt.NDArray[np.bool_]:
    """Per feature: whether any of its polygon parts is a sliver."""
    found = np.zeros(len(shapes), dtype=bool)
    usable = np.flatnonzero(~shapely.is_empty(shapes) & ~shapely.is_missing(shapes))
    parts, owner = shapely.get_parts(shapes[usable], return_index=True)
    found[usable[owner[thin_features(to_metres(parts), width)]]] = True  # no np.unique: it imports numpy.ma
    return found


def find_slivers(shapes: GeometryArray, *, to_metres: ToMetres, sliver_width: float) -> list[FoundSliver]:
    """Every feature with a polygon part thinner than `sliver_width` m everywhere, in input order.

    This is what the fix merges and the check reports (`sliver` for whole features, `sliver_part` for parts).
    """
    found = []
    for feature in np.flatnonzero(_has_sliver(shapes, to_metres, sliver_width)).tolist():
        parts = shapely.get_parts(shapes[feature])
        thin = set(thin_features(to_metres(parts), sliver_width).tolist())
        whole = len(thin_features(to_metres(np.array([shapes[feature]])), sliver_width)) == 1
        found.append(FoundSliver(feature, [parts[k] for k in sorted(thin)] if not whole else list(parts), whole))
    return found


class _GroupMerger:
    """Merges the slivers of one sibling group, one move at a time, until none can move."""

    def __init__(
        self,
        shapes: GeometryArray,
        hierarchy: _Hierarchy,
        to_metres: ToMetres,
        width: float,
        merge_features: bool,
        merges: list[SliverMerge],
    ) -> None:
        self.shapes = shapes
        self.hierarchy = hierarchy
        self.to_metres = to_metres
        self.width = width
        self.merge_features = merge_features
        self.merges = merges

    def run(self, members: IndexArray) -> list[SliverLeft]:
        """Merge until a whole pass moves nothing; the slivers of that last pass are what is left."""
        while True:
            left: list[SliverLeft] = []
            for feature, parts, whole in self._slivers(members):
                try:
                    self._merge(feature, parts, whole, members)
                except _Refused as refusal:
                    geometry = self.shapes[feature] if whole else shapely.union_all(parts)
                    left.append(SliverLeft(feature, geometry, whole, str(refusal)))
                    continue
                break  # every merge changes the group: look at it afresh
            else:
                return left

    def _slivers(self, members: IndexArray) -> list[tuple[int, list[BaseGeometry], bool]]:
        """(feature, its sliver parts, whether that is the whole feature), in input order."""
        found = find_slivers(self.shapes[members], to_metres=self.to_metres, sliver_width=self.width)
        return [(int(members[s.feature]), s.parts, s.whole_feature) for s in found]

    def _merge(self, feature: int, parts: list[BaseGeometry], whole: bool, members: IndexArray) -> None:
        """Move `parts` of `feature` to their neighbours, or raise _Refused and change nothing."""
        if whole and not self.merge_features:
            raise _Refused("the whole feature is a sliver: deleting it needs a decision (--merge-sliver-features)")
        if whole and self.hierarchy.child_count[feature]:
            raise _Refused(
                f"the whole feature is a sliver, but {self.hierarchy.child_count[feature]} features name it as parent"
            )
        changes: dict[int, BaseGeometry] = {}
        planned: list[tuple[int, int, BaseGeometry, float, int | None]] = []
        remaining = [p for p in shapely.get_parts(self.shapes[feature]) if not any(p.equals(s) for s in parts)]
        changes[feature] = _collect(remaining)
        for part in parts:
            target, shared = self._longest_border(part, members[members != feature], changes)
            if target < 0:
                raise _Refused("it borders no other feature of the same parent")
            changes[target] = _polygonal(shapely.union(changes.get(target, self.shapes[target]), part))
            planned.append((feature, target, part, shared, None))
            self._carry_children(part, feature, target, changes, planned, len(planned) - 1)
        self._verify(changes)
        first = len(self.merges)
        for source, target, geometry, shared, follows in planned:
            is_whole = whole and source == feature
            self.merges.append(
                SliverMerge(source, target, geometry, shared, is_whole, None if follows is None else first + follows)
            )
        for index, shape in changes.items():
            self.shapes[index] = shape

    def _longest_border(
        self, region: BaseGeometry, candidates: IndexArray | list[int], changes: dict[int, BaseGeometry]
    ) -> tuple[int, float]:
        """The candidate sharing the longest border (m) with `region`, or -1 when none shares any."""
        candidates = np.asarray(candidates, dtype=np.intp)
        if not len(candidates):
            return -1, 0.0
        current = np.array([changes.get(int(c), self.shapes[c]) for c in candidates], dtype=object)
        borders = shapely.intersection(region.boundary, shapely.boundary(current))
        shared: npt.NDArray[np.float64] = np.asarray(shapely.length(self.to_metres(borders)), dtype=np.float64)
        best = int(np.argmax(shared))
        if float(shared[best]) <= 0.0:
            return -1, 0.0
        return int(candidates[best]), float(shared[best])

    def _carry_children(
        self,
        region: BaseGeometry,
        source: int,
        target: int,
        changes: dict[int, BaseGeometry],
        planned: list[tuple[int, int, BaseGeometry, float, int | None]],
        follows: int,
    ) -> None:
        """Hand the source's children's pieces inside `region` to the target's child bordering it most."""
        pieces = []
        for child in self.hierarchy.children_of.get(source, []):
            piece = _polygonal(shapely.intersection(changes.get(child, self.shapes[child]), region))
            if not piece.is_empty and self._area_m2(piece) > _NOISE_M2:
                pieces.append((child, piece))
        if not pieces:
            return
        heir, shared = self._longest_border(region, self.hierarchy.children_of.get(target, []), changes)
        if heir < 0:
            msg = "its children's area there would have no child of the receiving feature to go to"
            raise _Refused(msg)
        for child, piece in pieces:
            rest = _polygonal(shapely.difference(changes.get(child, self.shapes[child]), region))
            if rest.is_empty:
                raise _Refused("a child feature lies wholly inside it and would be deleted")
            changes[child] = rest
            changes[heir] = _polygonal(shapely.union(changes.get(heir, self.shapes[heir]), piece))
            planned.append((child, heir, piece, shared, follows))
            self._carry_children(piece, child, heir, changes, planned, len(planned) - 1)

    def _verify(self, changes: dict[int, BaseGeometry]) -> None:
        """Refuse when a changed feature's group gets more broken edges, or a child more area outside its parent."""
        for group in {int(self.hierarchy.group_of[i]) for i in changes} - {-1}:
            members = self.hierarchy.groups[group]
            before = self.shapes[members]
            after = np.array([changes.get(int(i), self.shapes[i]) for i in members], dtype=object)
            if self._broken_edges_m(after) > self._broken_edges_m(before) + _EDGE_TOLERANCE_M:
                raise _Refused("merging it would break the coverage of its siblings")
        for child in changes:
            parent = int(self.hierarchy.group_of[child])
            if parent < 0 or parent >= len(self.shapes) or changes[child].is_empty:
                continue
            outside_before = self._area_m2(shapely.difference(self.shapes[child], self.shapes[parent]))
            outside = self._area_m2(shapely.difference(changes[child], changes.get(parent, self.shapes[parent])))
            if outside > outside_before + _NESTING_TOLERANCE_M2:
                raise _Refused("merging it would push a child feature outside its parent")

    def _broken_edges_m(self, shapes: GeometryArray) -> float:
        """Total length (m) of the edges GEOS flags in a coverage: 0 for a valid one."""
        shapes = shapes[~shapely.is_empty(shapes)]
        if shapely.coverage_is_valid(shapes):
            return 0.0
        return float(np.nansum(shapely.length(self.to_metres(shapely.coverage_invalid_edges(shapes)))))

    def _area_m2(self, geometry: BaseGeometry) -> float:
        """Area of a lon/lat geometry in local square metres."""
        return float(shapely.area(self.to_metres(geometry)))


def _collect(parts: list[BaseGeometry]) -> BaseGeometry:
    """Polygon parts as one geometry: empty, a Polygon or a MultiPolygon (no overlay, vertices untouched)."""
    if not parts:
        return shapely.Polygon()
    if len(parts) == 1:
        return parts[0]
    return shapely.MultiPolygon(shapely.get_parts(np.array(parts, dtype=object)).tolist())


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygonal part of an overlay result (edges and points where shapes touch are dropped)."""
    return _collect(polygonal_parts(geometry, 0.0))
