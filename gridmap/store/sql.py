"""What both backends share: sessions, sets, versions, imports, publishing, edits and diffs.

The read side (filters, point lookup, nearest) is in spatial.py, users in accounts.py; a backend adds only
its two spatial clauses.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple, Self, cast

from geopandas import GeoDataFrame
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Engine, String, Table, and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.geo.hierarchy import Level
from gridmap.store.accounts import UserAccounts
from gridmap.store.addresses import AddressRegister
from gridmap.store.allowed_exceptions import AllowedExceptions
from gridmap.store.diff import diff_features, same_shape, updated_comparison
from gridmap.store.edits import DraftEdits
from gridmap.store.frames import (
    clean_properties,
    lookup_text,
    polygonal,
    stored_text,
    values_from_frame,
)
from gridmap.store.households import HouseholdRegister
from gridmap.store.incident_import import IncidentImport
from gridmap.store.incident_map import IncidentMapQueries
from gridmap.store.incident_privacy import IncidentContacts
from gridmap.store.incidents import IncidentRegister
from gridmap.store.interface import BoundaryStore
from gridmap.store.jobs import JobRegister
from gridmap.store.ratelimits import RateBuckets
from gridmap.store.reference import ReferenceLayers
from gridmap.store.rows import feature_columns, feature_from_row, features_from_columns, in_batches
from gridmap.store.tables import (
    MAX_INTEGER,
    PERSON_LENGTH,
    BoundarySet,
    BoundaryVersion,
    GridFeature,
    utc_now,
)
from gridmap.store.version_frames import VersionFrames
from gridmap.store.version_store import (
    BoundarySetInfo,
    CheckFailed,
    CheckFn,
    ExpectedPublished,
    Feature,
    FeatureRevisions,
    FeatureValues,
    PublishedMeanwhile,
    VersionComparison,
    VersionDiff,
    VersionInfo,
    VersionStatus,
)

# The execution option of a write transaction: SQLite begins it with BEGIN IMMEDIATE (see sqlite.py).
WRITE = "gridmap_write"
# The session.info key of the feature counts a transaction made, remembered by the store when it commits.
_COUNTED = "gridmap_feature_counts"
# Per context (thread or task): the session of each store's open `reading` block, by id of the store.
_READING: ContextVar[dict[int, Session] | None] = ContextVar("gridmap_reading", default=None)
# What two versions' rows of one feature must share to be the same feature (`compare`); the geometry
# as stored: PostGIS's = and SQLite's blob comparison hold two geometries alike only when byte for byte the same.
_COMPARED = ("code", "name", "level", "parent", "worker", "households_target", "geometry")


class _VersionState(NamedTuple):
    """What a version's feature count depends on (see `SqlBoundaryStore._feature_count`)."""

    status: str
    edit_seq: int
    created_at: datetime


def _check_record(who: str, why: str) -> None:
    """Every version records who, when and why: the who must be there, and both must fit the columns."""
    if not who.strip():
        msg = "say who makes this change: every version records who, when and why"
        raise InvalidInput(msg)
    stored_text(who, "who", PERSON_LENGTH)
    lookup_text(why, "why")


def _set_name(name: str) -> str:
    name = stored_text(name.strip(), "the boundary set name", PERSON_LENGTH)
    if not name:
        msg = "a boundary set needs a name"
        raise InvalidInput(msg)
    return name


