"""Editing drafts: start one, apply an operation (checked on its neighbourhood), undo, redo, history, replay.

An edit loads the features around the operation, asks `gridmap.geo.editing` what it changes, checks the
affected neighbourhood before and after with the engine of `gridmap check`, and stores the outcome as one
undoable edit only when it brings no new error. Concurrency: the client names the revisions it based the edit
on; a touched feature at another revision is a 412 naming the other planner's change, and the store
re-checks every touched revision in the writing transaction, so nothing is ever overwritten.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import Conflict, InvalidInput, PreconditionFailed, ProblemsFound
from gridmap.geo.editing.apply import apply_edit as geo_apply_edit
from gridmap.geo.editing.apply import neighbourhood_extent
from gridmap.geo.editing.model import (
    DEFAULT_SNAP_M,
    EditFeature,
    EditOperation,
    EditOutcome,
    EditRefused,
    FeatureChange,
)
from gridmap.geo.hierarchy import Level
from gridmap.geo.metric import areas_m2
from gridmap.geo.problems import Problem, ProblemKind, Severity
from gridmap.io.boundaries import SourceCrs
from gridmap.io.boundary_features import BoundaryFeatures
from gridmap.services.allowed_exceptions import check_options_for_set
from gridmap.services.boundaries import published_version, set_version
from gridmap.services.check import CheckOptions, check_boundaries
from gridmap.services.problem_locations import problem_json
from gridmap.services.repair import repair_frame
from gridmap.store.edit_store import (
    DraftInfo,
    EditRecord,
    EditRequest,
    EditState,
    EditStep,
    StagedFeature,
    StaleFeatures,
    VersionEditStore,
)
from gridmap.store.exception_store import ExceptionStore
from gridmap.store.version_store import EDITABLE_PROPERTIES, Feature, VersionStatus, VersionStore

NEIGHBOURHOOD_M = 5.0  # features this close to an edit's targets, drawn geometry or changed area are loaded
_METRES_PER_DEGREE = 111_320.0
# Operation fields naming a feature by id (the targets, whose parents and children are loaded too).
TARGET_FIELDS = ("feature", "first", "second", "kept", "absorbed", "source", "target")
# Problems measured by area: new when the after-area is not inside the same kind's area before.
_AREA_KINDS = {ProblemKind.OVERLAP, ProblemKind.GAP, ProblemKind.NOT_NESTED}
# New errors that `repair=True` may fix with the rules of `gridmap fix`; any other refuses the edit as it is.
REPAIRABLE_KINDS = frozenset({ProblemKind.GAP, ProblemKind.OVERLAP, ProblemKind.SLIVER, ProblemKind.SLIVER_PART})


class EditingStore(VersionEditStore, ExceptionStore, Protocol):
    """Drafts and their edits, with their set's allowed gaps and overlaps, which every per-edit check honours."""


class EditRejected(ProblemsFound):
    """An edit refused: it would break the coverage, or the operation cannot be applied as asked (nothing stored).

    `problems` are the check problems it would bring (with the would-be overlap or gap geometry).
    """

    title = "Edit refused"

    def __init__(self, detail: str, *, problems: Sequence[dict[str, Any]], geometry: dict[str, Any] | None) -> None:
        super().__init__(detail)
        self.problems = list(problems)
        self.members = {"problems": self.problems, "geometry": geometry}


