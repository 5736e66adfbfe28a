"""The sample facilities: deterministic, beside the streets, every type present, the planted gaps kept."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.geo.crs import LocalMetres
from gridmap.geo.lifecircle_levels import FACILITY_TYPES
from gridmap_demo.facilities import FACILITY_COUNTS, facilities_geojson, sample_facilities
from gridmap_demo.region import SampleRegion

DATA = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def streets(region: SampleRegion) -> gpd.GeoDataFrame:
    """The generator's whole streets: facilities are spaced along them (the file holds them noded, in pieces)."""
    return region.streets


@pytest.fixture(scope="module")
def facilities(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return sample_facilities(streets)


def test_committed_file_is_a_fresh_generation(facilities: gpd.GeoDataFrame) -> None:
    committed = (DATA / "facilities.geojson").read_text(encoding="utf-8")
    assert committed == facilities_geojson(facilities)


def test_same_seed_same_set_other_seed_other_set(streets: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> None:
    assert facilities_geojson(sample_facilities(streets)) == facilities_geojson(facilities)
    assert facilities_geojson(sample_facilities(streets, seed=1)) != facilities_geojson(facilities)


def test_every_type_in_its_count_with_its_level(facilities: gpd.GeoDataFrame) -> None:
    assert facilities["type"].value_counts().to_dict() == FACILITY_COUNTS
    assert set(FACILITY_COUNTS) == set(FACILITY_TYPES)
    for kind, level in zip(facilities["type"], facilities["level"], strict=True):
        assert level == FACILITY_TYPES[kind].level
    assert facilities["name"].is_unique


def test_facilities_stand_beside_a_street_and_apart(streets: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> None:
    metres = LocalMetres(*streets.total_bounds)
    lines = metres.to_local(np.asarray(streets.geometry.values, dtype=object))
    points = metres.to_local(np.asarray(facilities.geometry.values, dtype=object))
    to_street = shapely.distance(points[:, None], lines[None, :]).min(axis=1)
    assert to_street.max() < 20.0
    apart = shapely.distance(points[:, None], points[None, :]) + np.eye(len(points)) * 1e9
    assert apart.min() >= 59.0


def test_no_elderly_day_care_in_the_south_east(facilities: gpd.GeoDataFrame) -> None:
    day_care = facilities[facilities["type"] == "elderly_day_care"]
    others = facilities[facilities["type"] != "elderly_day_care"]
    lon0, lat0 = others.geometry.x.median(), others.geometry.y.median()
    south_east = (day_care.geometry.x > lon0 + 0.001) & (day_care.geometry.y < lat0 - 0.001)
    assert not south_east.any()
    assert ((others.geometry.x > lon0 + 0.001) & (others.geometry.y < lat0 - 0.001)).any()


def test_a_generated_region_is_accepted_as_well(region: SampleRegion, facilities: gpd.GeoDataFrame) -> None:
    assert facilities_geojson(sample_facilities(region)) == facilities_geojson(facilities)


def test_facilities_stand_beside_the_written_streets_too(facilities: gpd.GeoDataFrame) -> None:
    written = gpd.read_file(DATA / "streets.geojson")  # noded: the same lines in pieces
    metres = LocalMetres(*written.total_bounds)
    lines = metres.to_local(np.asarray(written.geometry.values, dtype=object))
    points = metres.to_local(np.asarray(facilities.geometry.values, dtype=object))
    assert shapely.distance(points[:, None], lines[None, :]).min(axis=1).max() < 20.0