class SqlBoundaryStore(
    VersionFrames,
    UserAccounts,
    HouseholdRegister,
    IncidentRegister,
    IncidentContacts,
    IncidentMapQueries,
    IncidentImport,
    RateBuckets,
    JobRegister,
    AddressRegister,
    DraftEdits,
    ReferenceLayers,
    AllowedExceptions,
    BoundaryStore,
):
    """A `BoundaryStore` on a SQLAlchemy engine; subclasses supply the spatial clauses.

    Each aggregate's protocol is implemented by its mixin (accounts.py, addresses.py, allowed_exceptions.py,
    edits.py, households.py, jobs.py, ratelimits.py, reference.py; the incident store by incidents.py,
    incident_privacy.py, incident_map.py and incident_import.py); the version store is this class with spatial.py
    and version_frames.py.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        # Per version id: the feature count and the version state it was counted in (see `_feature_count`).
        self._feature_counts: dict[int, tuple[_VersionState, int]] = {}

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside the block share one session and transaction (see `VersionStore.reading`)."""
        open_now = _READING.get() or {}
        if id(self) in open_now:
            yield
            return
        with self._transaction() as session:
            token = _READING.set({**open_now, id(self): session})
            try:
                yield
            finally:
                _READING.reset(token)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """One session and transaction: committed when the block ends, rolled back when it raises (inside a
        `reading` block, that block's)."""
        shared = (_READING.get() or {}).get(id(self))
        if shared is not None:
            yield shared
            return
        with self._sessions.begin() as session:
            yield session
        self._feature_counts.update(session.info.pop(_COUNTED, {}))

    @contextmanager
    def _write_transaction(self) -> Iterator[Session]:
        """A transaction that reads and then writes: it holds the write lock from its start on SQLite.

        On PostgreSQL it is an ordinary transaction; lock the rows it decides on with SELECT ... FOR UPDATE.
        """
        with self._write_sessions.begin() as session:
            yield session
        self._feature_counts.update(session.info.pop(_COUNTED, {}))

    # Boundary sets.
    def _set_info(self, session: Session, row: BoundarySet) -> BoundarySetInfo:
        published = session.scalar(
            select(BoundaryVersion.id).where(
                BoundaryVersion.set_id == row.id, BoundaryVersion.status == VersionStatus.PUBLISHED.value
            )
        )
        return BoundarySetInfo(name=row.name, created_at=row.created_at, published_version=published)

    def _set_row(self, session: Session, name: str) -> BoundarySet:
        row = session.scalar(select(BoundarySet).where(BoundarySet.name == lookup_text(name, "set name")))
        if row is None:
            msg = f"there is no boundary set named {name!r}"
            raise NotFound(msg)
        return row

    def create_set(self, name: str) -> BoundarySetInfo:
        """A new, empty boundary set; Conflict when the name is taken."""
        name = _set_name(name)
        try:
            with self._transaction() as session:
                row = BoundarySet(name=name, created_at=utc_now())
                session.add(row)
                session.flush()
                return self._set_info(session, row)
        except IntegrityError:
            msg = f"a boundary set named {name!r} exists already"
            raise Conflict(msg) from None

    def get_set(self, name: str) -> BoundarySetInfo:
        """The named set; NotFound when there is none."""
        with self._transaction() as session:
            return self._set_info(session, self._set_row(session, name))

    def list_sets(self) -> list[BoundarySetInfo]:
        """Every set, by name."""
        with self._transaction() as session:
            rows = session.scalars(select(BoundarySet).order_by(BoundarySet.name)).all()
            return [self._set_info(session, row) for row in rows]

    # Versions.
    def _feature_count(self, session: Session, row: BoundaryVersion) -> int:
        """The version's feature count, counted once per state of the version.

        Counting reads an index entry per feature (about 6 ms per 100,000), and one edit of a draft asks for its
        version three or four times. A published or retired version's features never change, and a draft's
        change only in steps that raise its edit_seq (edits, undo, redo), so a count stays right while the
        version's status and edit_seq do. A count is remembered once its transaction has committed (see
        `_transaction`), so a step that rolls back leaves none behind; `created_at` tells a reused id apart.
        """
        state = _VersionState(row.status, row.edit_seq, row.created_at)
        known = self._known_count(session, row.id, state)
        if known is not None:
            return known
        count = session.scalar(select(func.count()).where(GridFeature.version_id == row.id)) or 0
        session.info.setdefault(_COUNTED, {})[row.id] = (state, count)
        return count

    def _known_count(self, session: Session, version_id: int, state: _VersionState) -> int | None:
        """The version's feature count in `state` as this transaction or a committed one counted it, if any."""
        for known in (session.info.get(_COUNTED, {}).get(version_id), self._feature_counts.get(version_id)):
            if known is not None and known[0] == state:
                return known[1]
        return None

    def _carry_feature_count(self, session: Session, row: BoundaryVersion, change: int) -> None:
        """Before a draft's step raises its edit_seq by one: the count after it is the known count before it plus
        `change` (rows added less rows deleted), so that the step's answer need not count the whole draft again.

        The step holds the draft's write lock, so no other step lies between the two states.
        """
        before = _VersionState(row.status, row.edit_seq, row.created_at)
        known = self._known_count(session, row.id, before)
        if known is not None:
            after = before._replace(edit_seq=row.edit_seq + 1)
            session.info.setdefault(_COUNTED, {})[row.id] = (after, known + change)

    def _version_info(self, session: Session, row: BoundaryVersion) -> VersionInfo:
        count = self._feature_count(session, row)
        set_name = session.scalar(select(BoundarySet.name).where(BoundarySet.id == row.set_id)) or ""
        return VersionInfo(
            id=row.id,
            set_name=set_name,
            status=VersionStatus(row.status),
            created_by=row.created_by,
            created_at=row.created_at,
            reason=row.reason,
            feature_count=count,
            published_by=row.published_by,
            published_at=row.published_at,
            publish_reason=row.publish_reason,
            retired_at=row.retired_at,
        )

    def _version_row(self, session: Session, version_id: int, *, for_update: bool = False) -> BoundaryVersion:
        in_range = 0 < version_id <= MAX_INTEGER
        row = session.get(BoundaryVersion, version_id, with_for_update=for_update) if in_range else None
        if row is None:
            msg = f"there is no boundary version {version_id}"
            raise NotFound(msg)
        return row

    def list_versions(self, set_name: str | None = None) -> list[VersionInfo]:
        """Versions of one set (or of all sets), oldest first."""
        with self._transaction() as session:
            query = select(BoundaryVersion).order_by(BoundaryVersion.id)
            if set_name is not None:
                query = query.where(BoundaryVersion.set_id == self._set_row(session, set_name).id)
            return [self._version_info(session, row) for row in session.scalars(query).all()]

    def get_version(self, version_id: int) -> VersionInfo:
        """One version; NotFound when there is none."""
        with self._transaction() as session:
            return self._version_info(session, self._version_row(session, version_id))

    def published_version(self, set_name: str) -> VersionInfo | None:
        """The set's published version, or None when none is published yet."""
        with self._transaction() as session:
            row = session.scalar(
                select(BoundaryVersion).where(
                    BoundaryVersion.set_id == self._set_row(session, set_name).id,
                    BoundaryVersion.status == VersionStatus.PUBLISHED.value,
                )
            )
            return None if row is None else self._version_info(session, row)

    def _lineage(self, session: Session, set_id: int, codes: Sequence[str]) -> dict[str, Feature]:
        """For each code, the feature holding it in the set's most recent version that has it.

        A feature id is handed to one code only: when an id is found under two codes (a code was edited),
        the more recent version wins and the other code starts a new lineage.
        """
        found: list[Any] = []
        for batch in in_batches(codes):  # SQLite refuses a statement of more than 250,000 parameters
            query = (
                select(GridFeature.version_id, GridFeature.id, GridFeature.code, GridFeature.feature_id)
                .join(BoundaryVersion, BoundaryVersion.id == GridFeature.version_id)
                .where(BoundaryVersion.set_id == set_id, GridFeature.code.in_(batch))
            )
            found += session.execute(query).all()
        found.sort(key=lambda row: -row[0])  # most recent version first, over all batches
        chosen: dict[str, int] = {}
        taken: set[str] = set()
        for _, row_id, code, feature_id in found:
            if code not in chosen and feature_id not in taken:
                chosen[code] = row_id
                taken.add(feature_id)
        rows = [
            row
            for batch in in_batches(list(chosen.values()))
            for row in session.scalars(select(GridFeature).where(GridFeature.id.in_(batch)))
        ]
        return {row.code: feature_from_row(row) for row in rows}

    def import_version(self, set_name: str, frame: GeoDataFrame, *, who: str, why: str) -> VersionInfo:
        """A new draft version of `set_name` (created if absent) holding the frame's features."""
        _check_record(who, why)
        set_name = _set_name(set_name)
        values = values_from_frame(frame)
        if not values:
            msg = "the boundaries hold no features"
            raise InvalidInput(msg)
        with self._write_transaction() as session:
            set_row = session.scalar(select(BoundarySet).where(BoundarySet.name == set_name))
            if set_row is None:
                set_row = BoundarySet(name=set_name, created_at=utc_now())
                session.add(set_row)
                session.flush()
            version = BoundaryVersion(
                set_id=set_row.id,
                status=VersionStatus.DRAFT.value,
                created_by=who,
                created_at=utc_now(),
                reason=why,
            )
            session.add(version)
            session.flush()
            lineage = self._lineage(session, set_row.id, [v.code for v in values])
            self._insert_features(session, version.id, self._new_rows(version.id, values, lineage))
            self._refresh_statistics(session, len(values))
            imported = self._version_info(session, version)
        self._features_written(len(values))
        return imported

    def _insert_features(self, session: Session, version_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
        """New rows of version `version_id` in one executemany: no ORM objects, no mapper events (see sqlite.py)."""
        session.execute(cast(Table, GridFeature.__table__).insert(), rows)  # the table itself: Core, not ORM bulk

    def _new_rows(
        self, version_id: int, values: Sequence[FeatureValues], lineage: Mapping[str, Feature]
    ) -> list[dict[str, Any]]:
        """Rows for a new version: known codes keep their id, and their revision unless something changed."""
        known = [v for v in values if v.code in lineage]
        unchanged_shape = dict(
            zip(
                (v.code for v in known),
                same_shape([lineage[v.code].geometry for v in known], [v.geometry for v in known]),
                strict=True,
            )
        )
        rows = []
        for v in values:
            previous = lineage.get(v.code)
            if previous is None:
                feature_id, revision = str(uuid.uuid4()), 1
            else:
                same = unchanged_shape[v.code] and previous.properties() == v.properties()
                feature_id, revision = previous.feature_id, previous.revision + (0 if same else 1)
            rows.append({"version_id": version_id, "feature_id": feature_id, "revision": revision, **vars(v)})
        return rows

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

        Unless `force`, the set's published version must be the `expected` one (by default: nothing may have
        been published since the draft was made), else PublishedMeanwhile names the version that won.
        """
        _check_record(who, why)
        # A write transaction: on SQLite it holds the write lock from the start, so two publishers take turns.
        with self._write_transaction() as session:
            version = self._version_row(session, version_id, for_update=True)
            if version.status != VersionStatus.DRAFT.value:
                msg = f"version {version_id} is {version.status}; only a draft can be published"
                raise Conflict(msg)
            # Lock the set so that two publishers of the same set take turns on PostGIS too.
            session.get(BoundarySet, version.set_id, with_for_update=True)
            if not force:
                self._require_expected(session, version, expected)
            report = check(self._frame(session, version_id))
            if not report.ok:
                raise CheckFailed(self._refusal(version_id, report.to_json()), report.to_json())
            now = utc_now()
            session.execute(
                update(BoundaryVersion)
                .where(
                    BoundaryVersion.set_id == version.set_id, BoundaryVersion.status == VersionStatus.PUBLISHED.value
                )
                .values(status=VersionStatus.RETIRED.value, retired_at=now)
            )
            published = session.connection().execute(
                update(BoundaryVersion)
                .where(BoundaryVersion.id == version_id, BoundaryVersion.status == VersionStatus.DRAFT.value)
                .values(status=VersionStatus.PUBLISHED.value, published_by=who, published_at=now, publish_reason=why)
            )
            if published.rowcount != 1:  # someone published or retired it meanwhile; roll everything back
                msg = f"version {version_id} changed while it was being published; try again"
                raise Conflict(msg)
            session.expire(version)
            return self._version_info(session, version)

    def _require_expected(self, session: Session, draft: BoundaryVersion, expected: ExpectedPublished | None) -> None:
        """PublishedMeanwhile unless the set's published version is the one the publisher expects to replace."""
        current = session.scalar(
            select(BoundaryVersion).where(
                BoundaryVersion.set_id == draft.set_id, BoundaryVersion.status == VersionStatus.PUBLISHED.value
            )
        )
        if current is None:  # nothing would be retired, whatever the publisher saw
            return
        if expected is not None:
            if current.id == expected.version_id:
                return
            seen = "none published" if expected.version_id is None else f"version {expected.version_id}"
        elif current.published_at is None or current.published_at <= draft.created_at:
            return
        else:
            seen = f"what was published when draft {draft.id} was made"
        winner = self._version_info(session, current)
        msg = (
            f"version {winner.id} was published by {winner.published_by} at {winner.published_at:%Y-%m-%d %H:%M} UTC "
            f"(you expected to replace {seen}); compare it with draft {draft.id} and publish again with force "
            "to replace it"
        )
        raise PublishedMeanwhile(msg, winner=winner)

    @staticmethod
    def _refusal(version_id: int, report: Mapping[str, Any]) -> str:
        kinds = Counter(
            str(p.get("kind", "problem")) for p in report.get("problems", []) if p.get("severity", "error") == "error"
        )
        listed = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
        return f"version {version_id} fails the check ({listed or 'errors found'}); nothing was published"

    # Features (a version's frame is read in version_frames.py).
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
        changes = clean_properties(properties or {})
        if geometry is not None:
            try:
                changes["geometry"] = polygonal(geometry)
            except ValueError as exc:
                raise InvalidInput(f"geometry: {exc}") from None
        try:
            with self._write_transaction() as session:
                version = self._version_row(session, version_id)
                if version.status != VersionStatus.DRAFT.value:
                    msg = f"version {version_id} is {version.status}; only drafts can be edited (import a new draft)"
                    raise Conflict(msg)
                row = self._feature_row(session, version_id, feature_id)
                if row.revision != expected_revision:
                    raise self._stale(feature_id, expected_revision, row.revision)
                for name, value in changes.items():
                    setattr(row, name, value.value if isinstance(value, Level) else value)
                # The mapper's version counter adds "AND revision = expected" to the UPDATE (see tables.py).
                row.revision = expected_revision + 1
                session.flush()
                return feature_from_row(row)
        except StaleDataError:
            raise self._stale(feature_id, expected_revision, None) from None
        except IntegrityError:
            msg = f"version {version_id} already has a feature with code {changes.get('code')!r}"
            raise Conflict(msg) from None

    @staticmethod
    def _stale(feature_id: str, expected: int, current: int | None) -> Conflict:
        now = "" if current is None else f" (it is now at revision {current})"
        return Conflict(f"feature {feature_id} was changed by someone else since revision {expected}{now}; reload it")

    def compare(self, from_version: int, to_version: int) -> VersionComparison:
        """The diff of two versions with the features it is made of; the database compares the rows and only the
        features that differ (id, properties or geometry bytes) are read."""
        return self._compare(from_version, to_version, None)

    def recompare(self, earlier: VersionComparison, feature_ids: Collection[str]) -> VersionComparison:
        """`earlier` brought up to date: the features with `feature_ids` compared again, every other one as it was."""
        again = self._compare(earlier.diff.from_version, earlier.diff.to_version, feature_ids)
        return updated_comparison(earlier, set(feature_ids), again)

    def _compare(self, from_version: int, to_version: int, feature_ids: Collection[str] | None) -> VersionComparison:
        """The diff of two versions with the features it is made of (of those with `feature_ids`, when given)."""
        with self._transaction() as session:
            for version_id in (from_version, to_version):
                self._version_row(session, version_id)
            if feature_ids is None:
                before, ids = self._differing(session, from_version, to_version, self._every_row_of(from_version))
            else:
                before, ids = [], []
                for batch in in_batches(sorted(feature_ids)):
                    chosen = and_(GridFeature.version_id == from_version, GridFeature.feature_id.in_(batch))
                    found, found_ids = self._differing(session, from_version, to_version, chosen, batch)
                    before += found
                    ids += found_ids
            in_version = feature_columns().where(GridFeature.version_id == to_version)
            after = features_from_columns(
                [
                    row
                    for batch in in_batches(ids)
                    for row in session.execute(in_version.where(GridFeature.feature_id.in_(batch)))
                ]
            )
        before.sort(key=lambda f: f.code)
        after.sort(key=lambda f: f.code)
        return VersionComparison(diff_features(from_version, to_version, before, after), before, after)

    def _differing(
        self,
        session: Session,
        from_version: int,
        to_version: int,
        rows_from: ColumnElement[bool],
        feature_ids: Sequence[str] | None = None,
    ) -> tuple[list[Feature], list[str]]:
        """The features of `rows_from` (rows of `from_version`) that `to_version` does not hold alike, and the ids
        of those and of the features of `to_version` (with `feature_ids`, when given) new to it."""
        twin = aliased(GridFeature)
        alike = [getattr(twin, name).is_not_distinct_from(getattr(GridFeature, name)) for name in _COMPARED]
        same_id = [twin.version_id == to_version, twin.feature_id == GridFeature.feature_id]
        before = features_from_columns(
            list(session.execute(feature_columns().where(rows_from, ~exists().where(*same_id, *alike))))
        )
        # The other side: the ids just found (changed features; removed ones are not there) and the ids new to it,
        # which its index alone tells, without comparing the rows a second time.
        twin_id = [twin.version_id == from_version, twin.feature_id == GridFeature.feature_id]
        chosen = [] if feature_ids is None else [GridFeature.feature_id.in_(feature_ids)]
        added = select(GridFeature.feature_id).where(
            GridFeature.version_id == to_version, *chosen, ~exists().where(*twin_id)
        )
        return before, [f.feature_id for f in before] + list(session.scalars(added))

    def feature_revisions(self, version_id: int) -> FeatureRevisions:
        """Every feature id of a version with its revision, read as one string."""
        entry = GridFeature.feature_id + ":" + GridFeature.revision.cast(String)
        with self._transaction() as session:
            self._version_row(session, version_id)
            listed = session.scalar(select(func.aggregate_strings(entry, " ")).where(self._every_row_of(version_id)))
        return FeatureRevisions(version_id, listed or "")

    def _every_row_of(self, version_id: int) -> ColumnElement[bool]:
        """The rows of a version, for a query that reads each of them (sqlite.py reads them in storage order)."""
        return GridFeature.version_id == version_id

    def diff(self, from_version: int, to_version: int) -> VersionDiff:
        """Features added, removed, reshaped (area change in m2) and with changed properties."""
        return self.compare(from_version, to_version).diff
