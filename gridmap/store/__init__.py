"""Storage: the only package that imports sqlalchemy and geoalchemy2.

`open_store(url)` picks the backend from the URL: `postgresql+psycopg://...` for PostGIS, `sqlite:///FILE`
for the embedded default. Everything else talks to the store's protocols: one per aggregate (`version_store`,
`household_store`, `incident_store`, `job_store`, `account_store`, `address_store`), composed by `BoundaryStore`
(`interface.py`); see docs/architecture.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridmap.errors import Conflict, InvalidInput

if TYPE_CHECKING:  # the database stack (SQLAlchemy, Alembic, the backends) is imported when a database is opened:
    from sqlalchemy import Engine  # importing one aggregate's protocol, or a command's --help, costs none of it
    from sqlalchemy.exc import OperationalError

    from gridmap.store.interface import BoundaryStore

__all__ = ["BoundaryStore", "create_engine_for", "database_file", "display_url", "open_store", "upgrade_database"]


def __getattr__(name: str) -> Any:
    """`BoundaryStore`, imported on first use (it gathers every aggregate's protocol)."""
    if name == "BoundaryStore":
        from gridmap.store.interface import BoundaryStore

        return BoundaryStore
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def create_engine_for(url: str) -> Engine:
    """An engine for a gridmap database URL; InvalidInput for URLs of other kinds."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from gridmap.store.postgis import postgis_engine
    from gridmap.store.sqlite import sqlite_engine

    try:
        parsed = make_url(url)
    except ArgumentError:
        msg = f"{url!r} is not a database URL; use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"
        raise InvalidInput(msg) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        return postgis_engine(url)
    msg = f"cannot store boundaries at {display_url(url)}; use sqlite:///FILE or postgresql+psycopg://..."
    raise InvalidInput(msg)


def database_file(url: str) -> Path | None:
    """The file of a sqlite:/// URL; None for other databases."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def display_url(url: str) -> str:
    """The URL with its password hidden, fit for messages and logs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _unreachable(engine: Engine, exc: OperationalError) -> InvalidInput:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return InvalidInput(f"cannot open the database {engine.url.render_as_string()}: {reason}")


def upgrade_database(url: str) -> str | None:
    """Run every pending migration on the database at `url`; return the revision it is now at."""
    from sqlalchemy.exc import OperationalError

    from gridmap.store import migrate

    engine = create_engine_for(url)
    try:
        migrate.upgrade(engine)
        return migrate.current_revision(engine)
    except OperationalError as exc:
        raise _unreachable(engine, exc) from None
    finally:
        engine.dispose()


def open_store(url: str, *, upgrade: bool = False) -> BoundaryStore:
    """The store at `url`, its schema brought up to date first when `upgrade` is true.

    Raises InvalidInput when the database cannot be reached and Conflict when its schema is not the one
    this gridmap expects (run `gridmap db upgrade`).
    """
    from sqlalchemy.exc import OperationalError

    from gridmap.store import migrate
    from gridmap.store.postgis import PostgisStore
    from gridmap.store.sql import SqlBoundaryStore
    from gridmap.store.sqlite import SqliteStore

    engine = create_engine_for(url)
    store: SqlBoundaryStore = PostgisStore(engine) if engine.dialect.name == "postgresql" else SqliteStore(engine)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if upgrade and current != head:  # at the head already: alembic would load its scripts to do nothing
            migrate.upgrade(engine)
            current = migrate.current_revision(engine)
    except OperationalError as exc:
        store.close()
        raise _unreachable(engine, exc) from None
    if current != head:
        store.close()
        state = "has no gridmap tables" if current is None else f"is at schema revision {current}, not {head}"
        msg = f"the database {store.url} {state}; run `gridmap db upgrade`"
        raise Conflict(msg)
    return store
