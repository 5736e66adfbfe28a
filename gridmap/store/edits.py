"""Drafts and their edit history in SQL, on both backends: `boundary_edits` and the draft's features.

Every write runs in one write transaction that locks the draft's version row first (FOR UPDATE on PostGIS,
BEGIN IMMEDIATE on SQLite), so edits of one draft take turns; feature rows are updated through the ORM so
the revision check (tables.py) and the SQLite R*Tree events (sqlite.py) apply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import shapely
from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.store.edit_store import (
    DraftEditStore,
    DraftInfo,
    EditRecord,
    EditRequest,
    EditState,
    EditStep,
    StagedFeature,
    StaleFeatures,
)
from gridmap.store.frames import clean_properties, lookup_text, polygonal, stored_text
from gridmap.store.rows import feature_from_row
from gridmap.store.tables import CODE_LENGTH, PERSON_LENGTH, BoundaryEdit, BoundaryVersion, GridFeature, utc_now
from gridmap.store.version_store import Feature, FeatureValues, VersionInfo, VersionStatus


def _snapshot(feature: Feature) -> dict[str, Any]:
    """A feature as JSON, its geometry as WKB in hex so that writing it back restores it exactly."""
    return {
        "feature_id": feature.feature_id,
        "revision": feature.revision,
        **feature.properties(),
        "geometry": shapely.to_wkb(feature.geometry, hex=True),
    }


def _feature(version_id: int, snapshot: Mapping[str, Any]) -> Feature:
    level = snapshot["level"]
    return Feature(
        feature_id=snapshot["feature_id"],
        version_id=version_id,
        revision=snapshot["revision"],
        code=snapshot["code"],
        name=snapshot["name"],
        level=None if level is None else Level(level),
        parent=snapshot["parent"],
        worker=snapshot["worker"],
        households_target=snapshot["households_target"],
        geometry=shapely.from_wkb(snapshot["geometry"]),
    )


def _snapshots(features: Iterable[Feature]) -> str:
    return json.dumps([_snapshot(f) for f in sorted(features, key=lambda f: f.feature_id)], ensure_ascii=False)


def _record(row: BoundaryEdit) -> EditRecord:
    return EditRecord(
        version_id=row.version_id,
        seq=row.seq,
        op=row.op,
        params=json.loads(row.params),
        who=row.who,
        at=row.at,
        why=row.why,
        state=EditState(row.state),
        before=tuple(_feature(row.version_id, s) for s in json.loads(row.before)),
        after=tuple(_feature(row.version_id, s) for s in json.loads(row.after)),
        area_moved_m2=row.area_moved_m2,
    )


def _stored_values(values: FeatureValues) -> dict[str, Any]:
    """The values as columns, validated as an edit of one feature is (InvalidInput names what is wrong)."""
    columns = clean_properties(values.properties())
    try:
        columns["geometry"] = polygonal(values.geometry)
    except ValueError as exc:
        raise InvalidInput(f"feature {values.code}: geometry: {exc}") from None
    return {name: value.value if isinstance(value, Level) else value for name, value in columns.items()}


class DraftEdits(DraftEditStore):
    """The edit half of a SQL store; the store supplies transactions and version rows."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _version_row(self, session: Session, version_id: int, *, for_update: bool = False) -> BoundaryVersion:
        raise NotImplementedError

    def _version_info(self, session: Session, row: BoundaryVersion) -> VersionInfo:
        raise NotImplementedError

    def _refresh_statistics(self, session: Session, added: int) -> None:
        """After `added` feature rows were written at once: let the query planner know the table's new shape."""
        raise NotImplementedError

    def _features_written(self, rows: int) -> None:
        """After a transaction that inserted, updated or deleted `rows` feature rows committed: tidy the table."""
        raise NotImplementedError

    def _carry_feature_count(self, session: Session, row: BoundaryVersion, change: int) -> None:
        raise NotImplementedError

    def _draft_info(self, session: Session, row: BoundaryVersion) -> DraftInfo:
        return DraftInfo(version=self._version_info(session, row), based_on=row.based_on, edit_seq=row.edit_seq)

    def _draft_row(self, session: Session, version_id: int) -> BoundaryVersion:
        """The version row, locked for this transaction; Conflict unless it is a draft."""
        row = self._version_row(session, version_id, for_update=True)
        if row.status != VersionStatus.DRAFT.value:
            msg = f"version {version_id} is {row.status}; only drafts can be edited (start a draft from it)"
            raise Conflict(msg)
        return row

    def start_draft(self, version_id: int, *, who: str, why: str) -> DraftInfo:
        """A new draft of the version's set holding copies of its features: same feature ids and revisions."""
        stored_text(who, "who", PERSON_LENGTH)
        lookup_text(why, "why")
        if not who.strip():
            msg = "say who starts the draft: every version records who, when and why"
            raise InvalidInput(msg)
        with self._write_transaction() as session:
            source = self._version_row(session, version_id)
            draft = BoundaryVersion(
                set_id=source.set_id,
                status=VersionStatus.DRAFT.value,
                created_by=who,
                created_at=utc_now(),
                reason=why,
                based_on=source.id,
                edit_seq=0,
            )
            session.add(draft)
            session.flush()
            copied = self._copy_features(session, source.id, draft.id)
            self._refresh_statistics(session, copied)
            started = self._draft_info(session, draft)
        self._features_written(copied)
        return started

    def _copy_features(self, session: Session, source_id: int, draft_id: int) -> int:
        """Copy every feature row of a version into a draft in one INSERT ... SELECT (geometry stays encoded);
        returns how many rows were copied.

        A backend whose spatial index is not kept by the database itself extends this (sqlite.py).
        """
        # added_seq counts the source draft's edits, which mean nothing in the new draft: its copies start unset.
        copied = [c for c in GridFeature.__table__.columns if c.name not in ("id", "version_id", "added_seq")]
        query = select(literal(draft_id), *copied).where(GridFeature.version_id == source_id)
        session.execute(insert(GridFeature).from_select(["version_id", *(c.name for c in copied)], query))
        # counted: SQLAlchemy gives no row count for an INSERT (-1 on psycopg)
        return int(session.scalar(select(func.count()).where(GridFeature.version_id == draft_id)) or 0)

    def draft_info(self, version_id: int) -> DraftInfo:
        """A version with its `based_on` and `edit_seq`; NotFound when there is none."""
        with self._transaction() as session:
            return self._draft_info(session, self._version_row(session, version_id))

    def _rows(self, session: Session, version_id: int, feature_ids: Iterable[str]) -> dict[str, GridFeature]:
        wanted = sorted(set(feature_ids))
        query = select(GridFeature).where(GridFeature.version_id == version_id, GridFeature.feature_id.in_(wanted))
        return {row.feature_id: row for row in session.scalars(query)}

    def _write(
        self,
        session: Session,
        version_id: int,
        rows: Mapping[str, GridFeature],
        written: Sequence[StagedFeature],
        deleted: Sequence[str],
        revisions: Mapping[str, int],
        added_seq: int,
    ) -> list[Feature]:
        """Delete, update (through temporary codes, so features may swap codes), then insert; revisions +1.

        A created feature gets `revisions[feature_id]` (default 1) and `added_seq`. Returns the written features.
        """
        columns = {staged.feature_id: _stored_values(staged.values) for staged in written}
        for feature_id in deleted:
            session.delete(rows[feature_id])
        session.flush()
        updated = [rows[s.feature_id] for s in written if s.feature_id in rows]
        recoded = [row for row in updated if columns[row.feature_id]["code"] != row.code]
        for row in recoded:
            row.code = f"~{row.id}"[:CODE_LENGTH]  # held for a moment: real codes are digits
        if recoded:
            session.flush()  # every code changing hands is free before any row takes it
        for row in updated:
            row.revision += 1
        for row in updated:
            for name, value in columns[row.feature_id].items():
                setattr(row, name, value)
        created = [
            GridFeature(
                version_id=version_id,
                feature_id=s.feature_id,
                revision=revisions.get(s.feature_id, 1),
                added_seq=added_seq,
                **columns[s.feature_id],
            )
            for s in written
            if s.feature_id not in rows
        ]
        session.add_all(created)
        try:
            session.flush()
        except IntegrityError:
            codes = ", ".join(sorted(c["code"] for c in columns.values()))
            msg = f"the edit would give two features of version {version_id} the same code or id (among {codes})"
            raise InvalidInput(msg) from None
        return [feature_from_row(row) for row in [*updated, *created]]

    @staticmethod
    def _require(rows: Mapping[str, GridFeature], expected: Mapping[str, int | None]) -> None:
        """StaleFeatures unless each feature is at the expected revision (None: it must not exist)."""
        current = {fid: (row.revision if (row := rows.get(fid)) else None) for fid in expected}
        stale = {fid: now for fid, now in current.items() if now != expected[fid]}
        if stale:
            listed = ", ".join(
                f"{fid} (now {'deleted' if now is None else f'revision {now}'}, expected "
                f"{'none' if expected[fid] is None else f'revision {expected[fid]}'})"
                for fid, now in sorted(stale.items())
            )
            msg = f"features changed since the edit was based on them: {listed}; reload them"
            raise StaleFeatures(msg, current=stale)

    def apply_changes(
        self,
        version_id: int,
        *,
        written: Sequence[StagedFeature],
        deleted: Sequence[str],
        expected: Mapping[str, int],
        request: EditRequest,
    ) -> EditStep:
        """Store one edit of a draft in one transaction, and record it (discarding any undone edits)."""
        stored_text(request.who, "who", PERSON_LENGTH)
        stored_text(request.op, "op", CODE_LENGTH)
        lookup_text(request.why, "why")
        with self._write_transaction() as session:
            draft = self._draft_row(session, version_id)
            touched = {s.feature_id for s in written} | set(deleted)
            rows = self._rows(session, version_id, touched)
            # Every existing feature must be at the expected revision; one the edit changes or deletes must exist.
            gone = {fid for fid in touched - set(rows) if fid in expected or fid in deleted}
            self._require(rows, {fid: expected.get(fid) for fid in rows} | {fid: expected.get(fid, 0) for fid in gone})
            before = [feature_from_row(row) for row in rows.values()]
            after = self._write(session, version_id, rows, written, deleted, {}, draft.edit_seq + 1)
            session.execute(
                delete(BoundaryEdit).where(
                    BoundaryEdit.version_id == version_id, BoundaryEdit.state == EditState.UNDONE.value
                )
            )
            last = session.scalar(select(func.max(BoundaryEdit.seq)).where(BoundaryEdit.version_id == version_id))
            row = BoundaryEdit(
                version_id=version_id,
                seq=(last or 0) + 1,
                op=request.op,
                params=json.dumps(dict(request.params), ensure_ascii=False),
                who=request.who,
                at=utc_now(),
                why=request.why,
                state=EditState.APPLIED.value,
                before=_snapshots(before),
                after=_snapshots(after),
                area_moved_m2=float(request.area_moved_m2),
            )
            session.add(row)
            self._carry_feature_count(session, draft, len(after) - len(rows))  # touched rows after less before
            draft.edit_seq += 1
            session.flush()
            step = EditStep(_record(row), tuple(after), tuple(deleted), self._draft_info(session, draft))
        self._features_written(len(after) + len(deleted))
        return step

    def added_since(self, version_id: int, edit_seq: int) -> set[str]:
        """The ids of the draft's features that an edit, undo or redo after `edit_seq` added."""
        with self._transaction() as session:
            self._version_row(session, version_id)
            query = select(GridFeature.feature_id).where(
                GridFeature.version_id == version_id, GridFeature.added_seq > edit_seq
            )
            return set(session.scalars(query))

    def edits(self, version_id: int) -> list[EditRecord]:
        """The draft's history, oldest first (applied edits, then the undone ones redo would apply)."""
        with self._transaction() as session:
            self._version_row(session, version_id)
            query = select(BoundaryEdit).where(BoundaryEdit.version_id == version_id).order_by(BoundaryEdit.seq)
            return [_record(row) for row in session.scalars(query)]

    def undo(self, version_id: int) -> EditStep:
        """Write back the `before` of the latest applied edit and mark it undone."""
        return self._step(version_id, undo=True)

    def redo(self, version_id: int) -> EditStep:
        """Write back the `after` of the earliest undone edit and mark it applied."""
        return self._step(version_id, undo=False)

    def _step(self, version_id: int, *, undo: bool) -> EditStep:
        """Undo (write `before` back) or redo (write `after` back) one edit, checking the revisions first."""
        with self._write_transaction() as session:
            draft = self._draft_row(session, version_id)
            state, order = (
                (EditState.APPLIED, BoundaryEdit.seq.desc()) if undo else (EditState.UNDONE, BoundaryEdit.seq)
            )
            edit = session.scalar(
                select(BoundaryEdit)
                .where(BoundaryEdit.version_id == version_id, BoundaryEdit.state == state.value)
                .order_by(order)
                .limit(1)
            )
            if edit is None:
                msg = f"draft {version_id} has nothing to {'undo' if undo else 'redo'}"
                raise Conflict(msg)
            record = _record(edit)
            now, target = (record.after, record.before) if undo else (record.before, record.after)
            target_ids = {f.feature_id for f in target}
            rows = self._rows(session, version_id, record.feature_ids)
            self._require(rows, dict.fromkeys(record.feature_ids) | {f.feature_id: f.revision for f in now})
            deleted = [f.feature_id for f in now if f.feature_id not in target_ids]
            staged = [StagedFeature(f.feature_id, f) for f in target]
            # A feature coming back continues its revision series.
            revisions = {f.feature_id: f.revision + 1 for f in target}
            written = self._write(session, version_id, rows, staged, deleted, revisions, draft.edit_seq + 1)
            if undo:
                edit.before = _snapshots(written)
            else:
                edit.after = _snapshots(written)
            edit.state = (EditState.UNDONE if undo else EditState.APPLIED).value
            self._carry_feature_count(session, draft, len(written) - len(rows))
            draft.edit_seq += 1
            session.flush()
            step = EditStep(_record(edit), tuple(written), tuple(deleted), self._draft_info(session, draft))
        self._features_written(len(written) + len(deleted))
        return step
