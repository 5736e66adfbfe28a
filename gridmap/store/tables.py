"""The tables: boundary sets, boundary versions, grid features (all levels), users and households.

Geometry crosses into and out of the database here and only here, in `GeometryType`: shapely objects in
Python, a geoalchemy2 `geometry(GEOMETRY, 4326)` column on PostGIS, WKB bytes in a BLOB on SQLite (which has
no SpatiaLite here; its R*Tree index lives in `gridmap.store.sqlite`).

Households are kept apart from boundaries; their codes are placements per boundary version. Incidents
keep the codes they were routed to; facilities get their tables with the issue that needs them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from geoalchemy2 import Geometry
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

WGS84_SRID = 4326
# Column sizes, checked before writing (SQLite would store longer text, PostgreSQL refuses it).
CODE_LENGTH = 32
NAME_LENGTH = 200
PERSON_LENGTH = 100  # people (users, workers, authors) and boundary set names
HOUSEHOLD_ID_LENGTH = 64
INCIDENT_ID_LENGTH = 36  # a UUID
INCIDENT_NUMBER_LENGTH = 32  # a short human number, e.g. SN-20261127-0042
REPORTER_KEY_HASH_LENGTH = 64  # SHA-256 in hex
PHONE_LENGTH = 32
ADDRESS_ID_LENGTH = 100  # an address registry entry's id (room:朝阳新村:1:1:101)
MAX_INTEGER = 2**31 - 1  # SQL INTEGER
# An incident whose stage's clock runs: it has a due time and no hold (the rows of ix_incidents_open_due).
CLOCK_RUNNING = "held_since IS NULL AND due_at IS NOT NULL"
PASSWORD_HASH_LENGTH = 255  # an argon2 hash in PHC form is about 100 characters


class _Conversion(FunctionElement[Any]):
    """A one-argument SQL conversion that keeps the type of what it wraps (so results are processed)."""

    inherit_cache = True

    def __init__(self, expression: ColumnElement[Any], type_: TypeEngine[Any]) -> None:
        super().__init__(expression)
        self.type = type_


class _WkbToGeometry(_Conversion):
    """WKB bytes to the column's storage: ST_GeomFromWKB on PostGIS, the bytes themselves elsewhere."""

    inherit_cache = True
    name = "wkb_to_geometry"


class _GeometryToWkb(_Conversion):
    """The column's storage to WKB bytes: ST_AsBinary on PostGIS, the bytes themselves elsewhere."""

    inherit_cache = True
    name = "geometry_to_wkb"


