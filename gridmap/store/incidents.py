"""Incidents in SQL: create (once per idempotency key, with their photos and short number), read, list or walk
through with filters (by due time too), and apply workflow steps.

Changes are computed by the pure functions of `gridmap.incidents` (`advance`, `rate_incident`, `move_pin`);
`change_incident` runs one of them on the stored incident inside a locked transaction and appends the
audit entries it added, so two concurrent steps cannot both start from the same state.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from shapely import Point
from sqlalchemy import ColumnElement, Connection, Row, and_, delete, false, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.geo.generalise import CellMath, cell_centre, margin_degrees
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.deadlines import TIME_DECISIONS, TIME_REQUESTS
from gridmap.incidents.idempotency import DEFAULT_TTL, check_key
from gridmap.incidents.model import Channel, FieldTask, Incident, IncidentPhoto, PhotoKind
from gridmap.incidents.numbers import check_prefix, incident_number, number_day
from gridmap.incidents.photos import CleanPhoto, PhotoFormat
from gridmap.incidents.workflow import ActorRole, AuditAction, AuditEntry, IncidentState, Status
from gridmap.store.frames import stored_text
from gridmap.store.incident_counts import count_change
from gridmap.store.incident_privacy import contact_rows, holds_personal_data
from gridmap.store.incident_store import IncidentFilter, IncidentOrder, IncidentPage, KeyedReport
from gridmap.store.incident_words import containing
from gridmap.store.tables import (
    INCIDENT_ID_LENGTH,
    PERSON_LENGTH,
    REPORTER_KEY_HASH_LENGTH,
    IncidentAuditRow,
    IncidentContactRow,
    IncidentKey,
    IncidentNumberSeries,
    IncidentPhotoRow,
    IncidentRow,
)

# The generalisation formula's operations as SQL functions (both backends have them; SQLite's math functions).
SQL_CELL_MATH = CellMath(floor=func.floor, cos_degrees=lambda d: func.cos(func.radians(d)), abs=func.abs)
MAX_PAGE = 1000
MAX_CHUNK = 10_000


def _row(incident: Incident) -> dict[str, object]:
    if len(incident.id) > INCIDENT_ID_LENGTH or not incident.id:
        msg = f"an incident id has 1-{INCIDENT_ID_LENGTH} characters"
        raise InvalidInput(msg)
    if not (math.isfinite(incident.lon) and math.isfinite(incident.lat)):
        msg = "an incident's coordinates must be finite numbers"
        raise InvalidInput(msg)
    key_hash = incident.reporter_key_hash
    if key_hash is not None and len(key_hash) != REPORTER_KEY_HASH_LENGTH:
        msg = f"a reporter key is stored as its SHA-256 hex digest ({REPORTER_KEY_HASH_LENGTH} characters)"
        raise InvalidInput(msg)
    return {
        "category": incident.category,
        "description": incident.description,
        "lon": incident.lon,
        "lat": incident.lat,
        "point": Point(incident.lon, incident.lat),
        "channel": incident.channel.value,
        "reporter": stored_text(incident.reporter, "the reporter", PERSON_LENGTH),
        "status": incident.status.value,
        "community_code": incident.community_code,
        "grid_code": incident.grid_code,
        "microgrid_code": incident.microgrid_code,
        "worker": incident.worker,
        "address": incident.address,
        "photo_urls": json.dumps(list(incident.photo_urls)),
        "rating": incident.state.rating,
        "duplicate_of": incident.state.duplicate_of,
        "reported_at": incident.state.reported_at,
        "updated_at": incident.state.updated_at,
        "near_boundary": incident.near_boundary,
        "boundary_distance_m": incident.boundary_distance_m,
        "reporter_key_hash": key_hash,
        "public_description": incident.public_description,
        "number": incident.number,
        "due_at": incident.due_at,
        "held_since": incident.held_since,
        "field_task": None if incident.field_task is None else incident.field_task.value,
        "neighbour_grid_code": incident.neighbour_grid_code,
    }


def _audit_rows(incident_id: str, entries: tuple[AuditEntry, ...], first_seq: int) -> list[dict[str, object]]:
    return [
        {
            "incident_id": incident_id,
            "seq": first_seq + number,
            "at": entry.at,
            "actor": stored_text(entry.actor, "the actor", PERSON_LENGTH),
            "role": entry.role.value,
            "action": entry.action.value,
            "from_status": None if entry.from_status is None else entry.from_status.value,
            "to_status": entry.to_status.value,
            "note": entry.note,
            "rating": entry.rating,
            "duplicate_of": entry.duplicate_of,
            "hours": entry.hours,
        }
        for number, entry in enumerate(entries)
    ]


def _entry(row: IncidentAuditRow | Row[Any]) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        role=ActorRole(row.role),
        action=AuditAction(row.action),
        from_status=None if row.from_status is None else Status(row.from_status),
        to_status=Status(row.to_status),
        note=row.note,
        rating=row.rating,
        duplicate_of=row.duplicate_of,
        hours=row.hours,
    )


def _incident(
    values: Mapping[str, Any], audit: Sequence[IncidentAuditRow | Row[Any]], photos: Sequence[IncidentPhoto] = ()
) -> Incident:
    """The incident of a row's `values` by column name (a Row's attributes cost ten times a dict's, and a list
    reads 27 of each of its 200 rows), its trail and photo records."""
    field_task = values["field_task"]
    state = IncidentState(
        status=Status(values["status"]),
        reported_at=values["reported_at"],
        updated_at=values["updated_at"],
        rating=values["rating"],
        duplicate_of=values["duplicate_of"],
    )
    return Incident(
        id=values["id"],
        category=values["category"],
        description=values["description"],
        lon=values["lon"],
        lat=values["lat"],
        channel=Channel(values["channel"]),
        reporter=values["reporter"],
        state=state,
        audit=tuple(_entry(entry) for entry in audit),
        community_code=values["community_code"],
        grid_code=values["grid_code"],
        microgrid_code=values["microgrid_code"],
        worker=values["worker"],
        address=values["address"],
        photo_urls=tuple(json.loads(values["photo_urls"])),
        near_boundary=values["near_boundary"],
        boundary_distance_m=values["boundary_distance_m"],
        reporter_key_hash=values["reporter_key_hash"],
        public_description=values["public_description"],
        number=values["number"],
        due_at=values["due_at"],
        held_since=values["held_since"],
        field_task=None if field_task is None else FieldTask(field_task),
        photos=tuple(photos),
        neighbour_grid_code=values["neighbour_grid_code"],
    )


def _photo_rows(
    incident_id: str, photos: Sequence[CleanPhoto], records: Sequence[IncidentPhoto]
) -> list[dict[str, object]]:
    """Rows of photos with their records (number, kind, time), numbered as their URLs are."""
    if len(photos) != len(records):
        msg = f"{len(photos)} photos were sent but the change records {len(records)}"
        raise InvalidInput(msg)
    return [
        {
            "incident_id": incident_id,
            "seq": record.number,
            "kind": record.kind.value,
            "added_at": record.added_at,
            "media_type": photo.format.value,
            "width": photo.width,
            "height": photo.height,
            "data": photo.data,
        }
        for photo, record in zip(photos, records, strict=True)
    ]


def _photo_records(connection: Connection, rows: Sequence[IncidentRow | Row[Any]]) -> dict[str, list[IncidentPhoto]]:
    """The records of the stored photos of `rows`' incidents (not their bytes), by incident id, by number."""
    records: dict[str, list[IncidentPhoto]] = {row.id: [] for row in rows}
    if not records:
        return records
    reported = {row.id: row.reported_at for row in rows}
    found = connection.execute(
        select(IncidentPhotoRow.incident_id, IncidentPhotoRow.seq, IncidentPhotoRow.kind, IncidentPhotoRow.added_at)
        .where(IncidentPhotoRow.incident_id.in_(list(records)))
        .order_by(IncidentPhotoRow.incident_id, IncidentPhotoRow.seq)
    )
    for incident_id, number, kind, added_at in found:
        records[incident_id].append(IncidentPhoto(number, PhotoKind(kind), added_at or reported[incident_id]))
    return records


