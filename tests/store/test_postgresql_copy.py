"""COPY into PostgreSQL tables: the rows as the columns' types bind them, errors as SQLAlchemy's without the row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from shapely.geometry import Point
from sqlalchemy import Table, text
from sqlalchemy.exc import DataError

from gridmap.store.interface import BoundaryStore
from gridmap.store.postgresql_copy import copy_columns
from gridmap.store.sql import SqlBoundaryStore
from gridmap.store.tables import IncidentContactRow, IncidentRow

pytestmark = pytest.mark.postgis


def test_copied_rows_read_back_and_a_bad_row_is_refused_without_quoting_it(postgis_store: BoundaryStore) -> None:
    assert isinstance(postgis_store, SqlBoundaryStore)
    incidents, contacts = IncidentRow.__table__, IncidentContactRow.__table__
    assert isinstance(incidents, Table) and isinstance(contacts, Table)
    when = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    row = {"id": "copied-1", "category": "noise", "description": "楼上噪音", "lon": 119.5, "lat": 27.45}
    row |= {"point": Point(119.5, 27.45), "channel": "app", "reporter": "resident", "status": "new"}
    row |= {"address": "名称102", "photo_urls": "[]", "reported_at": when, "updated_at": when}
    with postgis_store.engine.connect() as connection:  # rolled back when closed
        columns: dict[str, list[object]] = {name: [value] for name, value in row.items()}
        copy_columns(connection, incidents, columns)
        stored = connection.execute(
            text("SELECT ST_AsText(point), ST_SRID(point), reported_at, description FROM incidents")
        )
        assert tuple(stored.one()) == ("POINT(119.5 27.45)", 4326, when, "楼上噪音")
        naive = columns | {"id": ["copied-2"], "updated_at": [when.replace(tzinfo=None)]}
        with pytest.raises(ValueError, match="timezone-aware"):  # as an INSERT binds it
            copy_columns(connection, incidents, naive)
        with pytest.raises(DataError) as refused:
            copy_columns(connection, contacts, {"incident_id": ["copied-1"], "phone": ["13800138000" * 10]})
    assert "too long" in str(refused.value) and "13800138000" not in str(refused.value)