@compiles(_WkbToGeometry)
@compiles(_GeometryToWkb)
def _compile_passthrough(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_WkbToGeometry, "postgresql")
def _compile_geom_from_wkb(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return f"ST_GeomFromWKB({compiler.process(element.clauses, **kw)}, {WGS84_SRID})"


@compiles(_GeometryToWkb, "postgresql")
def _compile_as_binary(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return f"ST_AsBinary({compiler.process(element.clauses, **kw)})"


def geometry_wkb(column: ColumnElement[BaseGeometry]) -> ColumnElement[bytes]:
    """A geometry column read as plain WKB bytes, for readers that convert many rows at once (shapely.from_wkb on
    an array) rather than one shapely object per row."""
    return _GeometryToWkb(column, LargeBinary())


class GeometryType(TypeDecorator[BaseGeometry]):
    """A WGS-84 geometry: shapely in Python, PostGIS geometry or SQLite WKB in the database."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            # The GiST index is declared with the table (and created by the migration), not by geoalchemy2.
            return dialect.type_descriptor(Geometry("GEOMETRY", srid=WGS84_SRID, spatial_index=False))
        return dialect.type_descriptor(LargeBinary())

    def bind_expression(self, bindvalue: BindParameter[BaseGeometry]) -> ColumnElement[BaseGeometry]:
        return _WkbToGeometry(bindvalue, self)

    def column_expression(self, column: ColumnElement[BaseGeometry]) -> ColumnElement[BaseGeometry]:
        return _GeometryToWkb(column, self)

    # Both directions carry plain WKB, so the processors of the dialect type (geoalchemy2's element
    # wrappers) are bypassed on purpose.
    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: BaseGeometry | None) -> bytes | None:
            return None if value is None else shapely.to_wkb(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        def process(value: bytes | memoryview | None) -> BaseGeometry | None:
            return None if value is None else shapely.from_wkb(bytes(value))

        return process


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "timestamps must be timezone-aware"
            raise ValueError(msg)
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with constraint names that migrations can refer to on every backend."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class BoundarySet(Base):
    """A named series of boundary versions."""

    __tablename__ = "boundary_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(PERSON_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BoundaryVersion(Base):
    """One version of a set: draft, published (at most one per set) or retired."""

    __tablename__ = "boundary_versions"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        # The database itself guarantees at most one published version per set.
        Index(
            "uq_boundary_versions_one_published",
            "set_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(PERSON_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str | None] = mapped_column(String(PERSON_LENGTH))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    publish_reason: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A draft started from another version names it (no foreign key: SQLite cannot add one without rebuilding
    # the table, which would cascade); edit_seq counts the draft's edits, undos and redos (migration 0010).
    based_on: Mapped[int | None] = mapped_column(Integer)
    edit_seq: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class GridFeature(Base):
    """A community, grid or microgrid of one version; `feature_id` is kept across versions."""

    __tablename__ = "grid_features"
    __table_args__ = (
        UniqueConstraint("version_id", "feature_id"),
        UniqueConstraint("version_id", "code"),
        Index("ix_grid_features_version_id_level_parent", "version_id", "level", "parent"),
        Index("ix_grid_features_geometry", "geometry", postgresql_using="gist").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("boundary_versions.id", ondelete="CASCADE"))
    feature_id: Mapped[str] = mapped_column(String(36))
    revision: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    level: Mapped[str | None] = mapped_column(String(16))
    parent: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    worker: Mapped[str | None] = mapped_column(String(PERSON_LENGTH))
    households_target: Mapped[int | None] = mapped_column(Integer)
    geometry: Mapped[BaseGeometry] = mapped_column(GeometryType())
    # The draft's edit_seq after the edit, undo or redo that added the row; NULL when the version was made with it
    # (migration 0020): a draft import tells features added since a file's export from those the file deleted.
    added_seq: Mapped[int | None] = mapped_column(Integer)

    # Optimistic locking: every ORM UPDATE carries "AND revision = <loaded revision>", and the store sets
    # the new revision itself (an import keeps it when nothing changed).
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}  # noqa: RUF012


class BoundaryEdit(Base):
    """One edit of a draft (0010): the operation, who, when, why, and the touched features before and after.

    `before` and `after` are JSON lists of feature snapshots (absent from a list: the feature did not exist).
    """

    __tablename__ = "boundary_edits"
    __table_args__ = (
        UniqueConstraint("version_id", "seq"),
        CheckConstraint("state IN ('applied', 'undone')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("boundary_versions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(CODE_LENGTH))
    params: Mapped[str] = mapped_column(Text)  # JSON
    who: Mapped[str] = mapped_column(String(PERSON_LENGTH))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    why: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    before: Mapped[str] = mapped_column(Text)  # JSON
    after: Mapped[str] = mapped_column(Text)  # JSON
    area_moved_m2: Mapped[float] = mapped_column(Float)


class User(Base):
    """Someone who may use gridmap, with their tokens in `api_tokens`."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'worker', 'planner', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(PERSON_LENGTH), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    # A dispatcher's community or street: the code prefix of the incidents they reach (None: all; migration 0006).
    scope: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Signing in with a password (migration 0014): its argon2 hash (None: tokens only), the failed attempts since
    # the last success or lock, and until when sign-in is refused after too many of them.
    password_hash: Mapped[str | None] = mapped_column(String(PASSWORD_HASH_LENGTH))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Household(Base):
    """A household of the register and its WGS-84 point; `head_name` and `phone` are personal data."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(String(HOUSEHOLD_ID_LENGTH), unique=True)
    address: Mapped[str] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    people: Mapped[int] = mapped_column(Integer)
    elderly_alone: Mapped[bool] = mapped_column(Boolean)
    disabled: Mapped[bool] = mapped_column(Boolean)
    left_behind_children: Mapped[int] = mapped_column(Integer)
    head_name: Mapped[str | None] = mapped_column(String(PERSON_LENGTH))
    phone: Mapped[str | None] = mapped_column(String(32))


class HouseholdPlacement(Base):
    """A household's community, grid and microgrid codes in one boundary version (empty codes: uncovered)."""

    __tablename__ = "household_placements"
    __table_args__ = (
        Index("ix_household_placements_version_id_grid_code", "version_id", "grid_code"),
        Index("ix_household_placements_version_id_community_code", "version_id", "community_code"),
        Index("ix_household_placements_version_id_microgrid_code", "version_id", "microgrid_code"),
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("boundary_versions.id", ondelete="CASCADE"), primary_key=True)
    household_row: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    community_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    grid_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    microgrid_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    nearest_grid_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    distance_m: Mapped[float | None] = mapped_column(Float)


class IncidentRow(Base):
    """An incident: its WGS-84 point (also as lon/lat), routing codes and workflow state.

    `reporter` is a staff account or "resident"; a resident's name and phone are in `incident_contacts`.
    """

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_category", "category"),
        # Migration 0018: the desk's queues, filtered by grid or worker and sorted by due time, read in index order.
        Index("ix_incidents_grid_due", "grid_code", "due_at", "id"),
        Index("ix_incidents_worker_due", "worker", "due_at", "id"),
        Index("ix_incidents_community_code", "community_code"),
        Index("ix_incidents_reported_at", "reported_at"),
        Index("ix_incidents_map", "lon", "lat", "reported_at", "category", "status"),  # migration 0005
        Index("ix_incidents_point", "point", postgresql_using="gist").ddl_if(dialect="postgresql"),
        Index("ix_incidents_due", "due_at", "id"),  # 0015, with id in 0018: soonest due first, NULLS LAST
        Index("ix_incidents_status_due", "status", "due_at", "id"),  # 0018: a status's queue by due time
        Index("uq_incidents_number", "number", unique=True),  # 0015: NULL for incidents stored before it
        Index("ix_incidents_field_task", "field_task"),  # 0016: the workers' queues of tasks
        # 0021: running clocks (due, not held) by due time, for the overdue and due-soon queues.
        Index(
            "ix_incidents_open_due",
            "due_at",
            "id",
            sqlite_where=text(CLOCK_RUNNING),
            postgresql_where=text(CLOCK_RUNNING),
        ),
        # 0021: the search by words reads its window of reports from this index alone (SQLite only: PostgreSQL
        # limits a B-tree entry to less than a long description).
        Index("ix_incidents_words", "reported_at", "due_at", "id", "number", "description", "address").ddl_if(
            dialect="sqlite"
        ),
        # 0022: the same search on PostgreSQL finds its candidates by the characters and pairs of characters of the
        # texts (`gridmap.store.incident_words`; the function is the migration's).
        Index(
            "ix_incidents_grams", text("incident_grams(number, description, address)"), postgresql_using="gin"
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(String(INCIDENT_ID_LENGTH), primary_key=True)
    category: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    point: Mapped[BaseGeometry] = mapped_column(GeometryType())
    channel: Mapped[str] = mapped_column(String(16))
    reporter: Mapped[str] = mapped_column(String(PERSON_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    community_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    grid_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    microgrid_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    worker: Mapped[str | None] = mapped_column(String(PERSON_LENGTH))
    address: Mapped[str] = mapped_column(Text)
    photo_urls: Mapped[str] = mapped_column(Text)  # a JSON list
    rating: Mapped[int | None] = mapped_column(Integer)
    duplicate_of: Mapped[str | None] = mapped_column(String(INCIDENT_ID_LENGTH))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    near_boundary: Mapped[bool] = mapped_column(Boolean, server_default=false())
    boundary_distance_m: Mapped[float | None] = mapped_column(Float)
    # The SHA-256 of the secret the reporting client made; the secret itself is never stored.
    reporter_key_hash: Mapped[str | None] = mapped_column(String(REPORTER_KEY_HASH_LENGTH))
    # The description as staff approved it for the public; NULL until then (migration 0008).
    public_description: Mapped[str | None] = mapped_column(Text)
    # The short human number (SN-20261127-0042), the current stage's due time and the start of a hold (0015).
    number: Mapped[str | None] = mapped_column(String(INCIDENT_NUMBER_LENGTH))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    held_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The verification or check waiting for the worker, and a near-boundary report's other grid (0016).
    field_task: Mapped[str | None] = mapped_column(String(16))
    neighbour_grid_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))


class IncidentNumberSeries(Base):
    """The last incident number given per prefix and China-time day (migration 0015)."""

    __tablename__ = "incident_number_series"

    prefix: Mapped[str] = mapped_column(String(INCIDENT_NUMBER_LENGTH), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD
    last: Mapped[int] = mapped_column(Integer)


class IncidentCellCount(Base):
    """Incidents counted per cell of the map quadtree, period, category and status (migration 0017).

    Kept in step with `incidents` by every write, in the same transaction (`gridmap.store.incident_counts`).
    `generalised_m` is 0 for counts at the exact points, else the public grid the points were generalised to;
    `span` is day, month or ever, and `start_day` the China-time day the period starts (days since 1970-01-01,
    0 for ever). Without rowid on SQLite: a view reads a range of the key, stored in key order.
    """

    __tablename__ = "incident_cell_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    generalised_m: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    span: Mapped[str] = mapped_column(String(8), primary_key=True)
    x: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    y: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    start_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    lon_sum: Mapped[float] = mapped_column(Float)
    lat_sum: Mapped[float] = mapped_column(Float)


class IncidentAreaCount(Base):
    """Incidents counted per community, grid or microgrid, period, category and status (migration 0019).

    Kept in step with `incidents` by every write, in the same transaction (`gridmap.store.incident_counts`).
    `level` is community, grid or microgrid and `code` the area's code, '' for incidents routed to none at that
    level (so each level counts every incident); `span` and `start_day` as in `IncidentCellCount`. Without rowid
    on SQLite: a period of a level is one range of the key.
    """

    __tablename__ = "incident_area_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    span: Mapped[str] = mapped_column(String(8), primary_key=True)
    start_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class IncidentPhotoRow(Base):
    """A photo of an incident, re-encoded without metadata, numbered from 1 as its URL is."""

    __tablename__ = "incident_photos"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # Before or after the fix, and when it was added (0016; the reporters' photos: before, at the report).
    kind: Mapped[str] = mapped_column(String(8), server_default="before")
    added_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class IncidentContactRow(Base):
    """How to reach the resident who reported an incident (personal data), apart from the incident (0006).

    Erasure and the retention purge empty `name` and `phone` and say when and why in `removed_at` and
    `removed_because` (erased, retention).
    """

    __tablename__ = "incident_contacts"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(PERSON_LENGTH), index=True)
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH), index=True)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removed_because: Mapped[str | None] = mapped_column(String(16))


class IncidentAuditRow(Base):
    """One entry of an incident's audit trail, numbered from 0 (the report)."""

    __tablename__ = "incident_audit"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(PERSON_LENGTH))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    duplicate_of: Mapped[str | None] = mapped_column(String(INCIDENT_ID_LENGTH))
    hours: Mapped[float | None] = mapped_column(Float)  # an extension's working hours (migration 0015)


