"""The store contract, spatial half, on SQLite and PostGIS: filters, point lookup, nearest, diff, export."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Geod

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.hierarchy import Level
from gridmap.io.boundaries import read_boundaries, write_boundaries
from gridmap.store import version_frames
from gridmap.store.diff import diff_features
from gridmap.store.frames import frame_from_features
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import Location
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, cell, feature
from tests.store.conftest import frame_from, grid_code

WGS84 = Geod(ellps="WGS84")


def micro(grid: int, half: int) -> str:
    """Code of the west (1) or east (2) microgrid of a grid."""
    return f"{grid_code(grid)}{half:02d}"


def codes(location: Location) -> list[str]:
    return [f.code for f in location.chain]


def test_filters_page_and_count(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id

    page = store.features(version, level=Level.GRID, limit=2, offset=1)
    assert [f.code for f in page.features] == [grid_code(2), grid_code(3)]
    assert page.number_matched == 4
    assert [f.code for f in store.features(version, parent=grid_code(1)).features] == [micro(1, 1), micro(1, 2)]
    assert store.features(version, code=grid_code(4)).number_matched == 1
    assert store.features(version, name_contains="名称00").number_matched == 5  # the community and 4 grids
    assert store.features(version, name_contains="%").number_matched == 0
    assert store.features(version, limit=0).features == []
    assert store.features(version, offset=50).number_matched == 13


def test_filters_by_any_of_several_parents_or_codes(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id

    under_two = store.features(version, parents=[grid_code(3), grid_code(1)])
    assert [f.code for f in under_two.features] == [micro(1, 1), micro(1, 2), micro(3, 1), micro(3, 2)]
    assert under_two.number_matched == 4
    picked = store.features(version, codes={grid_code(4), COMMUNITY, "999"}, level=Level.GRID)
    assert [f.code for f in picked.features] == [grid_code(4)]
    assert store.features(version, parents=[grid_code(2)], codes=[micro(2, 2), micro(1, 2)]).number_matched == 1
    assert store.features(version, parents=[]).features == []
    assert store.features(version, codes=[grid_code(1)], limit=0).number_matched == 1


def test_name_search_ignores_case(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    renamed = region.copy()
    renamed.loc[renamed["code"] == grid_code(2), "name"] = "Dongsheng Tower 东升大厦"
    version = store.import_version("aoyang", renamed, who="a", why="b").id

    assert [f.code for f in store.features(version, name_contains="dongsheng tower").features] == [grid_code(2)]


def test_bbox_filter_with_level_limit_and_offset(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id
    north_east = (LON0 + 1.6 * STEP, LAT0 + 1.5 * STEP, LON0 + 3 * STEP, LAT0 + 3 * STEP)

    page = store.features(version, bbox=north_east)
    assert [f.code for f in page.features] == [COMMUNITY, grid_code(2), micro(2, 2)]
    assert page.number_matched == 3
    paged = store.features(version, bbox=north_east, limit=1, offset=1)
    assert ([f.code for f in paged.features], paged.number_matched) == ([grid_code(2)], 3)
    assert store.features(version, bbox=north_east, level=Level.MICROGRID).number_matched == 1
    assert store.features(version, bbox=(LON0 + 5 * STEP, LAT0, LON0 + 6 * STEP, LAT0 + STEP)).number_matched == 0
    with pytest.raises(InvalidInput, match="bbox"):
        store.features(version, bbox=(LON0 + 1, LAT0, LON0, LAT0 + 1))


def test_extent_holds_the_features_of_a_version_or_a_level(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id
    western = store.import_version("aoyang", region[region["code"].isin([COMMUNITY])], who="a", why="b").id

    whole = (LON0, LAT0, LON0 + 2 * STEP, LAT0 + 2 * STEP)
    assert store.extent(version) == pytest.approx(whole, abs=3e-5)  # SQLite rounds outwards (float32)
    assert store.extent(version, level=Level.MICROGRID) == pytest.approx(whole, abs=3e-5)
    assert store.extent(western, level=Level.COMMUNITY) == pytest.approx(whole, abs=3e-5)
    assert store.extent(western, level=Level.GRID) is None
    with pytest.raises(NotFound):
        store.extent(western + 1)


@pytest.mark.parametrize("chunk", [500, 2])  # candidates read at a time (SQLite): one read, or many
def test_bbox_pages_by_code_cover_every_match_once(
    store: BoundaryStore, region: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr("gridmap.store.spatial._CANDIDATE_CHUNK", chunk)
    version = store.import_version("aoyang", region, who="a", why="b").id
    around = (LON0 - STEP, LAT0 - STEP, LON0 + 3 * STEP, LAT0 + 3 * STEP)  # every feature's box inside it
    west = (LON0, LAT0, LON0 + 0.7 * STEP, LAT0 + 2 * STEP)  # cuts through the boxes of the eastern features

    for bbox in (around, west):
        every = store.features(version, bbox=bbox)
        seen: list[str] = []
        after: str | None = None
        while True:
            page = store.features(version, bbox=bbox, limit=2, after=after)
            assert page.number_matched == every.number_matched == len(every.features)
            if not page.features:
                break
            seen += [f.code for f in page.features]
            after = page.features[-1].code
        assert seen == [f.code for f in every.features]  # each match once, in code order
    assert store.features(version, bbox=around).number_matched == 13
    assert [f.code for f in store.features(version, bbox=west, limit=2, offset=2).features] == [
        f.code for f in store.features(version, bbox=west).features[2:4]
    ]


def test_bbox_filter_is_exact_not_by_bounding_box(store: BoundaryStore) -> None:
    triangle = shapely.Polygon([(LON0, LAT0), (LON0 + STEP, LAT0), (LON0, LAT0 + STEP)])
    version = store.import_version("t", frame_from([feature(COMMUNITY, "community", "", triangle)]), who="a", why="b")
    corner = (LON0 + 0.8 * STEP, LAT0 + 0.8 * STEP, LON0 + STEP, LAT0 + STEP)  # inside the box, not the triangle

    assert store.features(version.id, bbox=corner).number_matched == 0
    assert store.locate(version.id, LON0 + 0.9 * STEP, LAT0 + 0.9 * STEP).chain == ()


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        pytest.param(LON0 + 1.75 * STEP, LAT0 + 0.5 * STEP, [COMMUNITY, grid_code(4), micro(4, 2)], id="interior"),
        pytest.param(LON0 + STEP, LAT0 + 0.5 * STEP, [COMMUNITY, grid_code(3), micro(3, 2)], id="shared-edge"),
        pytest.param(LON0 + STEP, LAT0 + STEP, [COMMUNITY, grid_code(1), micro(1, 2)], id="four-grid-corner"),
        pytest.param(LON0, LAT0 + 1.5 * STEP, [COMMUNITY, grid_code(1), micro(1, 1)], id="outer-border"),
        pytest.param(LON0 + 0.5 * STEP, LAT0 + STEP, [COMMUNITY, grid_code(1), micro(1, 1)], id="inner-edge"),
    ],
)
def test_locate_covered_points(
    store: BoundaryStore, region: gpd.GeoDataFrame, lon: float, lat: float, expected: list[str]
) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id

    location = store.locate(version, lon, lat)

    assert codes(location) == expected
    assert location.covered and location.nearest is None


def test_locate_outside_gives_the_nearest_grid_in_metres(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id
    lat = LAT0 + 0.5 * STEP
    east = store.locate(version, LON0 + 3 * STEP, lat)

    assert east.chain == () and east.nearest is not None
    assert east.nearest.feature.code == grid_code(4)
    expected = WGS84.inv(LON0 + 2 * STEP, lat, LON0 + 3 * STEP, lat)[2]
    assert east.nearest.distance_m == pytest.approx(expected, rel=1e-3)


def test_ties_go_to_the_smallest_code(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    twin = frame_from([feature(grid_code(5), "grid", COMMUNITY, cell(1, 0))])  # grid 4 drawn twice, a draft error
    version = store.import_version(
        "aoyang", gpd.GeoDataFrame(pd.concat([twin, region], ignore_index=True)), who="a", why="b"
    )

    assert codes(store.locate(version.id, LON0 + 1.5 * STEP, LAT0 + 0.5 * STEP))[1] == grid_code(4)
    nearest = store.nearest(version.id, LON0 + 3 * STEP, LAT0 + 0.5 * STEP)
    assert nearest is not None and nearest.feature.code == grid_code(4)


def test_nearest_inside_is_zero_and_falls_back_to_any_level(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id
    inside = store.nearest(version, LON0 + 0.5 * STEP, LAT0 + 0.5 * STEP)
    assert inside is not None and (inside.feature.code, inside.distance_m) == (grid_code(3), 0.0)

    only_community = store.import_version("c", region[region["level"] == "community"], who="a", why="b").id
    far = store.nearest(only_community, LON0 - 0.05, LAT0)
    assert far is not None and far.feature.code == COMMUNITY
    assert far.distance_m == pytest.approx(WGS84.inv(LON0 - 0.05, LAT0, LON0, LAT0)[2], rel=1e-3)


def test_locate_refuses_bad_points_and_versions(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id
    with pytest.raises(InvalidInput):
        store.locate(version, 27.45, 119.5)
    with pytest.raises(NotFound):
        store.locate(version + 1, LON0, LAT0)


@pytest.mark.postgis
def test_both_backends_give_the_same_answers(
    sqlite_store: BoundaryStore, postgis_store: BoundaryStore, region: gpd.GeoDataFrame
) -> None:
    lite = sqlite_store.import_version("aoyang", region, who="a", why="b").id
    gis = postgis_store.import_version("aoyang", region, who="a", why="b").id
    # A lattice at quarter steps over the region and around it: interiors, every edge and corner, outside.
    points = [(LON0 + i * STEP / 4, LAT0 + j * STEP / 4) for i in range(-3, 12) for j in range(-3, 12)]

    def answer(store: BoundaryStore, version: int, lon: float, lat: float) -> tuple[object, ...]:
        location = store.locate(version, lon, lat)
        nearest = location.nearest
        return (codes(location), None if nearest is None else (nearest.feature.code, round(nearest.distance_m, 6)))

    assert [answer(sqlite_store, lite, *p) for p in points] == [answer(postgis_store, gis, *p) for p in points]
    boxes = [(LON0 + i * STEP / 2, LAT0, LON0 + (i + 1) * STEP / 2, LAT0 + STEP / 2) for i in range(-1, 5)]
    for bbox in boxes:
        assert [f.code for f in sqlite_store.features(lite, bbox=bbox).features] == [
            f.code for f in postgis_store.features(gis, bbox=bbox).features
        ]


def test_diff_reports_added_removed_reshaped_and_changed(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    old = store.import_version("aoyang", region, who="a", why="1")
    new_frame = region[region["code"] != micro(4, 2)].copy()
    new_frame.loc[new_frame["code"] == grid_code(1), "geometry"] = cell(0, 1, 1.25, 1)
    new_frame.loc[new_frame["code"] == grid_code(2), "geometry"] = cell(1.25, 1, 0.75, 1)
    new_frame.loc[new_frame["code"] == grid_code(3), ["name", "worker"]] = ["新名字", "王"]
    added = frame_from([feature(micro(4, 3), "microgrid", grid_code(4), cell(1.5, 0, 0.5, 1))])
    new = store.import_version(
        "aoyang", gpd.GeoDataFrame(pd.concat([new_frame, added], ignore_index=True)), who="a", why="2"
    )

    diff = store.diff(old.id, new.id)

    assert [f.code for f in diff.added] == [micro(4, 3)]
    assert [f.code for f in diff.removed] == [micro(4, 2)]
    assert [r.code for r in diff.reshaped] == [grid_code(1), grid_code(2)]
    quarter_cell = gpd.GeoSeries([cell(1, 1, 0.25, 1)], crs=4326).to_crs(4549).area.iloc[0]
    assert diff.reshaped[0].area_change_m2 == pytest.approx(quarter_cell, rel=1e-6)
    assert diff.reshaped[1].area_change_m2 == pytest.approx(-quarter_cell, rel=1e-6)
    assert [(c.code, c.changes) for c in diff.changed] == [
        (grid_code(3), {"name": ("名称003", "新名字"), "worker": ("worker 003", "王")})
    ]
    assert store.diff(old.id, old.id).empty
    assert diff.to_json()["reshaped"][0]["code"] == grid_code(1)


def test_diff_reads_only_the_features_that_differ(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    old = store.import_version("aoyang", region, who="a", why="1")
    new_frame = region[region["code"] != micro(4, 2)].copy()
    new_frame.loc[new_frame["code"] == grid_code(1), "geometry"] = cell(0, 1, 1.25, 1)
    new_frame.loc[new_frame["code"] == grid_code(3), "households_target"] = 7
    # The same shape from another first vertex: stored anew, so read, but not reshaped.
    turned = shapely.Polygon(cell(1, 0).exterior.coords[1:] + cell(1, 0).exterior.coords[1:2])
    new_frame.loc[new_frame["code"] == grid_code(4), "geometry"] = turned
    new = store.import_version("aoyang", new_frame, who="a", why="2")

    comparison = store.compare(old.id, new.id)

    assert [f.code for f in comparison.before] == [grid_code(1), grid_code(3), grid_code(4), micro(4, 2)]
    assert [f.code for f in comparison.after] == [grid_code(1), grid_code(3), grid_code(4)]
    every = [store.features(version.id).features for version in (old, new)]
    assert comparison.diff == store.diff(old.id, new.id) == diff_features(old.id, new.id, *every)
    assert [r.code for r in comparison.diff.reshaped] == [grid_code(1)]
    assert (store.compare(new.id, new.id).before, store.compare(new.id, new.id).after) == ([], [])


def test_version_frame_reads_what_the_features_hold(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id
    whole = store.version_frame(version)
    by_feature = frame_from_features(store.features(version).features, source=f"version {version}")
    some = [f.feature_id for f in store.features(version, level=Level.MICROGRID).features[1::3]]

    part = store.version_frame(version, feature_ids=some)

    assert_geodataframe_equal(whole, by_feature)
    assert list(whole["code"]) == sorted(whole["code"]) and list(whole["feature"]) == list(range(len(region)))
    assert_geodataframe_equal(part, whole[whole["feature_id"].isin(some)].reset_index(drop=True))
    assert len(part) == len(some) and len(store.version_frame(version, feature_ids=[])) == 0


def test_version_frame_chooses_by_codes_parents_and_boxes(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    version = store.import_version("aoyang", region, who="a", why="b").id
    whole = store.version_frame(version)
    grids = store.features(version, level=Level.GRID).features
    # Boxes on grids' corners, inside a microgrid and touching nothing: in one read, as `features` finds them in many.
    boxes = np.array([[*g.geometry.bounds[2:], g.geometry.bounds[2] + 1e-9, g.geometry.bounds[3]] for g in grids[:2]])
    boxes = np.vstack([boxes, [LON0 + STEP / 4, LAT0 + STEP / 4, LON0 + STEP / 3, LAT0 + STEP / 3], [0, 0, 1, 1]])
    meeting = {f.feature_id for box in boxes for f in store.features(version, bbox=tuple(box)).features}

    def chosen(ids: set[str]) -> gpd.GeoDataFrame:
        return whole[whole["feature_id"].isin(ids)].reset_index(drop=True)

    assert_geodataframe_equal(store.version_frame(version, boxes=boxes), chosen(meeting))
    assert len(meeting) > 3 and len(store.version_frame(version, boxes=boxes[-1:])) == 0
    assert_geodataframe_equal(
        store.version_frame(version, codes={grid_code(1), grid_code(3), "none"}),
        chosen({g.feature_id for g in grids if g.code in (grid_code(1), grid_code(3))}),
    )
    below = {f.feature_id for f in store.features(version, parents=[grid_code(2), COMMUNITY]).features}
    assert_geodataframe_equal(store.version_frame(version, parents=[grid_code(2), COMMUNITY]), chosen(below))
    with pytest.raises(InvalidInput, match="one of"):
        store.version_frame(version, codes=[grid_code(1)], boxes=boxes)


def test_version_frame_of_many_codes_numbers_them_as_the_whole_version(
    store: BoundaryStore, region: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past a list's length the places are read from the version's codes in order, not counted in batches.
    version = store.import_version("aoyang", region, who="a", why="b").id
    whole = store.version_frame(version)
    some = list(whole["code"][1::2])
    monkeypatch.setattr(version_frames, "_LISTED_PER_QUERY", 2)
    monkeypatch.setattr(type(store), "counted_places", 2)

    frame = store.version_frame(version, codes=some)

    assert len(some) > 2
    assert_geodataframe_equal(frame, whole[whole["code"].isin(some)].reset_index(drop=True))


def test_version_frame_meeting_many_boxes_is_filtered_to_exactly_those(
    store: BoundaryStore, region: gpd.GeoDataFrame
) -> None:
    # More boxes than are asked of the database at once: they are merged into covering boxes, which meet features
    # none of the boxes meets; those must not be in the frame.
    version = store.import_version("aoyang", region, who="a", why="b").id
    whole = store.version_frame(version)
    points = shapely.get_coordinates(shapely.point_on_surface(whole.geometry.to_numpy()))[::2]
    boxes = np.column_stack((points, points + 1e-7))
    boxes = np.vstack([boxes, [[lon, 0.0, lon + 0.5, 0.5] for lon in np.linspace(0, 100, 150)]])
    meeting = {f.feature_id for box in boxes for f in store.features(version, bbox=tuple(box)).features}

    frame = store.version_frame(version, boxes=boxes)

    assert len(boxes) > 150 and 0 < len(meeting) < len(whole)
    assert_geodataframe_equal(frame, whole[whole["feature_id"].isin(meeting)].reset_index(drop=True))


@pytest.mark.parametrize(
    "fmt",
    [
        "geojson",
        "gpkg",
        # GDAL warns that it cuts households_target to a 10-character Shapefile field name.
        pytest.param("shp", marks=pytest.mark.filterwarnings("ignore:Normalized/laundered field name")),
    ],
)
def test_export_round_trip(store: BoundaryStore, region: gpd.GeoDataFrame, tmp_path: Path, fmt: str) -> None:
    first = store.import_version("aoyang", region, who="a", why="b")

    written = write_boundaries(store.version_frame(first.id), tmp_path / f"aoyang.{fmt}", fmt)
    again = store.import_version("aoyang", read_boundaries([written]).frame, who="a", why="round trip")

    before = {f.code: f for f in store.features(first.id).features}
    after = {f.code: f for f in store.features(again.id).features}
    assert before.keys() == after.keys()
    for code, feature_before in before.items():
        assert shapely.equals_exact(feature_before.geometry.normalize(), after[code].geometry.normalize(), 1e-9)
        assert after[code].feature_id == feature_before.feature_id
    if fmt != "shp":  # a Shapefile cuts field names to 10 characters, so households_target does not survive
        assert store.diff(first.id, again.id).empty