def _count(connection: Connection, conditions: list[ColumnElement[bool]], up_to: int | None) -> int:
    """How many incidents meet `conditions`; with `up_to`, counted no further than one more than that."""
    if up_to is None:
        return connection.scalar(select(func.count()).select_from(IncidentRow).where(*conditions)) or 0
    found = select(IncidentRow.id).where(*conditions).limit(up_to + 1).subquery()
    return connection.scalar(select(func.count()).select_from(found)) or 0


# An incident row as lists and walks read it: plain columns (no ORM objects), without the point (lon/lat say it).
_LISTED = tuple(column for column in IncidentRow.__table__.columns if column.name != "point")


_Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def _read_in_whole(where: IncidentFilter) -> bool:
    """Whether a page of `where` reads every match whatever its order: no index holds the matches of words, or
    of a worker's grids or-ed with the worker, in an order, so the database sorts them all for one page."""
    scope = where.scope
    return where.text is not None or (scope is not None and scope.worker is not None and bool(scope.grid_codes))


def _sort(order: IncidentOrder, due_at: _Column, reported_at: _Column, key: _Column) -> tuple[_Column, ...]:
    """ORDER BY for a list: soonest due first, those without a due time (final, or stored before due times) last,
    the order of the (…, due_at, id) indexes (migrations 0018, 0021), so a queue's page is read without sorting;
    or newest report first."""
    if order is IncidentOrder.DUE:
        return due_at.asc().nulls_last(), key
    return reported_at.desc(), key


