"""Bulk import of incidents on SQLite and PostGIS: whole trails, batches, progress, all or nothing on a taken id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from gridmap.errors import Conflict, InvalidInput
from gridmap.incidents.model import Incident
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.incident_words import containing
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from gridmap.store.tables import IncidentRow
from gridmap_demo.incidents import generate_incidents
from tests.store.conftest import frame_from, region_features


@pytest.fixture(scope="module")
def made() -> list[Incident]:
    """Eleven generated incidents with trails of every length, in the test region's grids."""
    return generate_incidents(frame_from(region_features()), count=11, seed=3)


@pytest.fixture
def incidents_store(store: BoundaryStore) -> Iterator[BoundaryStore]:
    """The store, its incidents emptied afterwards (the PostGIS database outlives the test)."""
    yield store
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM incident_audit"))
        connection.execute(text("DELETE FROM incidents"))
        connection.execute(text("DELETE FROM incident_cell_counts"))
        connection.execute(text("DELETE FROM incident_area_counts"))


def stored_count(store: BoundaryStore) -> int:
    return store.list_incidents(IncidentFilter(), limit=1).matched


def test_imported_incidents_read_back_whole_in_batches(incidents_store: BoundaryStore, made: list[Incident]) -> None:
    counts: list[int] = []
    assert incidents_store.import_incidents(iter(made), batch=4, progress=counts.append) == len(made)
    assert counts == [4, 8, 11]
    assert [incidents_store.get_incident(i.id) for i in made] == made
    assert {len(i.audit) for i in made} != {1}  # trails of several lengths went in
    page = incidents_store.list_incidents(IncidentFilter(), limit=100)
    assert page.matched == len(made) and {i.id for i in page.incidents} == {i.id for i in made}


def test_a_taken_id_is_a_conflict_naming_it_and_nothing_is_kept(
    incidents_store: BoundaryStore, made: list[Incident]
) -> None:
    incidents_store.import_incidents(made[:3])
    fresh = [replace(i, id=f"new-{n}") for n, i in enumerate(made[3:])]
    # The taken id comes in the second batch: the first batch must not stay either.
    with pytest.raises(Conflict, match=f"an incident {made[1].id!r} exists already; nothing was imported"):
        incidents_store.import_incidents([*fresh, made[1]], batch=5)
    assert stored_count(incidents_store) == 3
    with pytest.raises(Conflict, match="'new-0' appears twice"):
        incidents_store.import_incidents([fresh[0], fresh[1], fresh[0]])
    assert stored_count(incidents_store) == 3
    assert incidents_store.import_incidents(fresh) == len(fresh)
    assert stored_count(incidents_store) == len(made)


def test_a_clash_only_the_database_sees_in_a_later_batch_keeps_nothing(
    incidents_store: BoundaryStore, made: list[Incident]
) -> None:
    incidents_store.import_incidents(made[:3])
    # Fresh ids, but the first and the last share a number: only the database's unique index sees it, in batch 3.
    fresh = [replace(i, id=f"new-{n}") for n, i in enumerate(made[3:])]
    fresh[0], fresh[-1] = replace(fresh[0], number="SN-20261127-0001"), replace(fresh[-1], number="SN-20261127-0001")
    with pytest.raises(Conflict, match="stored by someone else meanwhile; nothing was imported"):
        incidents_store.import_incidents(fresh, batch=3)
    assert stored_count(incidents_store) == 3
    assert incidents_store.incident_extent(IncidentFilter())[2] == 3  # the kept counts, too


def test_imported_incidents_are_found_by_place_and_by_words(
    incidents_store: BoundaryStore, made: list[Incident]
) -> None:
    incidents_store.import_incidents(made)
    for incident in made:
        near = (incident.lon - 1e-6, incident.lat - 1e-6, incident.lon + 1e-6, incident.lat + 1e-6)
        assert incident.id in {i.id for i in incidents_store.list_incidents(IncidentFilter(bbox=near)).incidents}
        words = incident.description[-4:]  # two or three pairs of characters
        holding = {i.id for i in made if words in i.description or words in i.address}
        found = incidents_store.list_incidents(IncidentFilter(text=words), limit=100).incidents
        assert {i.id for i in found} == holding
    assert isinstance(incidents_store, SqlBoundaryStore)
    with incidents_store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # the copied geometry, and the words from the GIN index alone
            points = connection.execute(text("SELECT id, ST_X(point), ST_Y(point), ST_SRID(point) FROM incidents"))
            assert {row[0]: row[1:] for row in points} == {i.id: (i.lon, i.lat, 4326) for i in made}
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            words = made[0].description[-4:]
            indexed = connection.scalars(select(IncidentRow.id).where(containing(words)))
            assert set(indexed) == {i.id for i in made if words in i.description or words in i.address}


def test_nothing_to_import_and_bad_batches(incidents_store: BoundaryStore, made: list[Incident]) -> None:
    assert incidents_store.import_incidents([]) == 0
    with pytest.raises(InvalidInput, match="batch is 0"):
        incidents_store.import_incidents(made, batch=0)
    with pytest.raises(InvalidInput, match="1-36 characters"):
        incidents_store.import_incidents([replace(made[0], id="x" * 37)])
    assert stored_count(incidents_store) == 0
