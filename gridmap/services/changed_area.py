"""A large draft's changed area (the whole families near what it changed) and its check, kept from one status to
the next so that a status after a few edits checks again only the families around what changed since.

A family is a feature without a parent in the draft with everything below it. The changed area holds whole
families (the check then finds no gap where a sibling or a child was left out), and a family's problems depend on
its own features and on the families next to it (overlaps, shared edges, gaps between them). So when the draft
changed since the last check, the families near what changed (its old and new geometry) are read again: they and
the families next to them (the re-checked ring) get their problems from a check of those families and one more
ring of neighbours around them, mapped to metres as the whole area's check maps them (`metric_bounds`); every
other problem is kept. Problems are listed in one order (kind, level, codes, message, place) however they were
found, so the report is the one a check of the whole area gives. Validity and code problems name features by
their place in the whole draft ("feature N"), which an edit anywhere may shift: a report holding one is not kept,
and neither is an area whose families cannot be told apart (a loop of parents), nor a gap of the top level near
what changed (a hole in the area's union may reach past the families checked again): then the whole area is
checked again.

Each check also reads the draft's features of the area's top level outside the area beside the families whose
problems it reports (meeting their top-level features' boxes widened by AREA_MARGIN_M) and keeps only the problems
concerning those families. An unchanged family the area surrounds then fills its place in the top level's union as
it does in the whole draft, instead of leaving a hole the check would report as a gap (and that would send every
later status back to the whole area); a real gap beside it is bounded as in the whole draft. When the area holds
most of the draft (WHOLE_DRAFT_SHARE of its top level), the whole draft is read once and checked instead, and the
same problems (those concerning the area's families) are kept: one read and one check cost less than the area's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import LEVELS
from gridmap.geo.problems import Problem
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries
from gridmap.store.version_store import VersionComparison, VersionDiff, VersionStore

AREA_MARGIN_M = 5.0  # features this close to a changed feature belong to the changed area
# Above this share of the draft's top-level features near a change, the whole draft is read and checked (its
# problems concerning the area kept): the area then costs more to read in pieces and check than the whole draft.
WHOLE_DRAFT_SHARE = 0.5
_METRES_PER_DEGREE = 111_320.0
_LABELLED = re.compile(r": feature \d+ \(")  # "version 7: feature 12 (code): ..." (validity and code problems)

Box = tuple[float, float, float, float]


class _NotKept(Exception):
    """The previous check cannot be brought up to date: the whole area is checked again."""


@dataclass(frozen=True)
class Family:
    """A family of the changed area: its codes, the box holding its features, how many it has per level, and its
    features' boxes widened by AREA_MARGIN_M (one row each)."""

    codes: frozenset[str]
    bounds: Box
    levels: Mapping[str, int]
    boxes: npt.NDArray[np.float64] = field(compare=False, repr=False)


@dataclass(frozen=True)
class AreaCheck:
    """The check of a draft's changed area, with what a later check needs to redo only part of it."""

    report: CheckReport
    comparison: VersionComparison  # the draft against the compared version, as the check found it
    options: CheckOptions
    families: Mapping[str, Family] | None = None  # family name (its top code) -> family; None: not kept
    family_of: Mapping[str, str] | None = None  # code -> family name, for every feature of the area
    owners: tuple[frozenset[str], ...] = ()  # per problem, the families it concerns


def changed_ids(diff: VersionDiff) -> list[str]:
    """The draft's features the diff names (added, reshaped, with changed properties)."""
    return sorted(
        {f.feature_id for f in diff.added}
        | {r.feature_id for r in diff.reshaped}
        | {c.feature_id for c in diff.changed}
    )


def changed_geometries(comparison: VersionComparison) -> list[BaseGeometry]:
    """Where the draft differs from the compared version: the draft's geometry of its added, reshaped and changed
    features, and the compared geometry of the removed ones."""
    after = {f.feature_id: f.geometry for f in comparison.after}
    before = {f.feature_id: f.geometry for f in comparison.before}
    changed = [after[i] for i in changed_ids(comparison.diff) if i in after]
    return changed + [before[f.feature_id] for f in comparison.diff.removed]


