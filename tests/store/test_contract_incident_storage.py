"""Incident storage added with migration 0004, on SQLite and PostGIS: walking through matches in chunks,
photos stored with their incident, the near-boundary flag and the reporter key's hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from gridmap.errors import InvalidInput, NotFound
from gridmap.incidents.intake import advance
from gridmap.incidents.photos import CleanPhoto, PhotoFormat
from gridmap.store import create_engine_for, migrate
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from tests.store.conftest import sqlite_url
from tests.store.test_contract_incidents import T0, incident


@pytest.fixture
def incidents_store(store: BoundaryStore) -> Iterator[BoundaryStore]:
    """The store, its incidents (and with them their trails and photos) removed afterwards."""
    yield store
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.begin() as connection:
        for table in ("incident_photos", "incident_keys", "incident_audit", "incidents"):
            connection.execute(text(f"DELETE FROM {table}"))


def test_iterating_reads_every_match_in_chunks_with_trails(incidents_store: BoundaryStore) -> None:
    store = incidents_store
    for number in range(1, 8):
        made = incident(number, grid="G2" if number == 4 else "G1")
        if number in (5, 6, 7):  # three reports in the same second: the keyset must not skip or repeat them
            made = replace(made, state=replace(made.state, reported_at=T0 + timedelta(hours=5)))
        store.create_incident(made)
    at = T0 + timedelta(days=1)
    store.change_incident("I-2", lambda i: advance(i, "accepted", actor="张发敏", role="worker", at=at))
    every = list(store.iter_incidents(IncidentFilter(), chunk=2))
    assert [i.id for i in every] == ["I-1", "I-2", "I-3", "I-4", "I-5", "I-6", "I-7"]  # oldest report first
    assert [len(i.audit) for i in every] == [1, 2, 1, 1, 1, 1, 1]
    assert every[1] == store.get_incident("I-2")
    assert [i.id for i in store.iter_incidents(IncidentFilter(grid_code="G1"), chunk=3)] == [
        "I-1",
        "I-2",
        "I-3",
        "I-5",
        "I-6",
        "I-7",
    ]
    period = IncidentFilter(reported_since=T0 + timedelta(hours=2), reported_before=T0 + timedelta(hours=5))
    assert [i.id for i in store.iter_incidents(period, chunk=1)] == ["I-2", "I-3", "I-4"]
    assert list(store.iter_incidents(IncidentFilter(community_code="C9"))) == []
    with pytest.raises(InvalidInput, match="chunk"):
        next(store.iter_incidents(IncidentFilter(), chunk=0))


def photo(number: int, photo_format: PhotoFormat = PhotoFormat.JPEG) -> CleanPhoto:
    """A stand-in for a cleaned photo (the store keeps bytes; cleaning is tested in tests/incidents)."""
    return CleanPhoto(data=bytes([number]) * 1000, format=photo_format, width=40 + number, height=30)


def test_photos_are_stored_with_their_incident(incidents_store: BoundaryStore) -> None:
    store = incidents_store
    photos = [photo(1), photo(2, PhotoFormat.PNG)]
    made = replace(incident(1), photo_urls=("/p/1", "/p/2"))
    stored, created = store.create_incident(made, photos=photos)
    assert created and stored.photo_urls == ("/p/1", "/p/2")
    assert store.get_incident_photo("I-1", 1) == photos[0]
    assert store.get_incident_photo("I-1", 2) == photos[1]
    with pytest.raises(NotFound, match="no photo 3"):
        store.get_incident_photo("I-1", 3)
    with pytest.raises(NotFound):
        store.get_incident_photo("I-9", 1)
    store.create_incident(incident(2))
    with pytest.raises(NotFound):
        store.get_incident_photo("I-2", 1)


def test_the_near_boundary_flag_and_the_key_hash_read_back(incidents_store: BoundaryStore) -> None:
    key_hash = hashlib.sha256(b"a-secret-of-the-reporting-page").hexdigest()
    made = replace(incident(1), near_boundary=True, boundary_distance_m=12.5, reporter_key_hash=key_hash)
    incidents_store.create_incident(made)
    back = incidents_store.get_incident("I-1")
    assert (back.near_boundary, back.boundary_distance_m, back.reporter_key_hash) == (True, 12.5, key_hash)
    plain = incidents_store.create_incident(incident(2))[0]
    assert (plain.near_boundary, plain.boundary_distance_m, plain.reporter_key_hash) == (False, 55.0, None)
    with pytest.raises(InvalidInput, match="SHA-256"):
        incidents_store.create_incident(replace(incident(3), reporter_key_hash="short"))


def _migrate_0004_down_and_up(url: str) -> None:
    """Upgrade to head, take 0004 away and bring it back, checking the tables and columns each time."""
    engine = create_engine_for(url)
    try:
        migrate.upgrade(engine)

        def incident_columns() -> set[str]:
            return {column["name"] for column in inspect(engine).get_columns("incidents")}

        new_columns = {"near_boundary", "boundary_distance_m", "reporter_key_hash"}
        assert new_columns <= incident_columns()
        assert "incident_photos" in inspect(engine).get_table_names()
        migrate.downgrade(engine, "0003")
        assert not new_columns & incident_columns()
        assert "incident_photos" not in inspect(engine).get_table_names()
        assert "incident_audit" in inspect(engine).get_table_names()
        migrate.upgrade(engine)
        assert new_columns <= incident_columns()
    finally:
        engine.dispose()


def test_migration_0004_upgrades_and_downgrades_on_sqlite(tmp_path: Path) -> None:
    _migrate_0004_down_and_up(sqlite_url(tmp_path))


@pytest.mark.postgis
def test_migration_0004_upgrades_and_downgrades_on_postgis(postgis_databases: Callable[[], str]) -> None:
    _migrate_0004_down_and_up(postgis_databases())


def test_existing_incidents_are_not_near_a_boundary_after_the_upgrade(tmp_path: Path) -> None:
    engine = create_engine_for(sqlite_url(tmp_path))
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO incidents (id, category, description, lon, lat, point, channel, reporter, status,"
                    " address, photo_urls, reported_at, updated_at) VALUES ('I-old', 'other', '', 119.5, 27.45,"
                    " x'00', 'app', '居民', 'reported', '', '[]', '2026-10-01 00:00:00', '2026-10-01 00:00:00')"
                )
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT near_boundary, boundary_distance_m, reporter_key_hash FROM incidents")
            ).one()
        assert tuple(row) == (0, None, None)
    finally:
        engine.dispose()
