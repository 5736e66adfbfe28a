"""Alembic environment for gridmap: runs on the connection `gridmap.store.migrate` hands over.

Run through `gridmap db upgrade` (or `alembic` with the alembic.ini at the repository root, for writing new
revisions with --autogenerate against a development database).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gridmap.store.tables import Base

# Tables that belong to PostGIS or to the SQLite R*Tree, not to the models.
_NOT_OURS = ("spatial_ref_sys", "grid_feature_rtree")


# Indexes the models declare for one backend only (Index.ddl_if), which autogenerate would add on the other.
_POSTGIS_ONLY_INDEXES = ("ix_grid_features_geometry", "ix_incidents_grams")
_SQLITE_ONLY_INDEXES = ("ix_incidents_words",)


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"

    def include_object(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
        if kind == "table" and name is not None and name.startswith(_NOT_OURS):
            return False
        return not (kind == "index" and name in (_POSTGIS_ONLY_INDEXES if sqlite else _SQLITE_ONLY_INDEXES))

    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Run by the `alembic` command (alembic.ini at the repository root): the database is gridmap's own.
    from gridmap.settings import Settings
    from gridmap.store import create_engine_for

    engine = create_engine_for(context.config.get_main_option("sqlalchemy.url") or Settings().database_url)
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    msg = "gridmap migrations need a database connection (offline --sql mode is not supported)"
    raise SystemExit(msg)
_run_online()