def widened(geometries: Iterable[BaseGeometry] | npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """The geometries' boxes widened by AREA_MARGIN_M, one row each."""
    bounds = shapely.bounds(np.asarray(list(geometries), dtype=object)).reshape(-1, 4)
    dy = AREA_MARGIN_M / _METRES_PER_DEGREE
    dx = dy / np.maximum(np.cos(np.radians(np.maximum(np.abs(bounds[:, 1]), np.abs(bounds[:, 3])))), 0.05)
    return np.column_stack([bounds[:, 0] - dx, bounds[:, 1] - dy, bounds[:, 2] + dx, bounds[:, 3] + dy])


def area_frame(store: VersionStore, version_id: int, boxes: npt.NDArray[np.float64]) -> GeoDataFrame:
    """The draft's features meeting the boxes, with their ancestors and everything below those (so the
    families around them, whole)."""
    with store.reading():  # one transaction for the reads
        meeting = (
            store.version_frame(version_id, boxes=boxes) if len(boxes) else store.version_frame(version_id, codes=())
        )
        return _whole_families(store, version_id, [meeting])


def _whole_families(store: VersionStore, version_id: int, pieces: list[GeoDataFrame]) -> GeoDataFrame:
    """The features of `pieces` with their ancestors and everything below those, numbered by place in the draft."""
    codes = {str(code) for piece in pieces for code in piece["code"]}
    parents = {str(p) for piece in pieces for p in piece["parent"] if p} - codes
    while parents:
        pieces.append(store.version_frame(version_id, codes=parents))
        codes |= set(pieces[-1]["code"])
        parents = set(pieces[-1]["parent"]) - {None, ""} - codes
    layer = codes
    while layer:
        pieces.append(store.version_frame(version_id, parents=layer))
        layer = set(pieces[-1]["code"]) - codes
        codes |= layer
    # Each piece is numbered by place in the whole draft: joined in that order, as one read of them all would be.
    return _joined(pieces)


def check_area(
    store: VersionStore,
    version_id: int,
    comparison: VersionComparison,
    options: CheckOptions,
    previous: AreaCheck | None,
    *,
    remember: bool = True,
) -> AreaCheck:
    """The check of the draft's changed area (the families near where it differs from the compared version, as
    `comparison` finds it): `previous`'s brought up to date where the draft changed since, when it can be. With
    `remember`, the check keeps what the next one needs to redo only part of it."""
    if previous is not None and _comparable(previous.options, options) and previous.families is not None:
        try:
            return _updated(store, version_id, comparison, options, previous)
        except _NotKept:
            pass
    return _checked(store, version_id, comparison, options, remember=remember)


def _comparable(first: CheckOptions, second: CheckOptions) -> bool:
    """Same options (options with household points are never kept: arrays do not compare as a whole)."""
    return first.households is None and second.households is None and first == second


def _order(problem: Problem) -> tuple[str, str, tuple[str, ...], str, bytes]:
    """The order a status lists its problems in, however they were found."""
    place = b"" if problem.geometry is None else shapely.to_wkb(problem.geometry)
    return (problem.kind.value, problem.level or "", problem.codes, problem.message, place)


def _report(problems: Iterable[Problem], families: Iterable[Family], options: CheckOptions) -> CheckReport:
    """The report of the area's families, as `check_boundaries` counts them, with the problems in order."""
    levels: Counter[str] = Counter()
    for family in families:
        levels.update(family.levels)
    names = [*(level.value for level in LEVELS), "flat"]
    return CheckReport(
        problems=sorted(problems, key=_order),
        features=sum(levels.values()),
        levels={name: levels[name] for name in names if levels[name]},
        strict=options.strict,
    )


def _checked(
    store: VersionStore, version_id: int, comparison: VersionComparison, options: CheckOptions, *, remember: bool
) -> AreaCheck:
    """The whole changed area checked beside its neighbours (with its families and the problems' owners when
    `remember`)."""
    with store.reading():
        boxes = widened(changed_geometries(comparison))
        try:
            checked, family_of, families = _whole_draft(store, version_id, boxes)
        except _NotKept:
            frame = area_frame(store, version_id, boxes)
            try:
                family_of, families = _families(frame)
            except _NotKept:  # no family to tell the area's problems from its neighbours': the area alone is checked
                alone = check_boundaries(frame, options)
                report = replace(alone, problems=sorted(alone.problems, key=_order))
                return AreaCheck(report=report, comparison=comparison, options=options)
            checked = _beside(store, version_id, frame, families, families, family_of)
    found = check_boundaries(checked, _scoped(options, families, families)).problems
    kept = sorted(
        ((p, owner) for p, owner in zip(found, _owners(found, checked, family_of), strict=True) if owner),
        key=lambda pair: _order(pair[0]),
    )
    report = _report([p for p, _ in kept], families.values(), options)
    if not remember or not _comparable(options, options) or any(_LABELLED.search(p.message) for p in report.problems):
        return AreaCheck(report=report, comparison=comparison, options=options)
    owners = tuple(owner for _, owner in kept)
    return AreaCheck(report, comparison, options, families=families, family_of=family_of, owners=owners)


def _whole_draft(
    store: VersionStore, version_id: int, boxes: npt.NDArray[np.float64]
) -> tuple[GeoDataFrame, dict[str, str], dict[str, Family]]:
    """The whole draft to check, with the families of the area (those with a feature meeting `boxes`) and their
    codes, when its top level's features meeting `boxes` are more than WHOLE_DRAFT_SHARE of them: the whole draft
    holds every neighbour the area's check reads, costs one read instead of many, and its problems concerning the
    area's families are the area's. _NotKept otherwise (or for a loop of parents in the draft)."""
    top = next((level for level in LEVELS if store.extent(version_id, level=level) is not None), None)
    if top is None or not len(boxes):
        raise _NotKept  # no level: no family larger than one feature to read at once
    tops = np.asarray([f.geometry for f in store.features(version_id, level=top).features], dtype=object)
    if len(_meeting(boxes, tops)) <= WHOLE_DRAFT_SHARE * len(tops):
        raise _NotKept
    frame = store.version_frame(version_id)
    family_of, families = _families(frame)
    meeting = _meeting(boxes, np.asarray(frame.geometry, dtype=object))
    in_area = {family_of[code] for code in np.asarray(_codes_of(frame), dtype=object)[meeting].tolist()}
    area_of = {code: name for code, name in family_of.items() if name in in_area}
    return frame, area_of, {name: family for name, family in families.items() if name in in_area}


def _beside(
    store: VersionStore,
    version_id: int,
    frame: GeoDataFrame,
    families: Mapping[str, Family],
    reported: Iterable[str],
    family_of: Mapping[str, str],
) -> GeoDataFrame:
    """`frame` (features of the area's `families`) with the draft's features of the area's top level outside the
    area (`family_of`) within AREA_MARGIN_M (by box) of those of the `reported` families: a family the area
    surrounds then fills its hole in the top level's union, where the gaps are searched, as in the whole draft."""
    levels = {name for family in families.values() for name in family.levels}
    top = next((level for level in LEVELS if level.value in levels), None)  # None: no feature has a level
    reported_codes = {code for name in reported for code in families[name].codes}
    at_top = frame["level"] == top.value if top is not None else np.ones(len(frame), dtype=bool)
    tops = frame[at_top & frame["code"].isin(reported_codes)]
    if not len(tops):
        return frame
    boxes = widened(np.asarray(tops.geometry, dtype=object))
    candidates = store.features(version_id, bbox=_outline(boxes), level=top).features
    meeting = _meeting(boxes, np.asarray([f.geometry for f in candidates], dtype=object)).tolist()
    outside = {candidates[i].code for i in meeting} - family_of.keys()
    return _joined([frame, store.version_frame(version_id, codes=outside)]) if outside else frame


def _scoped(options: CheckOptions, families: Mapping[str, Family], reported: Iterable[str]) -> CheckOptions:
    """`options` for a check of some of the area's families and their neighbours: metres mapped as the whole area's
    check maps them, and parents checked against their children only in the families whose problems are kept (the
    neighbours are read in part)."""
    if not families:
        return options
    parents = frozenset(code for name in reported for code in families[name].codes)
    if options.nesting_parents is not None:
        parents &= options.nesting_parents
    return replace(options, metric_bounds=_extent(families.values()), nesting_parents=parents)


def _families(frame: GeoDataFrame) -> tuple[dict[str, str], dict[str, Family]]:
    """Each code's family name (the code at the top of its line of parents) and each family; _NotKept for a loop of
    parents (no top)."""
    codes = [str(code) for code in frame["code"]]
    known = set(codes)
    parent_of = {c: str(p) for c, p in zip(codes, frame["parent"], strict=True) if p and str(p) in known}
    family_of: dict[str, str] = {}
    for code in codes:
        line = [code]
        while line[-1] not in family_of and line[-1] in parent_of:
            line.append(parent_of[line[-1]])
            if len(line) > len(known):
                raise _NotKept
        top = family_of.get(line[-1], line[-1])
        family_of.update(dict.fromkeys(line, top))
    names = np.array([family_of[code] for code in codes], dtype=object)
    geometries = np.asarray(frame.geometry, dtype=object)
    bounds, boxes = shapely.bounds(geometries).reshape(-1, 4), widened(geometries)
    levels = np.array([lv if isinstance(lv, str) and lv else "flat" for lv in frame["level"]], dtype=object)
    order = np.argsort(names, kind="stable")
    starts = np.flatnonzero(np.r_[True, names[order][1:] != names[order][:-1]]).tolist() if len(order) else []
    families = {}
    for start, end in zip(starts, [*starts[1:], len(order)][: len(starts)], strict=True):
        rows = order[start:end]
        families[str(names[rows[0]])] = Family(
            codes=frozenset(codes[i] for i in rows.tolist()),
            bounds=_outline(bounds[rows]),
            levels=dict(Counter(levels[rows].tolist())),
            boxes=boxes[rows],
        )
    return family_of, families


def _owners(
    problems: Sequence[Problem], frame: GeoDataFrame, family_of: Mapping[str, str]
) -> tuple[frozenset[str], ...]:
    """Per problem, the families it concerns: those of its codes, or for a problem naming no feature (a gap) the
    families of the checked features within AREA_MARGIN_M of it (none: it concerns only features outside
    `family_of`, the neighbours read beside the families)."""
    placed = [p for p in problems if not p.codes and p.geometry is not None and not p.geometry.is_empty]
    near: dict[int, set[str]] = {}
    if placed:
        codes = [str(code) for code in frame["code"]]
        tree = shapely.STRtree(_boxes(widened(np.asarray(frame.geometry, dtype=object))))
        found, rows = tree.query(np.asarray([p.geometry for p in placed], dtype=object), predicate="intersects")
        for index, row in zip(found.tolist(), rows.tolist(), strict=True):
            if codes[row] in family_of:  # a neighbour read beside the area owns none of its problems
                near.setdefault(id(placed[index]), set()).add(family_of[codes[row]])
    return tuple(
        frozenset({family_of[code] for code in p.codes if code in family_of} | near.get(id(p), set())) for p in problems
    )


def _states(comparison: VersionComparison) -> dict[str, tuple[int | None, int | None]]:
    """Per feature the comparison names, its revision in the compared version and in the draft (None: absent)."""
    before = {f.feature_id: f.revision for f in comparison.before}
    after = {f.feature_id: f.revision for f in comparison.after}
    return {i: (before.get(i), after.get(i)) for i in before.keys() | after.keys()}


def touched_boxes(previous: VersionComparison, now: VersionComparison) -> npt.NDArray[np.float64]:
    """Boxes (widened by AREA_MARGIN_M) around the old and new geometry of every feature that changed between two
    comparisons of the same versions (none: nothing changed)."""
    return widened(_changed_since(previous, now))


def _changed_since(previous: VersionComparison, now: VersionComparison) -> list[BaseGeometry]:
    """The old and new geometry of every feature whose state in the comparison changed since `previous`.

    A feature the comparison does not name is the same in both versions; one it names at the same revisions on
    both sides is unchanged (every write of a feature raises its revision)."""
    then_states, now_states = _states(previous), _states(now)
    moved = {i for i in then_states.keys() | now_states.keys() if then_states.get(i) != now_states.get(i)}
    sides = (*previous.before, *previous.after, *now.before, *now.after)
    return [f.geometry for f in sides if f.feature_id in moved]


def _meeting(boxes: npt.NDArray[np.float64], geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.intp]:
    """The indices (ascending) of the geometries meeting one of the boxes."""
    if not len(boxes) or not len(geometries):
        return np.zeros(0, dtype=np.intp)
    tree = shapely.STRtree(_boxes(boxes))
    return np.unique(tree.query(geometries, predicate="intersects")[0])


def _boxes(boxes: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
    """The boxes (one per row) as polygons."""
    return np.asarray(shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]), dtype=object)


