"""The household half of the store contract, on SQLite and PostGIS: the register, placements, counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from sqlalchemy import inspect, text

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.services.households import household_counts, place_households
from gridmap.store import create_engine_for, migrate
from gridmap.store.household_store import HouseholdRecord, Placement
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP
from tests.store.conftest import grid_code, sqlite_url

# west half of grid 001 (north-west cell), and a point 0.5 steps west of grid 003 (south-west cell)
IN_00101 = (LON0 + 0.25 * STEP, LAT0 + 1.5 * STEP)
WEST_OF_003 = (LON0 - 0.5 * STEP, LAT0 + 0.5 * STEP)


def household(number: int, where: tuple[float, float] | None, **values: Any) -> HouseholdRecord:
    """A test household (fake name and phone) at `where`, or without a point."""
    lon, lat = where if where is not None else (None, None)
    fields: dict[str, Any] = {"people": 3, "head_name": f"测试{number}", "phone": "138****0000", **values}
    return HouseholdRecord(f"H{number:04d}", f"胜利街{number}号", lon, lat, **fields)


@pytest.fixture
def households_store(store: BoundaryStore) -> Iterator[BoundaryStore]:
    """The store, its household register emptied afterwards (the PostGIS database outlives the test)."""
    yield store
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM household_placements"))
        connection.execute(text("DELETE FROM households"))


def test_households_are_placed_per_version_and_counted(
    households_store: BoundaryStore, region: gpd.GeoDataFrame
) -> None:
    store = households_store
    records = [
        household(1, IN_00101, people=1, elderly_alone=True),
        household(2, IN_00101, people=4, left_behind_children=2),
        household(3, IN_00101, disabled=True),
        household(4, WEST_OF_003),
        household(5, None),
    ]
    assert store.add_households(records) == 5
    version = store.import_version("aoyang", region, who="a", why="b")
    assert place_households(store, version.id) == 4  # the household without a point is not placed
    counts = store.household_counts(version.id, grid_code(1))
    assert (counts.households, counts.people, counts.elderly_alone, counts.disabled) == (3, 8, 1, 1)
    assert counts.left_behind_children == 2
    assert store.household_counts(version.id, f"{grid_code(1)}01").households == 3
    assert store.household_counts(version.id, f"{grid_code(1)}02").households == 0
    assert store.household_counts(version.id, COMMUNITY).households == 3  # the uncovered one is in no community
    with pytest.raises(NotFound):
        store.household_counts(version.id, "350924100009")
    assert household_counts(store, version, grid_code(3)).households == 0


def test_uncovered_households_keep_the_nearest_grid(households_store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    store = households_store
    store.add_households([household(1, WEST_OF_003)])
    version = store.import_version("aoyang", region, who="a", why="b")
    place_households(store, version.id)
    assert store.has_placements(version.id)
    # placements are replaced, not added to
    row = store.household_points()[0].row
    store.save_placements(version.id, [Placement(row, COMMUNITY, grid_code(2), f"{grid_code(2)}01")])
    assert store.household_counts(version.id, grid_code(2)).households == 1
    with pytest.raises(NotFound):
        store.save_placements(10**6, [])


def test_locations_are_the_located_households_as_arrays_and_ids_are_read_by_row(
    households_store: BoundaryStore,
) -> None:
    store = households_store
    store.add_households([household(1, IN_00101), household(2, None), household(3, WEST_OF_003)])
    points = store.household_points()

    located = store.household_locations()

    assert located.rows.tolist() == [points[0].row, points[2].row]  # by row, the one without a point left out
    assert (located.lon.tolist(), located.lat.tolist()) == (
        [IN_00101[0], WEST_OF_003[0]],
        [IN_00101[1], WEST_OF_003[1]],
    )
    assert store.household_ids([points[2].row, points[0].row]) == ["H0003", "H0001"]
    assert store.household_ids([]) == []


def test_the_register_refuses_repeats_and_junk(households_store: BoundaryStore) -> None:
    store = households_store
    store.add_households([household(1, IN_00101)])
    with pytest.raises(Conflict):
        store.add_households([household(1, IN_00101)])
    with pytest.raises(Conflict):
        store.add_households([household(2, IN_00101), household(2, IN_00101)])
    with pytest.raises(InvalidInput, match="finite"):
        store.add_households([household(3, (float("nan"), 27.45))])
    with pytest.raises(InvalidInput, match="longer than 100"):
        store.add_households([household(4, IN_00101, head_name="名" * 101)])
    assert len(store.household_points()) == 1
    assert store.add_households([]) == 0


def test_migration_0002_adds_and_removes_the_household_tables(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    engine = create_engine_for(url)
    try:
        migrate.upgrade(engine)
        assert {"households", "household_placements"} <= set(inspect(engine).get_table_names())
        migrate.downgrade(engine, "0001")
        tables = set(inspect(engine).get_table_names())
        assert not {"households", "household_placements"} & tables and "grid_features" in tables
    finally:
        engine.dispose()