def _page_and_count(
    connection: Connection, conditions: list[ColumnElement[bool]], order: IncidentOrder, *, limit: int, offset: int
) -> tuple[Sequence[Row[Any]], int | None]:
    """A page of the matches of `conditions` in `order` and how many match in all, from one read of the matches
    (their keys materialised once, counted and sorted; then the page's rows by id); None for the count past the
    last match. Materialised, each database plans that read alone: under a LIMIT PostgreSQL would otherwise walk
    a whole due-time index, as if the page could stop early."""
    matches = (
        select(IncidentRow.id, IncidentRow.due_at, IncidentRow.reported_at)
        .where(*conditions)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    matched = select(func.count()).select_from(matches).scalar_subquery().label("matched")
    sort = _sort(order, matches.c.due_at, matches.c.reported_at, matches.c.id)
    keys = connection.execute(select(matches.c.id, matched).order_by(*sort).limit(limit).offset(offset)).all()
    if not keys:
        return [], None
    listed = connection.execute(select(*_LISTED).where(IncidentRow.id.in_([key.id for key in keys])))
    by_id = {row.id: row for row in listed}
    return [by_id[key.id] for key in keys], keys[0].matched


_AUDIT = aliased(IncidentAuditRow)


def _is_pending_request() -> ColumnElement[bool]:
    """SQL for an audit entry that is its incident's pending hold or extension request, as
    `deadlines.pending_request` finds it: a request that is the last entry to ask, decide or change status."""
    last_clock_step = (
        select(func.max(_AUDIT.seq))
        .where(
            _AUDIT.incident_id == IncidentAuditRow.incident_id,
            or_(
                _AUDIT.action.in_(sorted(TIME_REQUESTS | TIME_DECISIONS)),
                _AUDIT.from_status.is_(None),
                _AUDIT.from_status != _AUDIT.to_status,
            ),
        )
        .scalar_subquery()
    )
    return and_(IncidentAuditRow.action.in_(sorted(TIME_REQUESTS)), IncidentAuditRow.seq == last_clock_step)


def _with_trails(connection: Connection, rows: Sequence[Row[Any]], *, whole: bool = True) -> list[Incident]:
    """The incidents of `rows`, in their order, each with its audit trail and photo records (one query each).

    Not `whole`: each trail holds only the incident's pending hold or extension request, if any, what a list shows
    of its history; a list of 200 then reads a few entries instead of 200 trails.
    """
    trails: dict[str, list[Row[Any]]] = {row.id: [] for row in rows}
    if trails:
        query = select(*IncidentAuditRow.__table__.columns).where(IncidentAuditRow.incident_id.in_(list(trails)))
        if not whole:
            query = query.where(_is_pending_request())
        for entry in connection.execute(query.order_by(IncidentAuditRow.incident_id, IncidentAuditRow.seq)):
            trails[entry.incident_id].append(entry)
    photos = _photo_records(connection, rows)
    names = rows[0]._fields if rows else ()
    return [_incident(dict(zip(names, row, strict=True)), trails[row.id], photos[row.id]) for row in rows]


def _load(session: Session, incident_id: str, *, for_update: bool = False) -> Incident:
    query = select(IncidentRow).where(IncidentRow.id == incident_id)
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        msg = f"there is no incident {incident_id!r}"
        raise NotFound(msg)
    audit = session.scalars(
        select(IncidentAuditRow).where(IncidentAuditRow.incident_id == incident_id).order_by(IncidentAuditRow.seq)
    ).all()
    values = {column.name: getattr(row, column.key) for column in _LISTED}
    return _incident(values, list(audit), _photo_records(session.connection(), [row])[incident_id])


def _next_number(session: Session, prefix: str, reported_at: datetime) -> str:
    """The next number of `prefix` on the report's China-time day, counted in the caller's transaction.

    One upsert bumps the day's counter and returns it: PostgreSQL locks the counter row until the report
    commits, and SQLite's write transaction holds the database, so concurrent reports never share a number.
    """
    day = number_day(reported_at)
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        upsert(IncidentNumberSeries)
        .values(prefix=check_prefix(prefix), day=day, last=1)
        .on_conflict_do_update(
            index_elements=[IncidentNumberSeries.prefix, IncidentNumberSeries.day],
            set_={"last": IncidentNumberSeries.last + 1},
        )
        .returning(IncidentNumberSeries.last)
    )
    return incident_number(prefix, day, session.execute(statement).scalar_one())


