"""Impact of a boundary change on households, on SQLite and PostGIS: who changes grid, counted per pair."""

from __future__ import annotations

from typing import Any

import pytest
import shapely

from gridmap.errors import NotFound
from gridmap.services.household_impact import GridPair, HouseholdMove, household_impact
from gridmap.store.household_store import HouseholdRecord
from gridmap.store.interface import BoundaryStore
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, cell
from tests.store.conftest import frame_from, grid_code, region_features

NORTH = 1.5  # row of grids 001 and 002, in steps
SOUTH = 0.5  # row of grids 003 and 004


def moved_region(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The region with grid 001 grown east over half of grid 002, and grid 004 shrunk to its west half.

    Works on any region whose community `COMMUNITY` has the 2 x 2 grids of tests/store/conftest.py.
    """
    shapes = {
        grid_code(1): cell(0, 1, 1.5, 1),
        f"{grid_code(1)}01": cell(0, 1, 0.5, 1),
        f"{grid_code(1)}02": cell(0.5, 1, 1.0, 1),
        grid_code(2): cell(1.5, 1, 0.5, 1),
        f"{grid_code(2)}01": cell(1.5, 1, 0.25, 1),
        f"{grid_code(2)}02": cell(1.75, 1, 0.25, 1),
        grid_code(4): cell(1, 0, 0.5, 1),
        f"{grid_code(4)}01": cell(1, 0, 0.5, 1),
    }
    moved = []
    for feature in features:
        code = feature["properties"]["code"]
        if code == f"{grid_code(4)}02":
            continue
        if code in shapes:
            feature = {**feature, "geometry": shapely.geometry.mapping(shapes[code])}
        moved.append(feature)
    return moved


def at(col: float, row: float) -> tuple[float, float]:
    """A point `col` and `row` steps from the origin."""
    return LON0 + col * STEP, LAT0 + row * STEP


def impact_households() -> list[HouseholdRecord]:
    """Households placed so that the change moves three of them, and leaves four where they were."""
    points: dict[str, tuple[float, float] | None] = {
        "STAY-001": at(0.25, NORTH),
        "STAY-002": at(1.8, NORTH),
        "STAY-OUT": at(-0.5, SOUTH),
        "STAY-NONE": None,
        "MOVE-A": at(1.1, NORTH),
        "MOVE-B": at(1.3, NORTH),
        "MOVE-OUT": at(1.75, SOUTH),
    }
    return [
        HouseholdRecord(
            household_id,
            "胜利街1号",
            None if where is None else where[0],
            None if where is None else where[1],
            people=2,
            head_name="测试甲",
            phone="138****0001",
        )
        for household_id, where in points.items()
    ]


def test_households_that_change_grid_are_listed_and_counted_per_pair(households_store: BoundaryStore) -> None:
    store = households_store
    store.add_households(impact_households())
    before = store.import_version("aoyang", frame_from(region_features()), who="a", why="b")
    after = store.import_version("aoyang", frame_from(moved_region(region_features())), who="a", why="c")

    impact = household_impact(store, before.id, after.id)

    assert impact.moved == 3
    assert {m.household_id for m in impact.moves} == {"MOVE-A", "MOVE-B", "MOVE-OUT"}
    move_a = next(m for m in impact.moves if m.household_id == "MOVE-A")
    assert move_a == HouseholdMove(
        household_id="MOVE-A",
        from_grid=grid_code(2),
        to_grid=grid_code(1),
        from_microgrid=f"{grid_code(2)}01",
        to_microgrid=f"{grid_code(1)}02",
        from_community=COMMUNITY,
        to_community=COMMUNITY,
    )
    move_out = next(m for m in impact.moves if m.household_id == "MOVE-OUT")
    assert (move_out.to_grid, move_out.to_microgrid, move_out.to_community) == (None, None, COMMUNITY)
    assert impact.pairs == [GridPair(grid_code(2), grid_code(1), 2), GridPair(grid_code(4), None, 1)]

    body = impact.to_json(with_households=False)
    assert body == {
        "moved": 3,
        "pairs": [
            {"from": grid_code(2), "to": grid_code(1), "count": 2},
            {"from": grid_code(4), "to": None, "count": 1},
        ],
    }
    listed = impact.to_json(with_households=True)["households"]
    assert sorted(entry["household_id"] for entry in listed) == ["MOVE-A", "MOVE-B", "MOVE-OUT"]
    assert "测试" not in str(listed) and "138****" not in str(listed)

    back = household_impact(store, after.id, before.id)
    assert back.pairs == [GridPair(grid_code(1), grid_code(2), 2), GridPair(None, grid_code(4), 1)]
    assert household_impact(store, before.id, before.id).moved == 0


def test_no_households_means_no_moves_and_unknown_versions_are_not_found(households_store: BoundaryStore) -> None:
    store = households_store
    version = store.import_version("aoyang", frame_from(region_features()), who="a", why="b")
    assert household_impact(store, version.id, version.id).pairs == []
    with pytest.raises(NotFound):
        household_impact(store, version.id, 10**6)
    store.add_households(impact_households())
    with pytest.raises(NotFound):
        household_impact(store, version.id, 10**6)
