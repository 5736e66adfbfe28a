"""The cache of analysed towns: keyed by every input, bounded, and without boundaries when none are given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridmap.services.lifecircle_towns import TownCache, TownFiles, quantised_speed
from gridmap.store.interface import BoundaryStore
from tests.boundary_builders import LAT0, LON0, STEP

STREET_LAT = LAT0 + 0.5 * STEP


def _write_town(folder: Path, station_lon: float) -> TownFiles:
    """A street 4 steps long, one red station at `station_lon` and two households at its two ends."""
    files = TownFiles.of_sample(folder)
    files.network.parent.mkdir(parents=True, exist_ok=True)
    street = {"type": "LineString", "coordinates": [[LON0, STREET_LAT], [LON0 + 4 * STEP, STREET_LAT]]}
    files.network.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": street}]}
        )
    )
    station = {
        "type": "Feature",
        "properties": {"name": "驿站", "type": "red_station"},
        "geometry": {"type": "Point", "coordinates": [station_lon, STREET_LAT]},
    }
    files.facilities.write_text(json.dumps({"type": "FeatureCollection", "features": [station]}))
    files.households.write_text(f"lon,lat\n{LON0 + 0.1 * STEP},{STREET_LAT}\n{LON0 + 3.9 * STEP},{STREET_LAT}\n")
    return files


def test_without_a_version_the_town_has_no_areas(store: BoundaryStore, tmp_path: Path) -> None:
    analysis = TownCache(store, _write_town(tmp_path, LON0)).get(None, 1.0)
    assert analysis.sources["boundaries"] == "none"
    assert analysis.sources["households"] == "file sample/households.csv"
    assert list(analysis.town.coverage("grid").index) == [""]  # every household outside every boundary


def test_a_changed_file_gives_a_fresh_analysis(store: BoundaryStore, tmp_path: Path) -> None:
    files = _write_town(tmp_path, LON0)
    towns = TownCache(store, files)
    first = towns.get(None, 1.0)
    assert towns.get(None, 1.0) is first
    assert first.town.covered["red_station"].tolist() == [True, False]
    _write_town(tmp_path, LON0 + 4 * STEP + 0.0001)  # the station moves to the east end (a different size too)
    moved = towns.get(None, 1.0)
    assert moved is not first
    assert moved.town.covered["red_station"].tolist() == [False, True]


def test_the_cache_keeps_the_last_ones_used(store: BoundaryStore, tmp_path: Path) -> None:
    towns = TownCache(store, _write_town(tmp_path, LON0), size=2)
    slow, usual = towns.get(None, 0.8), towns.get(None, 1.0)
    assert towns.get(None, 0.8) is slow  # used again: now the most recent
    fast = towns.get(None, 1.2)  # pushes out 1.0, the least recently used
    assert towns.get(None, 0.8) is slow
    assert towns.get(None, 1.2) is fast
    assert towns.get(None, 1.0) is not usual


def test_speeds_are_rounded_to_a_tenth_so_nearby_speeds_share_one_analysis(
    store: BoundaryStore, tmp_path: Path
) -> None:
    towns = TownCache(store, _write_town(tmp_path, LON0), size=2)
    first = towns.get(None, 1.21)
    assert first.town.speed == 1.2
    assert towns.get(None, 1.249) is first and towns.get(None, 1.16) is first
    assert towns.get(None, 1.26).town.speed == 1.3


@pytest.mark.parametrize(("asked", "used"), [(0.3, 0.3), (0.34, 0.3), (1.36, 1.4), (2.96, 3.0), (1.0000001, 1.0)])
def test_quantised_speed(asked: float, used: float) -> None:
    assert quantised_speed(asked) == used
