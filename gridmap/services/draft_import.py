"""The QGIS round trip: export a draft with each feature's id and revision, import the edited file back into it.

An import matches the file's rows to the draft's features by `feature_id` (rows without one by `code`; rows
matching nothing are new features) and judges each three ways (gridmap.services.import_merge), against the
feature as exported (the draft's history at the row's `revision`): a row the file leaves as exported keeps the
draft's feature, even when the draft changed it since; a row only the file changed is applied; a row the file
and the draft both changed, differently, is a conflict, listed with what each side changed. Conflicts are
refused unless the caller says who wins: the file (`theirs`) or the draft (`ours`: those rows are skipped).
Draft features missing from the file are deleted only when asked (`delete_missing`): a file saved from a
filtered layer or a selection would otherwise delete grids nobody meant to touch, so by default they are
listed and kept. Even when asked, a feature added to the draft after the export (the rows' bases record the
draft's edit sequence then, the store when each feature was added) is not one the file deleted: it is kept, and
so is every missing feature of a file that does not say when it was exported. Nothing is stored until
`commit`; then the import is one undoable edit (`gridmap.services.editing.apply_outcome`, op `import`), refused
with the check's new problems as any edit is.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridmap.errors import Conflict, InvalidInput, ProblemsFound
from gridmap.geo.editing.model import EditFeature, EditOutcome, FeatureChange
from gridmap.geo.hierarchy import parse_level
from gridmap.geo.metric import areas_m2
from gridmap.geo.problems import Problem, Severity
from gridmap.io.boundaries import SourceCrs
from gridmap.io.draft_files import BASE_FIELD, DraftFile, read_draft_file, write_draft_file
from gridmap.services.check import CheckReport, check_boundaries
from gridmap.services.editing import EditingStore, EditResult, apply_outcome
from gridmap.services.import_merge import (
    FeatureState,
    base_texts,
    comparable_properties,
    exported_at,
    is_missing,
    parse_base,
    sides,
)
from gridmap.services.problem_locations import crs_name, problem_json
from gridmap.store.edit_store import EditState, VersionEditStore
from gridmap.store.version_store import (
    EDITABLE_PROPERTIES,
    PropertyChange,
    Reshape,
    VersionDiff,
    VersionInfo,
    VersionStatus,
    VersionStore,
)

IMPORT_OP = "import"
# Vertices that moved less than this (degrees, about 0.1 mm) have not moved: a GeoPackage keeps doubles, and a
# trip through a projected CRS and back shifts coordinates by far less.
SAME_SHAPE_TOLERANCE_DEG = 1e-9


class Resolution(StrEnum):
    """Who wins a conflict: nobody yet (the import is refused), the file (`theirs`) or the draft (`ours`)."""

    NONE = "none"
    THEIRS = "theirs"
    OURS = "ours"


@dataclass(frozen=True)
class FeatureRef:
    """A draft feature named in an import's answer."""

    feature_id: str
    code: str
    name: str

    def to_json(self) -> dict[str, Any]:
        """The reference as plain JSON."""
        return {"feature_id": self.feature_id, "code": self.code, "name": self.name}