class IncidentRegister:
    """The incident half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def create_incident(
        self,
        incident: Incident,
        *,
        keyed: KeyedReport | None = None,
        now: datetime | None = None,
        photos: Sequence[CleanPhoto] = (),
        number_prefix: str | None = None,
    ) -> tuple[Incident, bool]:
        """Store a new incident with its photos, or return the one made under the same key; and whether it is new.

        With `number_prefix` (and no number of its own) the incident gets the next short number of its day.
        """
        if keyed is not None:
            check_key(keyed.key)
        try:
            return self._create(incident, keyed, now or incident.state.reported_at, photos, number_prefix)
        except IntegrityError:
            # A concurrent request with the same key (or the same id) won the race: answer as a repeat.
            if keyed is None:
                msg = f"an incident {incident.id!r} exists already"
                raise Conflict(msg) from None
            return self._create(incident, keyed, now or incident.state.reported_at, photos, number_prefix)

    def _create(
        self,
        incident: Incident,
        keyed: KeyedReport | None,
        now: datetime,
        photos: Sequence[CleanPhoto],
        number_prefix: str | None,
    ) -> tuple[Incident, bool]:
        row = _row(incident)
        with self._write_transaction() as session:
            if keyed is not None:
                slot = (IncidentKey.client == keyed.client, IncidentKey.key == keyed.key)
                # A key is remembered for a day; after that the same key makes a new incident.
                session.execute(delete(IncidentKey).where(*slot, IncidentKey.created_at < now - DEFAULT_TTL))
                known = session.scalar(select(IncidentKey).where(*slot))
                if known is not None:
                    if known.fingerprint != keyed.fingerprint:
                        msg = "this Idempotency-Key was already used for a different report; make a new key per report"
                        raise Conflict(msg)
                    return _load(session, known.incident_id), False
            if number_prefix is not None and incident.number is None:
                row["number"] = _next_number(session, number_prefix, incident.state.reported_at)
            session.execute(insert(IncidentRow), [{"id": incident.id, **row}])
            count_change(session.connection(), None, incident)
            session.execute(insert(IncidentAuditRow), _audit_rows(incident.id, incident.audit, 0))
            if photos:
                at = incident.state.reported_at
                records = [IncidentPhoto(number, PhotoKind.BEFORE, at) for number in range(1, len(photos) + 1)]
                session.execute(insert(IncidentPhotoRow), _photo_rows(incident.id, photos, records))
            if contacts := contact_rows([incident]):
                session.execute(insert(IncidentContactRow), contacts)
            if keyed is not None:
                session.execute(
                    insert(IncidentKey),
                    [
                        {
                            "client": keyed.client,
                            "key": keyed.key,
                            "fingerprint": keyed.fingerprint,
                            "incident_id": incident.id,
                            "created_at": now,
                        }
                    ],
                )
            return _load(session, incident.id), True

    def get_incident(self, incident_id: str) -> Incident:
        """The incident with its whole audit trail; NotFound when there is none."""
        with self._transaction() as session:
            return _load(session, incident_id)

    def list_incidents(
        self,
        where: IncidentFilter,
        *,
        limit: int = 50,
        offset: int = 0,
        order: IncidentOrder = IncidentOrder.NEWEST,
        count_up_to: int | None = None,
        whole_trails: bool = True,
    ) -> IncidentPage:
        """The incidents matching `where` in `order` (newest report or soonest due first), `limit` from `offset`;
        matches counted up to `count_up_to` when given (`capped` when more match); without `whole_trails` each
        trail holds only the incident's pending hold or extension request, if any."""
        if not (0 < limit <= MAX_PAGE and offset >= 0) or (count_up_to is not None and count_up_to < 1):
            msg = f"limit must be 1-{MAX_PAGE}, offset at least 0 and a count cap at least 1"
            raise InvalidInput(msg)
        conditions = _conditions(where)
        with self._transaction() as session:
            # Plain column reads, run on the connection: the ORM's loading adds nothing to them but time.
            connection = session.connection()
            if _read_in_whole(where):
                rows, matched = _page_and_count(connection, conditions, order, limit=limit, offset=offset)
                if matched is None:
                    matched = _count(connection, conditions, count_up_to)
            else:
                matched = _count(connection, conditions, count_up_to)
                sort = _sort(order, IncidentRow.due_at, IncidentRow.reported_at, IncidentRow.id)
                rows = connection.execute(
                    select(*_LISTED).where(*conditions).order_by(*sort).limit(limit).offset(offset)
                ).all()
            capped = count_up_to is not None and matched > count_up_to
            incidents = _with_trails(connection, rows, whole=whole_trails)
            return IncidentPage(incidents, min(matched, count_up_to or matched), capped)

    def iter_incidents(self, where: IncidentFilter, *, chunk: int = 1000) -> Iterator[Incident]:
        """Every incident matching `where` with its audit trail, oldest report first, read `chunk` at a time."""
        if not 0 < chunk <= MAX_CHUNK:
            msg = f"chunk must be 1-{MAX_CHUNK}"
            raise InvalidInput(msg)
        conditions = _conditions(where)
        after: tuple[datetime, str] | None = None
        while True:
            # Keyset paging on (reported_at, id): each chunk is its own short transaction, and memory holds
            # one chunk however many incidents match.
            query = select(*_LISTED).where(*conditions)
            if after is not None:
                last_at, last_id = after
                query = query.where(
                    or_(
                        IncidentRow.reported_at > last_at,
                        and_(IncidentRow.reported_at == last_at, IncidentRow.id > last_id),
                    )
                )
            with self._transaction() as session:
                connection = session.connection()
                rows = connection.execute(query.order_by(IncidentRow.reported_at, IncidentRow.id).limit(chunk)).all()
                incidents = _with_trails(connection, rows)
            yield from incidents
            if len(rows) < chunk:
                return
            after = (rows[-1].reported_at, rows[-1].id)

    def get_incident_photo(self, incident_id: str, number: int) -> CleanPhoto:
        """Photo `number` (from 1) of an incident as stored (re-encoded, no metadata); NotFound otherwise."""
        with self._transaction() as session:
            row = session.get(IncidentPhotoRow, (incident_id, number))
            if row is None:
                msg = f"incident {incident_id!r} has no photo {number}"
                raise NotFound(msg)
            return CleanPhoto(data=row.data, format=PhotoFormat(row.media_type), width=row.width, height=row.height)

    def change_incident(
        self, incident_id: str, change: Callable[[Incident], Incident], *, new_photos: Sequence[CleanPhoto] = ()
    ) -> Incident:
        """Apply `change` (e.g. a workflow step) to the stored incident under a lock and store the result.

        `new_photos` are stored under the photo records `change` appended, in order (one record per photo).
        """
        with self._write_transaction() as session:
            before = _load(session, incident_id, for_update=True)
            after = change(before)
            if after.id != before.id or after.audit[: len(before.audit)] != before.audit:
                msg = "a change to an incident may only append to its audit trail"
                raise InvalidInput(msg)
            if after.photos[: len(before.photos)] != before.photos:
                msg = "a change to an incident may only add photos"
                raise InvalidInput(msg)
            added_photos = after.photos[len(before.photos) :]
            if added_photos or new_photos:
                session.execute(insert(IncidentPhotoRow), _photo_rows(incident_id, new_photos, added_photos))
            count_change(session.connection(), before, after)
            row = session.get_one(IncidentRow, incident_id)
            for name, value in _row(after).items():
                setattr(row, name, value)
            added = after.audit[len(before.audit) :]
            if added:
                session.execute(insert(IncidentAuditRow), _audit_rows(incident_id, added, len(before.audit)))
            session.flush()
            return _load(session, incident_id)


