"""The SQLite backend's R*Tree stays in step with the features, and its answers match brute force."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from gridmap.geo.hierarchy import LEVELS
from gridmap.store import open_store
from gridmap.store.sql import SqlBoundaryStore
from tests.boundary_builders import LAT0, LON0, STEP, cell
from tests.store.conftest import grid_code, sqlite_url


def boxes(store: SqlBoundaryStore) -> dict[int, tuple[float, float, float, float]]:
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, min_x, min_y, max_x, max_y FROM grid_feature_rtree"))
        return {row[0]: tuple(row[1:]) for row in rows}


def feature_ids(store: SqlBoundaryStore) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(text("SELECT feature_id, id FROM grid_features"))}


def contains(outer: tuple[float, ...], inner: tuple[float, ...]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def test_rtree_follows_inserts_updates_and_deletes(tmp_path: Path, region: gpd.GeoDataFrame) -> None:
    with open_store(sqlite_url(tmp_path), upgrade=True) as store:
        assert isinstance(store, SqlBoundaryStore)
        version = store.import_version("aoyang", region, who="a", why="b")
        grid = store.features(version.id, code=grid_code(1)).features[0]
        rows = feature_ids(store)
        assert len(boxes(store)) == 13
        assert contains(boxes(store)[rows[grid.feature_id]], grid.geometry.bounds)

        moved = cell(5, 5)
        store.update_feature(version.id, grid.feature_id, expected_revision=1, geometry=moved)
        assert contains(boxes(store)[rows[grid.feature_id]], moved.bounds)
        assert not contains(boxes(store)[rows[grid.feature_id]], grid.geometry.bounds)
        store.update_feature(version.id, grid.feature_id, expected_revision=2, properties={"name": "only a name"})
        assert contains(boxes(store)[rows[grid.feature_id]], moved.bounds)

        with store.engine.begin() as connection:  # deleting a version cascades to its features and their boxes
            connection.execute(text("DELETE FROM boundary_versions WHERE id = :id"), {"id": version.id})
        assert boxes(store) == {}


def brute_force_chain(region: gpd.GeoDataFrame, lon: float, lat: float) -> list[str]:
    """The lookup rule computed directly: covering features, smallest code per level, top level first."""
    covering = region[shapely.covers(region.geometry.values, shapely.Point(lon, lat))]
    best = covering.sort_values("code").groupby("level").head(1)
    return sorted(best["code"], key=lambda code: LEVELS.index(best.set_index("code").loc[code, "level"]))


def test_locate_and_bbox_match_brute_force(tmp_path: Path, region: gpd.GeoDataFrame) -> None:
    with open_store(sqlite_url(tmp_path), upgrade=True) as store:
        version = store.import_version("aoyang", region, who="a", why="b").id
        # Quarter steps land on edges and corners often; the rest falls anywhere, inside and out.
        on_lattice = st.integers(-2, 10).map(lambda i: i * STEP / 4)
        anywhere = st.floats(-0.5 * STEP, 2.5 * STEP, allow_nan=False)
        offsets = st.one_of(on_lattice, anywhere)

        @settings(max_examples=150, deadline=None)
        @given(dx=offsets, dy=offsets, width=anywhere, height=anywhere)
        def check(dx: float, dy: float, width: float, height: float) -> None:
            lon, lat = LON0 + dx, LAT0 + dy
            assert [f.code for f in store.locate(version, lon, lat).chain] == brute_force_chain(region, lon, lat)
            bbox = (lon, lat, lon + abs(width), lat + abs(height))
            expected = sorted(region[region.intersects(shapely.box(*bbox))]["code"])
            assert [f.code for f in store.features(version, bbox=bbox).features] == expected

        check()


def test_a_draft_copy_gets_the_boxes_of_its_features(tmp_path: Path, region: gpd.GeoDataFrame) -> None:
    """start_draft copies rows in bulk (no mapper events): each copy still gets its own box, and the draft's
    bbox answers equal the source version's."""
    with open_store(sqlite_url(tmp_path), upgrade=True) as store:
        assert isinstance(store, SqlBoundaryStore)
        source = store.import_version("aoyang", region, who="a", why="b").id
        draft = store.start_draft(source, who="a", why="b").version.id
        with store.engine.connect() as connection:
            rows = {
                (version, feature_id): row_id
                for row_id, version, feature_id in connection.execute(
                    text("SELECT id, version_id, feature_id FROM grid_features")
                )
            }
        stored = boxes(store)
        assert len(stored) == len(rows) == 2 * len(region)
        for feature in store.features(draft).features:
            copy, original = rows[(draft, feature.feature_id)], rows[(source, feature.feature_id)]
            assert copy != original
            assert stored[copy] == stored[original]
            assert contains(stored[copy], feature.geometry.bounds)
        min_x, min_y, max_x, max_y = region.total_bounds
        for bbox in [(min_x, min_y, (min_x + max_x) / 2, (min_y + max_y) / 2), (max_x - STEP / 3, min_y, max_x, max_y)]:
            expected = [f.code for f in store.features(source, bbox=bbox).features]
            assert expected
            assert [f.code for f in store.features(draft, bbox=bbox).features] == expected
