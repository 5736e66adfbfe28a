"""Plain GeoPackages read without GDAL give what GDAL gives; other GeoPackages are left to GDAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

import gridmap.io.boundaries
import gridmap.io.geopackage
from gridmap.errors import InvalidInput
from gridmap.io.boundaries import read_boundaries
from gridmap.io.geopackage import read_plain_layer
from tests.boundary_builders import community_of_grids


def grids_frame(crs: str = "EPSG:4549") -> gpd.GeoDataFrame:
    """A community and its grids with text, integer (some empty), real and Chinese properties, in `crs`."""
    features = community_of_grids(3, 2)
    frame = gpd.GeoDataFrame(
        [
            {
                "code": f["properties"]["code"],
                "name": f"网格 {i}",
                "level": f["properties"]["level"],
                "parent": f["properties"].get("parent", ""),
                "households_target": None if i % 2 else 100 + i,
                "share": i / 3,
            }
            for i, f in enumerate(features)
        ],
        geometry=[shapely.geometry.shape(f["geometry"]) for f in features],
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


def read_by_gdal(path: Path, monkeypatch: pytest.MonkeyPatch) -> gridmap.io.boundaries.BoundaryInput:
    """What read_boundaries gives when GDAL reads every GeoPackage."""
    with monkeypatch.context() as patch:
        patch.setattr(gridmap.io.geopackage, "read_plain_layer", lambda _: None)
        return read_boundaries([path])


@pytest.mark.parametrize("crs", ["EPSG:4549", "EPSG:4326"])
def test_a_plain_geopackage_reads_as_gdal_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crs: str) -> None:
    path = tmp_path / "grids.gpkg"
    pyogrio.write_dataframe(grids_frame(crs), path, driver="GPKG")
    assert read_plain_layer(path) is not None
    plain, gdal = read_boundaries([path]), read_by_gdal(path, monkeypatch)
    assert plain.crs_by_file == gdal.crs_by_file
    pd.testing.assert_frame_equal(plain.frame.drop(columns="geometry"), gdal.frame.drop(columns="geometry"))
    assert (shapely.to_wkb(plain.frame.geometry.values) == shapely.to_wkb(gdal.frame.geometry.values)).all()
    assert plain.frame.crs == gdal.frame.crs
    assert plain.features.code == gdal.features.code


def test_geopackages_that_need_gdal_are_left_to_it(tmp_path: Path) -> None:
    frame = grids_frame()
    several = tmp_path / "layers.gpkg"
    pyogrio.write_dataframe(frame, several, layer="grids", driver="GPKG")
    pyogrio.write_dataframe(frame, several, layer="copy", driver="GPKG", append=True)
    dated = tmp_path / "dated.gpkg"
    pyogrio.write_dataframe(frame.assign(surveyed=pd.Timestamp("2024-05-01")), dated, driver="GPKG")
    mixed = tmp_path / "mixed.gpkg"
    pyogrio.write_dataframe(frame, mixed, driver="GPKG")
    with sqlite3.connect(mixed) as connection:  # SQLite keeps text in an integer column: GDAL converts it
        for (trigger,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f'DROP TRIGGER "{trigger}"')  # the R-tree's triggers need GDAL's SQL functions
        connection.execute("UPDATE mixed SET households_target = 'many' WHERE fid = 1")
    not_sqlite = tmp_path / "broken.gpkg"
    not_sqlite.write_bytes(b"not a database")
    assert [read_plain_layer(path) for path in (several, dated, mixed, not_sqlite)] == [None] * 4
    assert read_plain_layer(tmp_path / "grids.gpkg") is None  # no such file: GDAL names the problem


def test_an_unreadable_geopackage_is_named_by_gdal(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a database")
    with pytest.raises(InvalidInput, match=r"broken\.gpkg: cannot read"):
        read_boundaries([broken])