class IncidentKey(Base):
    """An idempotency key: the incident a client's (client, key) created, and a digest of its content."""

    __tablename__ = "incident_keys"

    client: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    """A user's token: only its SHA-256 hash is kept, with when it expires, was last used and was revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UserSession(Base):
    """A browser's signed-in session (0014): only the SHA-256 hash of its random id is kept, as for tokens."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class RateBucket(Base):
    """A client's token bucket of one named rate limit, shared by every server worker."""

    __tablename__ = "rate_buckets"

    limit_name: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    client: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, the limiter's clock


class JobRow(Base):
    """A background job of any kind (e.g. geocode): who started it, where it is, and how it ended."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(CODE_LENGTH), index=True)
    owner: Mapped[str] = mapped_column(String(PERSON_LENGTH))
    label: Mapped[str] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)  # JSON
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    runner: Mapped[str] = mapped_column(String(PERSON_LENGTH))  # host:pid of the process running it


class AddressEntry(Base):
    """An entry of the standard address registry (标准地址库) and its WGS-84 point; no personal data."""

    __tablename__ = "address_registry"
    # AUTOINCREMENT on SQLite: row numbers never come back after a replace, so (count, max id) is a revision.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address_id: Mapped[str] = mapped_column(String(ADDRESS_ID_LENGTH), unique=True)
    road: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    number: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    compound: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    building: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    unit: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    room: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class AddressAliasRow(Base):
    """Another name for a road, compound or town of the address registry (migration 0013): 环城大道 -> 环城路."""

    __tablename__ = "address_aliases"
    __table_args__ = (
        UniqueConstraint("kind", "alias"),
        CheckConstraint("kind IN ('road', 'compound', 'town')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    alias: Mapped[str] = mapped_column(String(NAME_LENGTH))


class ReferenceLayerRow(Base):
    """A reference layer (streets, river, buildings; migration 0012), stored whole: its features are one WKB
    geometry collection and a JSON list of labels, replaced together (see gridmap/store/reference_store.py)."""

    __tablename__ = "reference_layers"
    __table_args__ = (CheckConstraint("kind IN ('point', 'line', 'polygon')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    style: Mapped[str] = mapped_column(Text)  # JSON
    label_field: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    feature_count: Mapped[int] = mapped_column(Integer)
    west: Mapped[float | None] = mapped_column(Float)
    south: Mapped[float | None] = mapped_column(Float)
    east: Mapped[float | None] = mapped_column(Float)
    north: Mapped[float | None] = mapped_column(Float)
    features: Mapped[bytes] = mapped_column(LargeBinary)  # WKB GEOMETRYCOLLECTION, WGS-84
    labels: Mapped[str] = mapped_column(Text)  # JSON list, one label (or null) per feature
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AllowedExceptionRow(Base):
    """A gap or overlap a boundary set keeps on purpose (migration 0011): where, why, who, and the codes it names.

    The check lists the problems inside it as allowed (gridmap/geo/allowed_exceptions.py); `codes` is a JSON list.
    """

    __tablename__ = "allowed_exceptions"
    __table_args__ = (CheckConstraint("kind IN ('gap', 'overlap')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    geometry: Mapped[BaseGeometry] = mapped_column(GeometryType())
    codes: Mapped[str] = mapped_column(Text)  # JSON list of feature codes
    outside: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(PERSON_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
