"""A store in a new SQLite file, and the test region written as a GeoJSON file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridmap.store import open_store
from gridmap.store.interface import BoundaryStore
from tests.boundary_builders import write_collection
from tests.store.conftest import region_features


@pytest.fixture
def store(migrated_sqlite_url: str) -> Iterator[BoundaryStore]:
    """A migrated SQLite store (the contract tests show PostGIS answers the same)."""
    with open_store(migrated_sqlite_url) as opened:
        yield opened


@pytest.fixture
def region_file(tmp_path: Path) -> Path:
    """One community, four grids and eight microgrids that pass the full check."""
    return write_collection(tmp_path / "region.geojson", region_features())
