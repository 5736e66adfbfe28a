"""The demo loader's service: the region imported and published on request, never into a store holding data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gridmap.errors import Conflict, NotFound
from gridmap.services.demo import REGION_FILE, load_demo, load_demo_region, store_holdings
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import VersionStatus

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_region_is_imported_and_published(store: BoundaryStore, region_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / REGION_FILE).parent.mkdir(parents=True)
    shutil.copy(region_file, data / REGION_FILE)

    loaded = load_demo_region(store, data)

    assert loaded.status is VersionStatus.PUBLISHED and len(store.list_versions()) == 1
    assert store_holdings(store) == ["1 boundary sets"]
    with pytest.raises(Conflict, match="the store holds 1 boundary sets: the demo loads into an empty store"):
        load_demo(store, REPO / "data")
    assert len(store.list_versions()) == 1 and store.address_revision()[0] == 0


def test_a_missing_demo_file_is_named(store: BoundaryStore, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="a demo file is missing"):
        load_demo_region(store, tmp_path)
    with pytest.raises(NotFound, match="a demo file is missing"):
        load_demo(store, tmp_path)
    assert store_holdings(store) == []


def test_the_real_sample_region_loads_and_answers(store: BoundaryStore) -> None:
    version = load_demo_region(store, REPO / "data")

    assert version.feature_count > 100
    centre = store.features(version.id, level=None, limit=1).features[0].geometry.representative_point()
    assert len(store.locate(version.id, centre.x, centre.y).chain) >= 1
