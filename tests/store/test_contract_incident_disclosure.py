"""Public incident queries on both backends: the SQL generalisation agrees with the pure one, a bbox holds
generalised points, cells count at generalised points, private categories are left out; migration 0008."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from sqlalchemy import inspect, select

from gridmap.geo.generalise import generalise
from gridmap.geo.hierarchy import Level
from gridmap.store import create_engine_for, migrate
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.incidents import generalised_point
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from gridmap.store.tables import IncidentRow
from tests.store.conftest import sqlite_url
from tests.store.test_contract_incidents import incident, incidents_store  # noqa: F401  (the fixture)

PLACES = [(119.50, 27.46), (119.5003, 27.4601), (-73.98, 40.75), (151.2, -33.86), (0.0001, -0.0001), (18.07, 59.33)]


def test_sql_generalisation_matches_the_pure_function(incidents_store: BoundaryStore) -> None:  # noqa: F811
    for number, (lon, lat) in enumerate(PLACES):
        incidents_store.create_incident(incident(number, lon=lon, lat=lat))
    assert isinstance(incidents_store, SqlBoundaryStore)
    lon_sql, lat_sql = generalised_point(50.0)
    with incidents_store.engine.connect() as connection:
        rows = connection.execute(select(IncidentRow.lon, IncidentRow.lat, lon_sql, lat_sql)).all()
    assert len(rows) == len(PLACES)
    for lon, lat, centre_lon, centre_lat in rows:
        expected = generalise(lon, lat, 50.0)
        assert math.isclose(centre_lon, expected[0], abs_tol=1e-9) and math.isclose(
            centre_lat, expected[1], abs_tol=1e-9
        )


def test_public_filters_use_generalised_points_and_leave_out_categories(incidents_store: BoundaryStore) -> None:  # noqa: F811
    lon, lat = PLACES[0]
    incidents_store.create_incident(incident(1, lon=lon, lat=lat))
    incidents_store.create_incident(incident(2, lon=lon, lat=lat, category="neighbour_dispute"))
    centre_lon, centre_lat = generalise(lon, lat, 50.0)
    # A box around the exact point but not the centre holds it exactly, not when generalised; and the reverse.
    off = 1e-6
    around_point = (lon - off, lat - off, lon + off, lat + off)
    around_centre = (centre_lon - off, centre_lat - off, centre_lon + off, centre_lat + off)
    assert abs(centre_lon - lon) > 2 * off or abs(centre_lat - lat) > 2 * off
    exact, public = IncidentFilter(bbox=around_point), IncidentFilter(bbox=around_point, generalised_m=50.0)
    assert incidents_store.incident_extent(exact)[2] == 2 and incidents_store.incident_extent(public)[2] == 0
    at_centre = replace(public, bbox=around_centre, excluded_categories=frozenset({"neighbour_dispute"}))
    assert incidents_store.incident_extent(at_centre)[2] == 1
    # Counted at the centre: the mean of one generalised point is the centre itself.
    [cell] = incidents_store.incident_cells(replace(at_centre, bbox=None), 0.01)
    assert cell.count == 1
    assert math.isclose(cell.lon, centre_lon, abs_tol=1e-9) and math.isclose(cell.lat, centre_lat, abs_tol=1e-9)
    assert incidents_store.incident_area_counts(at_centre, Level.GRID) == {"G1": 1}


def test_migration_0008_adds_and_removes_the_public_description(tmp_path: Path) -> None:
    engine = create_engine_for(sqlite_url(tmp_path))
    try:
        migrate.upgrade(engine)
        assert "public_description" in {c["name"] for c in inspect(engine).get_columns("incidents")}
        migrate.downgrade(engine, "0007")
        assert "public_description" not in {c["name"] for c in inspect(engine).get_columns("incidents")}
    finally:
        engine.dispose()