def _codes_of(frame: GeoDataFrame) -> list[str]:
    return [str(code) for code in frame["code"]]


@dataclass(frozen=True)
class _AreaNow:
    """The changed area after the edits since a check: its families, and the families near what changed (read)."""

    families: dict[str, Family]
    family_of: dict[str, str]
    near: GeoDataFrame  # the families near what changed, whole, as they are now (some maybe no longer in the area)
    near_of: dict[str, str]  # code -> family name, for `near`
    replaced: set[str]  # the previous check's families near what changed, and the families of `near`


def _area_now(
    store: VersionStore,
    version_id: int,
    comparison: VersionComparison,
    previous: AreaCheck,
    touched: npt.NDArray[np.float64],
) -> _AreaNow:
    """The families near what changed (`touched`), read again, and the area they leave: only they may have
    changed, entered it or left it."""
    assert previous.families is not None and previous.family_of is not None
    names = list(previous.families)
    boxes = np.array([previous.families[name].bounds for name in names], dtype=np.float64).reshape(-1, 4)
    stale = {names[i] for i in _meeting(touched, _boxes(boxes)).tolist()}
    pieces = [store.version_frame(version_id, boxes=touched)]
    stale_codes = {code for name in stale for code in previous.families[name].codes}
    if stale_codes:
        pieces.append(store.version_frame(version_id, codes=stale_codes))
    near = _whole_families(store, version_id, pieces)
    near_of, near_families = _families(near)
    kept = {name: family for name, family in previous.families.items() if name not in stale}
    if not {code for code, name in previous.family_of.items() if name in kept}.isdisjoint(near_of):
        raise _NotKept  # a family read again shares a code with one kept: the families are not what they were
    meeting = _meeting(widened(changed_geometries(comparison)), np.asarray(near.geometry, dtype=object))
    in_area = {near_of[code] for code in np.asarray(_codes_of(near), dtype=object)[meeting].tolist()}
    family_of = {code: name for code, name in previous.family_of.items() if name in kept}
    family_of |= {code: name for code, name in near_of.items() if name in in_area}
    return _AreaNow(
        families=kept | {name: near_families[name] for name in in_area},
        family_of=family_of,
        near=near,
        near_of=near_of,
        replaced=stale | set(near_families),
    )