def _conditions(where: IncidentFilter) -> list[ColumnElement[bool]]:
    """SQL conditions for a filter (the bbox on lon/lat, exact for points on every backend)."""
    conditions = kind_conditions(where, IncidentRow.category, IncidentRow.status)
    if where.grid_code is not None:
        conditions.append(IncidentRow.grid_code == where.grid_code)
    if where.community_code is not None:
        conditions.append(IncidentRow.community_code == where.community_code)
    if where.reported_since is not None:
        conditions.append(IncidentRow.reported_at >= where.reported_since)
    if where.reported_before is not None:
        conditions.append(IncidentRow.reported_at < where.reported_before)
    if where.bbox is not None:
        conditions += _in_bbox(where.bbox, where.generalised_m)
    if where.scope is not None:
        conditions.append(_in_scope(where.scope))
    if where.personal_data is not None:
        held = holds_personal_data()
        conditions.append(held if where.personal_data else ~held)
    if where.number is not None:
        conditions.append(IncidentRow.number == where.number.strip().upper())
    if where.text is not None:
        conditions.append(containing(where.text))
    if where.overdue_at is not None:
        conditions += [IncidentRow.held_since.is_(None), IncidentRow.due_at < where.overdue_at]
    if where.due_by is not None:
        conditions += [IncidentRow.held_since.is_(None), IncidentRow.due_at <= where.due_by]
    if where.field_task is not None:
        conditions.append(IncidentRow.field_task == where.field_task.value)
    return conditions