class EditConflict(PreconditionFailed):
    """An edit touches features someone else changed since the revisions it was based on (nothing stored).

    `conflicts` names each feature's current revision and geometry and the change that moved it on.
    """

    def __init__(self, detail: str, *, conflicts: Sequence[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.conflicts = list(conflicts)
        self.members = {"conflicts": self.conflicts}


@dataclass(frozen=True)
class RepairMove:
    """How much area one feature gained and lost when `repair=True` fixed what an edit left (m²)."""

    feature_id: str
    code: str
    gained_m2: float
    lost_m2: float


@dataclass(frozen=True)
class EditResult:
    """What one edit, undo or redo did, and the check problems of the affected area after it."""

    record: EditRecord
    draft: DraftInfo
    features: list[Feature]  # every feature written (changed or created)
    deleted: list[str]
    notes: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    repaired: list[RepairMove] = field(default_factory=list)  # what the repair moved, when asked for one

    @property
    def area_moved_m2(self) -> float:
        """The area that changed hands in the edit."""
        return self.record.area_moved_m2


@dataclass(frozen=True)
class EditHistory:
    """A draft's edit sequence and its edits, oldest first."""

    draft: DraftInfo
    edits: list[EditRecord]

    @property
    def can_undo(self) -> bool:
        """Whether an applied edit is left to undo."""
        return any(e.state is EditState.APPLIED for e in self.edits)

    @property
    def can_redo(self) -> bool:
        """Whether an undone edit is left to redo."""
        return any(e.state is EditState.UNDONE for e in self.edits)


def op_name(op: EditOperation) -> str:
    """The operation's name in the API and the history: MoveVertex -> move_vertex."""
    name = type(op).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _plain(value: Any) -> Any:
    if isinstance(value, BaseGeometry):
        return shapely.geometry.mapping(value)
    if isinstance(value, Level):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def op_params(op: EditOperation) -> dict[str, Any]:
    """The operation's fields as JSON (geometries as GeoJSON), as the history records them."""
    return {f.name: _plain(getattr(op, f.name)) for f in dataclasses.fields(op)}


def start_draft(
    store: VersionEditStore, set_name: str, *, from_version: int | None = None, who: str, why: str
) -> DraftInfo:
    """A new draft of the set copying a version (the published one by default): features keep their ids and
    revisions, so a client's revisions stay meaningful across the copy."""
    if from_version is None:
        source = published_version(store, set_name)
    else:
        source = set_version(store=store, set_name=set_name, version_id=from_version)
    return store.start_draft(source.id, who=who, why=why)


def _editable(store: VersionEditStore, version_id: int) -> DraftInfo:
    """The draft; Conflict when the version is not a draft."""
    draft = store.draft_info(version_id)
    if draft.version.status is not VersionStatus.DRAFT:
        msg = f"version {version_id} is {draft.version.status.value}; only drafts can be edited (start a draft)"
        raise Conflict(msg)
    return draft


def _margin_degrees(geometry: BaseGeometry, metres: float) -> tuple[float, float, float, float]:
    """The geometry's bounds widened by `metres` (in degrees, generous in longitude)."""
    min_x, min_y, max_x, max_y = geometry.bounds
    dy = metres / _METRES_PER_DEGREE
    dx = dy / max(math.cos(math.radians(max(abs(min_y), abs(max_y)))), 0.05)
    return (min_x - dx, min_y - dy, max_x + dx, max_y + dy)


def _features_near(
    store: VersionStore, version_id: int, geometry: BaseGeometry, *, level: Level | None = None
) -> dict[str, Feature]:
    """Every feature (of `level`, or of every level) whose box meets the geometry's box widened by NEIGHBOURHOOD_M."""
    if geometry.is_empty:
        return {}
    page = store.features(version_id, bbox=_margin_degrees(geometry, NEIGHBOURHOOD_M), level=level)
    return {f.feature_id: f for f in page.features}


def _near_by_level(store: VersionStore, version_id: int, touched: Sequence[Feature]) -> dict[str, Feature]:
    """Per level, the features near the touched ones of that level and of the level above (a changed parent may
    leave an unchanged child outside it); without levels, every feature near any touched one.

    Taking microgrids only near touched grids and microgrids, not near the box of a whole touched community,
    keeps the checked area to a few dozen features.
    """
    if any(f.level is None for f in touched):
        return _features_near(store, version_id, shapely.union_all([f.geometry for f in touched]))
    found: dict[str, Feature] = {}
    for level in {lv for f in touched for lv in (f.level, _below(f.level)) if lv is not None}:
        around = [f.geometry for f in touched if level in (f.level, _below(f.level))]
        found |= _features_near(store, version_id, shapely.union_all(around), level=level)
    return found


def _by_code(store: VersionStore, version_id: int, codes: Iterable[str | None]) -> dict[str, Feature]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return {f.feature_id: f for f in store.features(version_id, codes=wanted).features}


def _children(
    store: VersionStore, version_id: int, families: Iterable[tuple[str | None, Level | None]]
) -> dict[str, Feature]:
    """The features at `level` under each parent code of (code, level) pairs; pairs without a code or a level
    are skipped. Only the level below a feature holds children the engine uses, and naming it lets the store
    answer from its (version, level, parent) index instead of reading the whole version (one query per level)."""
    parents_by_level: dict[Level, set[str]] = {}
    for code, level in families:
        if code and level is not None:
            parents_by_level.setdefault(level, set()).add(code)
    found: dict[str, Feature] = {}
    for level, parents in parents_by_level.items():
        found.update((f.feature_id, f) for f in store.features(version_id, parents=parents, level=level).features)
    return found


def _below(level: Level | None) -> Level | None:
    return None if level is None else level.child_level


def _edit_feature(feature: Feature) -> EditFeature:
    return EditFeature(
        feature_id=feature.feature_id,
        code=feature.code,
        level=feature.level,
        parent=feature.parent,
        geometry=feature.geometry,
        name=feature.name,
        worker=feature.worker,
        households_target=feature.households_target,
    )


def _neighbourhood(store: VersionStore, version_id: int, op: EditOperation) -> tuple[dict[str, Feature], set[str]]:
    """The features an operation may touch (near its targets and drawn geometry, the targets' parents and
    children), and the codes the neighbourhood lacks under the parents that may receive a new code: the
    targets' parents, and the neighbours at a target's level (a delete hands its children to them)."""
    targets = {
        fid: store.feature(version_id, fid) for name in TARGET_FIELDS if isinstance(fid := getattr(op, name, None), str)
    }
    extent = neighbourhood_extent(op, {fid: _edit_feature(f) for fid, f in targets.items()})
    features = _features_near(store, version_id, extent) | targets
    features |= _by_code(store, version_id, (f.parent for f in targets.values()))
    features |= _children(store, version_id, ((f.code, _below(f.level)) for f in targets.values()))
    parents = {(f.parent, f.level) for f in targets.values()} | {
        (getattr(op, "parent", None), getattr(op, "level", None))
    }
    levels = {f.level for f in targets.values()}
    parents |= {
        (f.code, _below(f.level)) for f in features.values() if f.level in levels and f.feature_id not in targets
    }
    siblings = _children(store, version_id, parents)
    return features, {f.code for f in siblings.values()}


def _changed_feature(current: Feature, properties: Mapping[str, Any], geometry: BaseGeometry | None) -> Feature:
    unknown = sorted(set(properties) - set(EDITABLE_PROPERTIES))
    if unknown:
        msg = f"cannot change {', '.join(unknown)}; editable properties are {', '.join(EDITABLE_PROPERTIES)}"
        raise InvalidInput(msg)
    values = dict(properties)
    if isinstance(values.get("level"), str):
        values["level"] = Level(values["level"])
    return dataclasses.replace(current, **values, geometry=current.geometry if geometry is None else geometry)


def _after(outcome: EditOutcome, current: Mapping[str, Feature], version_id: int) -> list[Feature]:
    """The touched features as the outcome leaves them (created ones at revision 0 until stored)."""
    unknown = sorted(({c.feature_id for c in outcome.changed} | set(outcome.deleted)) - set(current))
    if unknown:
        msg = f"the edit changes features the draft does not hold: {', '.join(unknown)}"
        raise InvalidInput(msg)
    changed = [_changed_feature(current[c.feature_id], c.properties, c.geometry) for c in outcome.changed]
    created = [
        Feature(
            feature_id=f.feature_id,
            version_id=version_id,
            revision=0,
            code=f.code,
            name=f.name,
            level=f.level,
            parent=f.parent,
            worker=f.worker,
            households_target=f.households_target,
            geometry=f.geometry,
        )
        for f in outcome.created
    ]
    return changed + created


def _frame(features: Iterable[Feature]) -> gpd.GeoDataFrame:
    """Features as the boundary frame `check_boundaries` reads."""
    rows = [
        {**f.properties(), "feature_id": f.feature_id, "geometry": f.geometry, "source": "draft", "feature": i}
        for i, f in enumerate(features)
    ]
    columns = ["code", "name", "level", "parent", "worker", "households_target", "feature_id", "source", "feature"]
    return gpd.GeoDataFrame(rows, columns=[*columns, "geometry"], geometry="geometry", crs="EPSG:4326")


def _check_columns(features: Sequence[Feature]) -> BoundaryFeatures:
    """Features as the columns `check_boundaries` reads: what it takes from `_frame`, without building the frame."""
    return BoundaryFeatures(
        code=[f.code for f in features],
        level=[None if f.level is None else f.level.value for f in features],
        parent=[f.parent for f in features],
        source=["draft"] * len(features),
        feature=list(range(len(features))),
        geometries=np.array([f.geometry for f in features], dtype=object),
    )


def _errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


class _Earlier:
    """The errors before an edit by kind, with each kind's places and their union (built once per kind)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.by_kind: dict[ProblemKind, list[Problem]] = {}
        for problem in _errors(problems):
            self.by_kind.setdefault(problem.kind, []).append(problem)
        self._places = {
            kind: [p.geometry for p in found if p.geometry is not None and not p.geometry.is_empty]
            for kind, found in self.by_kind.items()
        }
        self._unions: dict[ProblemKind, BaseGeometry] = {}

    def places(self, kind: ProblemKind) -> list[BaseGeometry]:
        """Where the errors of this kind were."""
        return self._places.get(kind, [])

    def union(self, kind: ProblemKind) -> BaseGeometry:
        """The union of the places of this kind's errors."""
        if kind not in self._unions:
            self._unions[kind] = shapely.union_all(self.places(kind))
        return self._unions[kind]


def _is_new(problem: Problem, before: _Earlier, min_area_m2: float) -> bool:
    """Whether a problem found after the edit was not there before: an area problem whose area is not inside
    the same kind's areas before, another with a place that meets none of its kind, or one without a place
    whose codes no problem of its kind had."""
    if problem.geometry is None or problem.geometry.is_empty:
        return not any(set(p.codes) == set(problem.codes) for p in before.by_kind.get(problem.kind, []))
    places = before.places(problem.kind)
    if problem.kind in _AREA_KINDS:
        remainder = shapely.difference(problem.geometry, before.union(problem.kind)) if places else problem.geometry
        return bool(not remainder.is_empty and areas_m2([remainder])[0] >= min_area_m2)
    return not any(problem.geometry.intersects(place) for place in places)


def _affected(problems: Iterable[Problem], region: BaseGeometry, codes: set[str]) -> list[Problem]:
    """The problems in the affected area: placed on it, or naming a touched feature's code."""
    box = shapely.box(*_margin_degrees(region, NEIGHBOURHOOD_M))
    return [
        p
        for p in problems
        if (p.geometry is not None and not p.geometry.is_empty and p.geometry.intersects(box)) or set(p.codes) & codes
    ]


@dataclass(frozen=True)
class _Checked:
    new_errors: list[Problem]
    after_problems: list[Problem]


@dataclass(frozen=True)
class _Area:
    """The neighbourhood of touched features: as stored (`before`) and as the edit leaves it (`after`)."""

    region: BaseGeometry
    before: dict[str, Feature]
    after: dict[str, Feature]


def _area(
    store: VersionStore, version_id: int, before: Sequence[Feature], after: Sequence[Feature], *, siblings: bool
) -> _Area:
    """The features near the touched ones and the touched ones' parents (with `siblings`, every child of those
    parents too, so that a repair sees each family whole), before and after the edit."""
    touched = [*before, *after]
    region = shapely.union_all([f.geometry for f in touched])
    hood = _near_by_level(store, version_id, touched)
    hood |= _by_code(store, version_id, (f.parent for f in touched))
    if siblings:
        hood |= _children(store, version_id, ((f.parent, f.level) for f in touched))
    hood |= {f.feature_id: f for f in before}
    removed = {f.feature_id for f in before} - {f.feature_id for f in after}
    after_hood = {fid: f for fid, f in hood.items() if fid not in removed} | {f.feature_id: f for f in after}
    return _Area(region=region, before=hood, after=after_hood)


def _check(
    store: VersionStore, version_id: int, before: Sequence[Feature], after: Sequence[Feature], options: CheckOptions
) -> _Checked:
    """Check the affected neighbourhood before and after the touched features change (`before`: as they are,
    `after`: as the edit leaves them; a feature missing from `after` is deleted) with the set's `options`."""
    touched = [*before, *after]
    area = _area(store, version_id, before, after, siblings=False)
    region, hood, after_hood = area.region, area.before, area.after
    # Only the touched families can nest differently after the edit: a family without a touched member has the same
    # parent and the same loaded children in both checks, so its problems are never new.
    families = frozenset(code for f in touched for code in (f.code, f.parent) if code)
    options = dataclasses.replace(options, nesting_parents=families)
    report_before = check_boundaries(_check_columns(list(hood.values())), options)
    report_after = check_boundaries(_check_columns(list(after_hood.values())), options)
    earlier = _Earlier(report_before.problems)
    new = [p for p in _errors(report_after.problems) if _is_new(p, earlier, 1.0)]
    codes = {f.code for f in touched}
    # Errors that were there before are left to the draft's whole check (draft-status): the neighbourhood holds only
    # some children of a parent, so its own check calls the rest of that parent "covered by none of its children".
    new_ids = {id(p) for p in new}
    kept = [p for p in report_after.problems if p.severity is not Severity.ERROR or id(p) in new_ids]
    return _Checked(new_errors=new, after_problems=_affected(kept, region, codes))


def _problems_json(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [problem_json(p, SourceCrs()) for p in problems]


def _conflicts(store: VersionEditStore, version_id: int, current: Mapping[str, int | None]) -> EditConflict:
    """The 412 naming each stale feature's revision and geometry now, and the latest edit that touched it."""
    history = list(reversed(store.edits(version_id)))
    conflicts: list[dict[str, Any]] = []
    editors: set[str] = set()
    for feature_id, revision in sorted(current.items()):
        latest = next((e for e in history if feature_id in e.feature_ids), None)
        feature = None if revision is None else store.feature(version_id, feature_id)
        if latest is not None:
            editors.add(latest.who)
        conflicts.append(
            {
                "feature_id": feature_id,
                "code": None if feature is None else feature.code,
                "revision": revision,
                "changed_by": None if latest is None else latest.who,
                "changed_at": None if latest is None else latest.at.isoformat(),
                "op": None if latest is None else latest.op,
                "geometry": None if feature is None else shapely.geometry.mapping(feature.geometry),
            }
        )
    by = f" by {', '.join(sorted(editors))}" if editors else ""
    msg = (
        f"{len(conflicts)} of the features this edit touches changed{by} since you loaded them; "
        "reload them and edit again (nothing was stored)"
    )
    return EditConflict(msg, conflicts=conflicts)


def _refusal(new_errors: Sequence[Problem], *, repaired: bool) -> EditRejected:
    listed = "; ".join(p.message for p in new_errors[:3])
    what = "the edit, even repaired," if repaired else "the edit"
    msg = f"{what} would break the coverage ({listed}); nothing was stored"
    return EditRejected(msg, problems=_problems_json(new_errors), geometry=None)


def _repaired(
    store: VersionStore, version_id: int, outcome: EditOutcome, current: Mapping[str, Feature], options: CheckOptions
) -> tuple[EditOutcome, list[RepairMove]]:
    """The outcome plus what the rules of `gridmap fix` change in the area it affects (every family touched,
    whole): narrow gaps filled, overlaps handed to one side, slivers (whole sliver features too: the planner
    asked for the repair) merged into a neighbour of the same parent. Allowed exceptions are left as they are."""
    area = _area(store, version_id, list(current.values()), _after(outcome, current, version_id), siblings=True)
    features = list(area.after.values())
    repaired = repair_frame(
        _frame(features),
        gap_width=options.gap_width,
        min_area_m2=options.min_area_m2,
        sliver_width=options.sliver_width,
        merge_sliver_features=True,
        allowed=options.allowed,
    )
    by_code = {f.code: f for f in features}
    geometry = dict(zip(repaired.frame["code"], repaired.frame.geometry, strict=True))
    moves = [RepairMove(by_code[c.code].feature_id, c.code, c.gained_m2, c.lost_m2) for c in repaired.changes]
    changed = {c.feature_id: c for c in outcome.changed}
    created = {f.feature_id: f for f in outcome.created}
    deleted = list(outcome.deleted)
    for move in moves:
        shape = geometry[move.code]
        if shape.is_empty:
            deleted.append(move.feature_id)
            changed.pop(move.feature_id, None)
        elif move.feature_id in created:
            created[move.feature_id] = dataclasses.replace(created[move.feature_id], geometry=shape)
        else:
            kept = changed.get(move.feature_id, FeatureChange(move.feature_id))
            changed[move.feature_id] = dataclasses.replace(kept, geometry=shape)
    if set(deleted) & set(created):
        msg = "the repair would remove a feature the edit creates; draw the edit again"
        raise EditRejected(msg, problems=[], geometry=None)
    return dataclasses.replace(
        outcome, changed=list(changed.values()), created=list(created.values()), deleted=deleted
    ), moves


def _repair_notes(moves: Sequence[RepairMove], deleted: Iterable[str]) -> list[str]:
    """What the repair moved, in words, feature by feature."""
    gone = set(deleted)
    return [
        f"repair: {m.code} "
        + ("merged into its neighbour" if m.feature_id in gone else "changed")
        + f" (gained {m.gained_m2:,.1f} m², lost {m.lost_m2:,.1f} m²)"
        for m in moves
    ]


def apply_outcome(
    store: EditingStore,
    version_id: int,
    outcome: EditOutcome,
    *,
    op_name: str,
    params: dict[str, Any],
    who: str,
    why: str,
    expected: Mapping[str, int],
    notes: Sequence[str] = (),
    repair: bool = False,
    loaded: Mapping[str, Feature] | None = None,
    draft: DraftInfo | None = None,
) -> EditResult:
    """Check an outcome on its neighbourhood and store it as one undoable edit (EditRejected when it brings a
    new error, EditConflict when a touched feature is not at the `expected` revision; nothing stored then).

    `expected` maps feature ids to the revisions the client saw; touched features it does not name are taken
    at their current revision. The check honours the set's allowed gaps and overlaps. With `repair`, an
    outcome whose new errors are all gaps, overlaps or slivers is repaired on the area it affects (see
    `_repaired`) and stored when the repaired area passes; the answer's notes and `repaired` say what moved.
    `loaded` are features just read from the draft (the neighbourhood the outcome was worked out on): the
    touched ones among them are not read again, and the store checks their revisions when it writes. `draft` is
    the draft as the caller has just read it (read here when not given).
    """
    with store.reading():  # one transaction for every read; the write below has its own
        draft = draft or _editable(store, version_id)
        options = check_options_for_set(store=store, set_name=draft.version.set_name)
        current = _current(store, version_id, outcome, expected, loaded or {})
        after = _after(outcome, current, version_id)
        checked = _check(store, version_id, list(current.values()), after, options)
        moves: list[RepairMove] = []
        if checked.new_errors and repair and {p.kind for p in checked.new_errors} <= REPAIRABLE_KINDS:
            outcome, moves = _repaired(store, version_id, outcome, current, options)
            current = _current(store, version_id, outcome, expected, loaded or {})
            after = _after(outcome, current, version_id)
            checked = _check(store, version_id, list(current.values()), after, options)
            notes = [*notes, *_repair_notes(moves, outcome.deleted)]
        if checked.new_errors:
            raise _refusal(checked.new_errors, repaired=bool(moves))
    request = EditRequest(op=op_name, params=params, who=who, why=why, area_moved_m2=outcome.area_moved_m2)
    try:
        step = store.apply_changes(
            version_id,
            written=[StagedFeature(f.feature_id, f) for f in after],
            deleted=list(outcome.deleted),
            expected={fid: f.revision for fid, f in current.items()},
            request=request,
        )
    except StaleFeatures as stale_now:  # someone else wrote between our reading and our writing
        raise _conflicts(store, version_id, stale_now.current) from None
    return _result(step, notes=[*outcome.notes, *notes], problems=checked.after_problems, repaired=moves)


def _current(
    store: VersionEditStore,
    version_id: int,
    outcome: EditOutcome,
    expected: Mapping[str, int],
    loaded: Mapping[str, Feature],
) -> dict[str, Feature]:
    """The stored features the outcome changes or deletes (those `loaded` already as they were read); EditConflict
    when one is not at its expected revision."""
    existing = {c.feature_id for c in outcome.changed} | set(outcome.deleted)
    current = {fid: loaded[fid] if fid in loaded else store.feature(version_id, fid) for fid in sorted(existing)}
    stale = {fid: f.revision for fid, f in current.items() if fid in expected and expected[fid] != f.revision}
    if stale:
        raise _conflicts(store, version_id, dict(stale))
    return current


def _result(
    step: EditStep, *, notes: Sequence[str], problems: Sequence[Problem], repaired: Sequence[RepairMove] = ()
) -> EditResult:
    return EditResult(
        record=step.record,
        draft=step.draft,
        features=list(step.written),
        deleted=list(step.deleted),
        notes=list(notes),
        problems=_problems_json(problems),
        repaired=list(repaired),
    )


def apply_edit(
    store: EditingStore,
    version_id: int,
    op: EditOperation,
    *,
    who: str,
    why: str,
    expected: Mapping[str, int],
    repair: bool = False,
) -> EditResult:
    """Apply an operation to a draft: geo works out the outcome on the neighbourhood, then `apply_outcome`
    (with `repair`, gaps, overlaps and slivers the outcome would leave are repaired rather than refused)."""
    with store.reading():
        draft = _editable(store, version_id)
        features, codes_in_use = _neighbourhood(store, version_id, op)
    try:
        outcome = geo_apply_edit(
            op, [_edit_feature(f) for f in features.values()], snap_m=DEFAULT_SNAP_M, codes_in_use=codes_in_use
        )
    except EditRefused as refused:
        where = None if refused.geometry is None else shapely.geometry.mapping(refused.geometry)
        raise EditRejected(str(refused), problems=[], geometry=where) from None
    return apply_outcome(
        store,
        version_id,
        outcome,
        op_name=op_name(op),
        params=op_params(op),
        who=who,
        why=why,
        expected=expected,
        repair=repair,
        loaded=features,
        draft=draft,
    )


def _undo_or_redo(store: EditingStore, version_id: int, *, undo: bool) -> EditResult:
    draft = _editable(store, version_id)
    try:
        step = store.undo(version_id) if undo else store.redo(version_id)
    except StaleFeatures as stale:
        raise _conflicts(store, version_id, stale.current) from None
    now = {f.feature_id for f in step.written}
    before = [f for f in (step.record.after if undo else step.record.before) if f.feature_id not in now]
    with store.reading():
        options = check_options_for_set(store=store, set_name=draft.version.set_name)
        checked = _check(store, version_id, [], [*step.written, *before], options)
    return _result(step, notes=[], problems=checked.after_problems)


def undo(store: EditingStore, version_id: int, *, who: str) -> EditResult:
    """Undo the draft's latest applied edit (Conflict when none is left; EditConflict when its features moved on).

    `who` is the planner asking; the history keeps who made the edit.
    """
    del who
    return _undo_or_redo(store, version_id, undo=True)


def redo(store: EditingStore, version_id: int, *, who: str) -> EditResult:
    """Redo the draft's earliest undone edit (errors as `undo`)."""
    del who
    return _undo_or_redo(store, version_id, undo=False)


def edit_history(store: VersionEditStore, version_id: int) -> EditHistory:
    """The draft's edit sequence and every edit, oldest first."""
    return EditHistory(draft=store.draft_info(version_id), edits=store.edits(version_id))


def replay(store: VersionEditStore, version_id: int) -> gpd.GeoDataFrame:
    """The draft rebuilt from its base version and the `after` of its applied edits, in order (the features'
    values and geometry equal the draft's; revisions are the ones the edits wrote)."""
    draft = store.draft_info(version_id)
    if draft.based_on is None:
        msg = f"version {version_id} was imported, not started from another version: there is nothing to replay on"
        raise InvalidInput(msg)
    features = {f.feature_id: f for f in store.features(draft.based_on).features}
    for edit in store.edits(version_id):
        if edit.state is not EditState.APPLIED:
            continue
        for gone in {f.feature_id for f in edit.before} - {f.feature_id for f in edit.after}:
            features.pop(gone, None)
        features.update((f.feature_id, dataclasses.replace(f, version_id=version_id)) for f in edit.after)
    ordered = sorted(features.values(), key=lambda f: f.code)
    frame = _frame(ordered)
    frame["revision"] = [f.revision for f in ordered]
    return frame