def _within(families: Mapping[str, Family], boxes: npt.NDArray[np.float64]) -> set[str]:
    """The families with a feature whose widened box meets one of `boxes`: all those with a feature within
    AREA_MARGIN_M of the features the boxes widen, and maybe a few more (boxes are coarser than shapes)."""
    if not len(boxes) or not families:
        return set()
    names = list(families)
    outlines = np.array([_outline(families[name].boxes) for name in names], dtype=np.float64)
    candidates = [names[i] for i in _meeting(boxes, _boxes(outlines)).tolist()]
    if not candidates:
        return set()
    owners = np.concatenate([np.full(len(families[name].boxes), i) for i, name in enumerate(candidates)])
    hits = _meeting(boxes, _boxes(np.concatenate([families[name].boxes for name in candidates])))
    return {candidates[i] for i in np.unique(owners[hits]).tolist()}


def _outline(boxes: npt.NDArray[np.float64]) -> Box:
    """The box holding the boxes."""
    return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()), float(boxes[:, 3].max()))


def _features(
    store: VersionStore, version_id: int, families: Mapping[str, Family], names: Iterable[str]
) -> GeoDataFrame:
    """The draft's features of the families `names`."""
    return store.version_frame(version_id, codes={code for name in names for code in families[name].codes})


def _joined(frames: Sequence[GeoDataFrame]) -> GeoDataFrame:
    """The frames' features once each, in their order in the draft."""
    joined = pd.concat([frame for frame in frames if len(frame)] or frames[:1], ignore_index=True)
    return joined.drop_duplicates("feature_id").sort_values("feature", kind="stable").reset_index(drop=True)