def kind_conditions(
    where: IncidentFilter,
    category: ColumnElement[str] | InstrumentedAttribute[str],
    status: ColumnElement[str] | InstrumentedAttribute[str],
) -> list[ColumnElement[bool]]:
    """SQL conditions for a filter's statuses and categories, on the columns of incidents or of their counts."""
    conditions: list[ColumnElement[bool]] = []
    if where.status is not None:
        conditions.append(status == where.status.value)
    if where.statuses is not None:
        conditions.append(status.in_(sorted(s.value for s in where.statuses)))
    if where.category is not None:
        conditions.append(category == where.category)
    if where.excluded_categories:
        conditions.append(category.not_in(sorted(where.excluded_categories)))
    return conditions


def generalised_point(size_m: float) -> tuple[ColumnElement[float], ColumnElement[float]]:
    """SQL for the centre of each incident's cell in the public grid of `size_m` (`gridmap.geo.generalise`)."""
    lon, lat = cell_centre(IncidentRow.lon, IncidentRow.lat, size_m, SQL_CELL_MATH)
    return lon, lat


def _in_bbox(bbox: tuple[float, float, float, float], generalised_m: float | None) -> list[ColumnElement[bool]]:
    """Conditions for points in `bbox`: the exact points, or the generalised ones when `generalised_m` is given."""
    min_lon, min_lat, max_lon, max_lat = bbox
    if generalised_m is None:
        return [
            IncidentRow.lon >= min_lon,
            IncidentRow.lon <= max_lon,
            IncidentRow.lat >= min_lat,
            IncidentRow.lat <= max_lat,
        ]
    # The exact point lies within a cell's reach of the generalised one: that wider box keeps the index useful.
    lon_margin, lat_margin = margin_degrees(generalised_m, max(abs(min_lat), abs(max_lat)))
    lon, lat = generalised_point(generalised_m)
    return [
        *_in_bbox((min_lon - lon_margin, min_lat - lat_margin, max_lon + lon_margin, max_lat + lat_margin), None),
        lon >= min_lon,
        lon <= max_lon,
        lat >= min_lat,
        lat <= max_lat,
    ]


def _in_scope(scope: IncidentScope) -> ColumnElement[bool]:
    """SQL for `IncidentScope.covers`: routed to one of its grids or to its worker, or under its code prefix."""
    parts: list[ColumnElement[bool]] = []
    if scope.grid_codes:
        parts.append(IncidentRow.grid_code.in_(sorted(scope.grid_codes)))
    if scope.worker is not None:
        parts.append(IncidentRow.worker == scope.worker)
    if scope.code_prefix is not None:
        prefix = scope.code_prefix
        parts += [
            IncidentRow.community_code.startswith(prefix, autoescape=True),
            IncidentRow.grid_code.startswith(prefix, autoescape=True),
        ]
    return or_(*parts) if parts else false()
