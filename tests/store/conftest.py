"""Stores on both backends, and a small hand-made region: one community, four grids, eight microgrids."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from sqlalchemy import text

from gridmap.store import open_store
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from tests.boundary_builders import COMMUNITY, cell, feature

# Grid number -> (column, row) of its cell, numbered west to east, north to south as DOMAIN.md says.
GRID_CELLS = {1: (0, 1), 2: (1, 1), 3: (0, 0), 4: (1, 0)}


def grid_code(number: int) -> str:
    """Code of grid `number` of the test community."""
    return f"{COMMUNITY}{number:03d}"


def region_features() -> list[dict[str, Any]]:
    """GeoJSON features of a 2 x 2 community of grids, each grid split into a west and an east microgrid."""
    features = [feature(COMMUNITY, "community", "", cell(0, 0, 2, 2))]
    for number, (col, row) in GRID_CELLS.items():
        features.append(feature(grid_code(number), "grid", COMMUNITY, cell(col, row)))
    for number, (col, row) in GRID_CELLS.items():
        for half in (0, 1):
            code = f"{grid_code(number)}{half + 1:02d}"
            features.append(feature(code, "microgrid", grid_code(number), cell(col + half / 2, row, 0.5, 1)))
    return features


def frame_from(features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """A boundary frame (the columns read_boundaries gives) built without reading a file."""
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    frame["worker"] = [f"worker {code[-3:]}" for code in frame["code"]]
    frame["households_target"] = [300 if level == "grid" else None for level in frame["level"]]
    frame["source"] = "test"
    frame["feature"] = range(len(frame))
    return frame


@dataclass
class Verdict:
    """A stand-in check result with the shape of CheckReport."""

    ok: bool
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "summary": {}, "problems": self.problems}


def passing(frame: gpd.GeoDataFrame) -> Verdict:
    return Verdict(ok=True)


def engine_of(store: BoundaryStore) -> Any:
    assert isinstance(store, SqlBoundaryStore)
    return store.engine


@pytest.fixture
def region() -> gpd.GeoDataFrame:
    """The test region as a boundary frame."""
    return frame_from(region_features())


def sqlite_url(folder: Path) -> str:
    """A SQLite URL for a new file in `folder`."""
    return f"sqlite:///{folder / 'gridmap.db'}"


@pytest.fixture
def sqlite_store(migrated_sqlite_url: str) -> Iterator[BoundaryStore]:
    """A migrated SQLite store in a new file (tests/conftest.py)."""
    store = open_store(migrated_sqlite_url)
    yield store
    store.close()


@pytest.fixture
def postgis_store(request: pytest.FixtureRequest) -> Iterator[BoundaryStore]:
    """A migrated store on PostGIS, empty (this process's copy of the migrated template, emptied for the test)."""
    copy_of: Callable[[str], str] = request.getfixturevalue("postgis_copy_of")
    store = open_store(copy_of(request.getfixturevalue("migrated_postgis_template")))
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def store(request: pytest.FixtureRequest) -> BoundaryStore:
    """The same tests on each backend."""
    backend: BoundaryStore = request.getfixturevalue(f"{request.param}_store")
    return backend


@pytest.fixture
def households_store(store: BoundaryStore) -> Iterator[BoundaryStore]:
    """The store, its household register emptied afterwards (the PostGIS database outlives the test)."""
    yield store
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM household_placements"))
        connection.execute(text("DELETE FROM households"))