@dataclass(frozen=True)
class ImportConflict:
    """A feature the file and the draft both changed since the export, differently (draft_revision None: the
    draft deleted it). `file_changed` and `draft_changed` name what each side changed (`geometry` and the
    properties; `deleted`), None when unknown: the draft's history no longer holds the exported revision."""

    feature_id: str
    code: str
    file_revision: int
    draft_revision: int | None
    file_changed: tuple[str, ...] | None = None
    draft_changed: tuple[str, ...] | None = None
    changed_by: str | None = None  # who made the draft's latest edit of it, and which operation
    op: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The conflict as plain JSON."""
        return {
            "feature_id": self.feature_id,
            "code": self.code,
            "file_revision": self.file_revision,
            "draft_revision": self.draft_revision,
            "file_changed": None if self.file_changed is None else list(self.file_changed),
            "draft_changed": None if self.draft_changed is None else list(self.draft_changed),
            "changed_by": self.changed_by,
            "op": self.op,
        }


class ImportConflicts(Conflict):
    """An import changes features the draft changed too since the export; `members` lists them per feature."""

    def __init__(self, conflicts: Sequence[ImportConflict]) -> None:
        codes = ", ".join(c.code for c in conflicts[:5]) + (" ..." if len(conflicts) > 5 else "")
        super().__init__(
            f"{len(conflicts)} features were changed both in the file and in the draft since the export ({codes}); "
            "say which wins: theirs (the file) or ours (the draft: those rows are skipped)"
        )
        self.members = {"conflicts": [c.to_json() for c in conflicts]}


class ImportRefused(ProblemsFound):
    """The draft with the import applied fails the check where it passed before; `members` lists the problems."""

    title = "Import refused"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"the check finds {len(problems)} new problems in the draft with the import applied")
        self.members = {"problems": [problem_json(p, SourceCrs()) for p in problems]}


@dataclass
class DraftImport:
    """What importing a file into a draft changes, the conflicts, the check of the result, and the edit stored."""

    version_id: int
    file: str
    layer: str
    input_crs: str
    resolution: Resolution
    outcome: EditOutcome
    expected: dict[str, int]  # the draft revisions the import is based on, per feature it changes or deletes
    reshaped: list[Reshape]
    changed: list[PropertyChange]
    added: list[EditFeature]
    removed: list[FeatureRef]
    missing: list[FeatureRef]  # in the draft, not in the file, and kept (no delete_missing)
    conflicts: list[ImportConflict]
    check: CheckReport
    new_problems: list[Problem]  # errors of the result the draft did not have already
    notes: list[str] = field(default_factory=list)
    delete_missing: bool = False
    edit: EditResult | None = None

    @property
    def unresolved(self) -> bool:
        """True when conflicts wait for a resolution."""
        return bool(self.conflicts) and self.resolution is Resolution.NONE

    @property
    def empty(self) -> bool:
        """True when the import changes nothing."""
        return not self.outcome.touched

    def to_json(self) -> dict[str, Any]:
        """The import as plain JSON (no geometries but the problems'); reshaped and changed as a version diff's."""
        diff = VersionDiff(self.version_id, self.version_id, reshaped=self.reshaped, changed=self.changed).to_json()
        return {
            "version": self.version_id,
            "file": self.file,
            "layer": self.layer,
            "input_crs": self.input_crs,
            "resolve": self.resolution.value,
            "committed": self.edit is not None,
            **{key: diff[key] for key in ("reshaped", "changed")},
            "added": [
                {
                    "code": f.code,
                    "name": f.name,
                    "level": f.level,
                    "parent": f.parent,
                    "worker": f.worker,
                    "households_target": f.households_target,
                }
                for f in self.added
            ],
            "removed": [f.to_json() for f in self.removed],
            "missing": [f.to_json() for f in self.missing],
            "conflicts": [c.to_json() for c in self.conflicts],
            "area_moved_m2": round(self.outcome.area_moved_m2, 3),
            "check": self.check.to_json(),
            "new_problems": [problem_json(p, SourceCrs()) for p in self.new_problems],
            "notes": self.notes,
        }


def export_draft(*, store: VersionEditStore, version_id: int, path: Path, crs: str | None = None) -> Path:
    """Write a draft as one layer named after its set, with each feature's id and revision; WGS-84 unless `crs`."""
    version = _draft(store, version_id)
    # Read before the features: an edit in between is then in the file although after the recorded sequence.
    draft_seq = store.draft_info(version_id).edit_seq
    target: pyproj.CRS | None = None
    if crs:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            msg = f"unknown coordinate system {crs!r}; name it as EPSG:NNNN (e.g. EPSG:4549)"
            raise InvalidInput(msg) from None
    frame = store.version_frame(version_id)
    bases = base_texts(frame[list(EDITABLE_PROPERTIES)].to_dict("records"), list(frame.geometry), draft_seq=draft_seq)
    return write_draft_file(frame, path, layer=version.set_name, bases=bases, crs=target)


def _draft(store: VersionStore, version_id: int) -> VersionInfo:
    """The version, which must be a draft (Conflict otherwise: published versions are not edited)."""
    version = store.get_version(version_id)
    if version.status is not VersionStatus.DRAFT:
        msg = f"version {version_id} is {version.status.value}; export and import drafts (gridmap draft start)"
        raise Conflict(msg)
    return version


def plan_draft_import(
    *,
    store: VersionEditStore,
    version_id: int,
    path: Path,
    layer: str | None = None,
    source_crs: SourceCrs | None = None,
    resolution: Resolution = Resolution.NONE,
    delete_missing: bool = False,
) -> DraftImport:
    """What importing the file into the draft would change, its conflicts, and the check of the result.

    Reads only: nothing is stored (see `commit_draft_import`). InvalidInput for a file that cannot be read or
    whose rows cannot be told apart; Conflict when the version is not a draft.
    """
    _draft(store, version_id)
    read = read_draft_file(path, layer=layer, source_crs=source_crs)
    draft = store.version_frame(version_id).reset_index(drop=True)
    seq = exported_at([parse_base(text) for text in read.frame["base"]])
    added = None if seq is None else store.added_since(version_id, seq)
    planned = _plan(draft, read, resolution=resolution, delete_missing=delete_missing, added_since_export=added)
    _name_editors(store, version_id, planned.conflicts)
    result = _checked(draft, planned, read, version_id=version_id, resolution=resolution)
    result.delete_missing = delete_missing
    return result


def commit_draft_import(*, store: EditingStore, planned: DraftImport, who: str, why: str) -> DraftImport:
    """Store a planned import as one undoable `import` edit; the answer with `edit` set (None: nothing to store).

    ImportConflicts (409) while conflicts are unresolved, ImportRefused (422) when the check finds new problems;
    the edit service's errors when it refuses (a feature changed since the plan was made: 412). On any failure
    nothing changes.
    """
    if planned.unresolved:
        raise ImportConflicts(planned.conflicts)
    if planned.new_problems:
        raise ImportRefused(planned.new_problems)
    if planned.empty:
        planned.notes.append("the file changes nothing: no edit stored")
        return planned
    params = {
        "file": planned.file,
        "layer": planned.layer,
        "resolve": planned.resolution.value,
        "delete_missing": planned.delete_missing,
        "skipped": [c.feature_id for c in planned.conflicts] if planned.resolution is Resolution.OURS else [],
    }
    planned.edit = apply_outcome(
        store,
        planned.version_id,
        planned.outcome,
        op_name=IMPORT_OP,
        params=params,
        who=who,
        why=why,
        expected=planned.expected,
    )
    return planned


@dataclass
class _Plan:
    """The changes an import makes, before checking."""

    changes: list[FeatureChange] = field(default_factory=list)
    created: list[EditFeature] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[ImportConflict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    property_changes: list[PropertyChange] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _plan(
    draft: gpd.GeoDataFrame,
    read: DraftFile,
    *,
    resolution: Resolution,
    delete_missing: bool,
    added_since_export: set[str] | None,
) -> _Plan:
    """Match rows to draft features and sort each into unchanged, changed, new or conflicting (judged three ways);
    `added_since_export` names the draft features added after the export (None: unknown)."""
    plan = _Plan()
    rows = read.frame
    index_of = {str(fid): i for i, fid in enumerate(draft["feature_id"])}
    by_code = {str(code): str(fid) for code, fid in zip(draft["code"], draft["feature_id"], strict=True)}
    claimed: dict[str, int] = {}
    matched: list[tuple[int, str]] = []  # (file row, draft feature id)
    for i, (fid, code, revision) in enumerate(zip(rows["feature_id"], rows["code"], rows["revision"], strict=True)):
        if is_missing(fid):
            fid = None
        target = by_code.get(code) if fid is None else fid if fid in index_of else None
        if target is None:
            exported_here = fid is not None and _present(revision)  # exported from the draft, deleted there since
            row = rows.iloc[i]
            if exported_here and not _file_wins(plan, str(fid), int(revision), None, row, resolution):
                continue
            plan.created.append(_new_feature(row))
            continue
        if target in claimed:
            msg = f"{rows['source'].iloc[i]}: rows {claimed[target]} and {i} are both feature {target} ({code})"
            raise InvalidInput(msg)
        claimed[target] = i
        matched.append((i, target))
    moved = _moved(
        [draft.geometry.iloc[index_of[fid]] for _i, fid in matched], [rows.geometry.iloc[i] for i, _fid in matched]
    )
    for (i, fid), geometry_moved in zip(matched, moved, strict=True):
        row, feature = rows.iloc[i], draft.iloc[index_of[fid]]
        before, after = comparable_properties(feature.to_dict()), comparable_properties(row.to_dict())
        properties = {name: after[name] for name in EDITABLE_PROPERTIES if after[name] != before[name]}
        if not (geometry_moved or properties):
            continue  # as the draft holds it: changed by neither side, or by both alike
        current, exported = int(feature["revision"]), row["revision"]
        if not _present(exported):
            plan.notes.append(f"{after['code']}: the row has no revision, so changes made since cannot be told")
        elif int(exported) != current and not _file_wins(plan, fid, int(exported), feature, row, resolution):
            continue
        plan.changes.append(FeatureChange(fid, row.geometry if geometry_moved else None, properties))
        if properties:
            changes = {name: (before[name], value) for name, value in properties.items()}
            plan.property_changes.append(PropertyChange(fid, before["code"], changes))
        plan.expected[fid] = current
    _missing(plan, draft, set(claimed), delete_missing=delete_missing, added_since_export=added_since_export)
    return plan


def _missing(
    plan: _Plan,
    draft: gpd.GeoDataFrame,
    claimed: set[str],
    *,
    delete_missing: bool,
    added_since_export: set[str] | None,
) -> None:
    """Sort the draft features no row claims into deleted (the file deleted them, and deleting was asked for) and
    missing (kept: not asked, added to the draft after the export, or the file does not say when that was)."""
    absent = [(str(fid), int(rev)) for fid, rev in zip(draft["feature_id"], draft["revision"], strict=True)]
    absent = [(fid, rev) for fid, rev in absent if fid not in claimed]
    if not (delete_missing and absent):
        plan.missing.extend(fid for fid, _rev in absent)
        return
    if added_since_export is None:
        plan.missing.extend(fid for fid, _rev in absent)
        plan.notes.append(
            f"the file does not say when it was exported, so the {len(absent)} draft features it lacks may have been "
            "added since: none deleted (export the draft again, or delete them in the editor)"
        )
        return
    codes = dict(zip(draft["feature_id"].astype(str), draft["code"].astype(str), strict=True))
    for fid, revision in absent:
        if fid in added_since_export:
            plan.missing.append(fid)
            plan.notes.append(f"{codes[fid]}: added to the draft after the export, not deleted")
        else:
            plan.deleted.append(fid)
            plan.expected[fid] = revision


def _file_wins(
    plan: _Plan, feature_id: str, exported: int, feature: pd.Series | None, row: pd.Series, resolution: Resolution
) -> bool:
    """Whether a row applies whose draft feature (None: deleted since) moved on from the exported revision; judged
    three ways on the row's base, conflicts go on the plan."""
    file_state = _state(row)
    judged = sides(parse_base(row["base"]), draft=None if feature is None else _state(feature), file=file_state)
    code = str(file_state.properties["code"] if feature is None else feature["code"])
    if judged.only_draft:
        if feature is None:
            plan.notes.append(f"{code}: deleted in the draft since the export, unchanged in the file: stays deleted")
        return False
    if judged.only_file:
        return True
    if judged.file_changed is None:
        plan.notes.append(f"{code}: the row has no {BASE_FIELD} field, so a change the draft made since is a conflict")
    current = None if feature is None else int(feature["revision"])
    plan.conflicts.append(
        ImportConflict(feature_id, code, exported, current, judged.file_changed, judged.draft_changed)
    )
    return resolution is Resolution.THEIRS


def _state(row: pd.Series) -> FeatureState:
    """A draft feature or a file row as one side of the three-way judgement."""
    return FeatureState(comparable_properties(row.to_dict()), row.geometry)


def _checked(
    draft: gpd.GeoDataFrame, plan: _Plan, read: DraftFile, *, version_id: int, resolution: Resolution
) -> DraftImport:
    """The import's answer: what changes in words and numbers, and the check of the draft as it would be."""
    index_of = {str(fid): i for i, fid in enumerate(draft["feature_id"])}
    reshaped_ids = [c.feature_id for c in plan.changes if c.geometry is not None]
    before = [draft.geometry.iloc[index_of[fid]] for fid in reshaped_ids]
    after = [c.geometry for c in plan.changes if c.geometry is not None]
    areas = areas_m2([*before, *after])
    moved_hands = areas_m2(list(shapely.symmetric_difference(before, after))) if before else np.zeros(0)
    outcome = EditOutcome(
        changed=plan.changes,
        created=plan.created,
        deleted=plan.deleted,
        area_moved_m2=float(moved_hands.sum()) / 2,  # what one feature loses its neighbour gains: count it once
        notes=plan.notes,
    )
    after_frame = _applied(draft, outcome)
    check_before, check_after = check_boundaries(draft), check_boundaries(after_frame)
    known = {(p.kind, p.codes) for p in check_before.problems}
    failing = {Severity.ERROR, Severity.WARNING} if check_after.strict else {Severity.ERROR}
    notes = list(plan.notes)
    if plan.conflicts and resolution is Resolution.NONE:
        notes.append("the check leaves the conflicting rows out until theirs or ours is chosen")
    ref = {
        str(fid): FeatureRef(str(fid), str(code), str(name or ""))
        for fid, code, name in draft[["feature_id", "code", "name"]].itertuples(index=False)
    }
    return DraftImport(
        version_id=version_id,
        file=str(read.frame["source"].iloc[0]),
        layer=read.layer,
        input_crs=crs_name(read.source_crs),
        resolution=resolution,
        outcome=outcome,
        expected=plan.expected,
        reshaped=[
            Reshape(fid, str(draft["code"].iloc[index_of[fid]]), float(a0), float(a1))
            for fid, a0, a1 in zip(reshaped_ids, areas[: len(before)], areas[len(before) :], strict=True)
        ],
        changed=plan.property_changes,
        added=plan.created,
        removed=[ref[fid] for fid in plan.deleted],
        missing=[ref[fid] for fid in plan.missing],
        conflicts=plan.conflicts,
        check=check_after,
        new_problems=[p for p in check_after.problems if p.severity in failing and (p.kind, p.codes) not in known],
        notes=notes,
    )


def _applied(draft: gpd.GeoDataFrame, outcome: EditOutcome) -> gpd.GeoDataFrame:
    """The draft's frame with the outcome applied (the frame the check sees)."""
    frame = draft.copy()
    position = {str(fid): i for i, fid in enumerate(frame["feature_id"])}
    for change in outcome.changed:
        row = position[change.feature_id]
        if change.geometry is not None:
            frame.loc[row, "geometry"] = change.geometry
        for name, value in change.properties.items():
            frame.loc[row, name] = value
    frame = frame[~frame["feature_id"].isin(outcome.deleted)]
    created = [
        {
            "feature_id": f.feature_id,
            "code": f.code,
            "name": f.name,
            "level": f.level,
            "parent": f.parent,
            "worker": f.worker,
            "households_target": f.households_target,
            "geometry": f.geometry,
            "source": "import",
            "feature": n,
        }
        for n, f in enumerate(outcome.created)
    ]
    if created:
        frame = pd.concat([frame, gpd.GeoDataFrame(created, geometry="geometry", crs=frame.crs)], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=draft.crs).reset_index(drop=True)


def _name_editors(store: VersionEditStore, version_id: int, conflicts: list[ImportConflict]) -> None:
    """Fill in who made the draft's latest edit of each conflicting feature, and with which operation."""
    if not conflicts:
        return
    latest: dict[str, tuple[str, str]] = {}
    for record in store.edits(version_id):
        if record.state is EditState.APPLIED:
            latest.update(dict.fromkeys(record.feature_ids, (record.who, record.op)))
    for n, conflict in enumerate(conflicts):
        if conflict.feature_id in latest:
            who, op = latest[conflict.feature_id]
            conflicts[n] = replace(conflict, changed_by=who, op=op)


def _moved(before: Sequence[object], after: Sequence[object]) -> list[bool]:
    """Pairwise: has each geometry's shape changed (vertex order, start point and Multi- wrapping aside)?"""
    if not before:
        return []
    apart = shapely.hausdorff_distance(np.asarray(before, dtype=object), np.asarray(after, dtype=object))
    return [bool(d > SAME_SHAPE_TOLERANCE_DEG) for d in apart]


def _new_feature(row: pd.Series) -> EditFeature:
    """A row matching no draft feature, as a new feature with a fresh id and every property the row holds."""
    values = comparable_properties(row.to_dict())
    return EditFeature(
        feature_id=str(uuid.uuid4()),
        code=values["code"],
        level=parse_level(values["level"]) if values["level"] else None,
        parent=values["parent"],
        geometry=row.geometry,
        name=values["name"],
        worker=values["worker"],
        households_target=values["households_target"],
    )


def _present(value: object) -> bool:
    return not is_missing(value)