def _updated(
    store: VersionStore, version_id: int, comparison: VersionComparison, options: CheckOptions, previous: AreaCheck
) -> AreaCheck:
    """`previous` brought up to date: the families near what changed since it and those next to them checked
    again (with one more ring of families around them); _NotKept when that cannot give the whole area's check."""
    assert previous.families is not None
    touched = touched_boxes(previous.comparison, comparison)
    if not len(touched):
        return replace(previous, comparison=comparison)
    if not previous.families:
        raise _NotKept  # nothing to keep
    with store.reading():
        area = _area_now(store, version_id, comparison, previous, touched)
        if not area.families or _extent(area.families.values()) != _extent(previous.families.values()):
            raise _NotKept  # the area's metres would be centred elsewhere: every problem's numbers may shift
        families, family_of = area.families, area.family_of
        # Re-checked: the families near what changed and those next to them; checked with one more ring around.
        rechecked = _within(families, widened(np.asarray(area.near.geometry, dtype=object)))
        boxes = np.concatenate([families[name].boxes for name in rechecked]) if rechecked else np.zeros((0, 4))
        around = rechecked | _within(families, boxes)
        ring = _features(store, version_id, families, around - area.replaced)
        near = area.near[[family_of.get(code) in families for code in _codes_of(area.near)]]
        checked = _beside(store, version_id, _joined([near, ring]), families, rechecked, family_of)
    found = check_boundaries(checked, _scoped(options, families, rechecked)).problems
    dropped = area.replaced | rechecked
    kept: list[tuple[Problem, frozenset[str]]] = []
    for problem, owner in zip(previous.report.problems, previous.owners, strict=True):
        if not problem.codes and (
            owner & dropped or _meeting(touched, np.asarray([problem.geometry], dtype=object)).size
        ):
            # A gap (a hole in the area's union, which may reach past the families checked again, and is cut
            # into tiles by the area's extent) near what changed: only the whole area's check finds it as it is.
            raise _NotKept
        if not owner & dropped:
            kept.append((problem, owner))
    found_kept = [
        (p, owner) for p, owner in zip(found, _owners(found, checked, family_of), strict=True) if owner & rechecked
    ]
    if any(not p.codes or _LABELLED.search(p.message) for p, _ in found_kept):
        raise _NotKept  # a gap there now (as above), or a feature named by its place in the draft
    kept += found_kept
    kept.sort(key=lambda pair: _order(pair[0]))
    return AreaCheck(
        report=_report([p for p, _ in kept], families.values(), options),
        comparison=comparison,
        options=options,
        families=families,
        family_of=family_of,
        owners=tuple(owner for _, owner in kept),
    )


def _extent(families: Iterable[Family]) -> Box:
    """The box holding every family."""
    return _outline(np.array([family.bounds for family in families], dtype=np.float64).reshape(-1, 4))
