"""Points into grids: the exact and raster engines against the brute-force rule and geopandas.sjoin."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from gridmap.geo import assign as assign_module
from gridmap.geo.assign import PointAssigner, assign_points, covering_polygon, point_xy
from gridmap.geo.cell_raster import FALLBACK, CellRaster, is_mixed
from gridmap.geo.crs import LocalMetres

LON0, LAT0 = 119.5, 27.45
STEP = 0.001  # about 100 m


def brute_force(
    points: npt.NDArray[np.object_], polygons: npt.NDArray[np.object_], codes: Sequence[str | int]
) -> np.ndarray:
    """The rule written out: every polygon covering the point, smallest (code, index) wins, -1 for none."""
    result = np.full(len(points), -1, dtype=np.intp)
    order = sorted(range(len(polygons)), key=lambda i: (codes[i], i))
    for p, point in enumerate(points):
        for i in order:
            if polygons[i] is not None and point is not None and shapely.covers(polygons[i], point):
                result[p] = i
                break
    return result


def all_engines(
    points: npt.NDArray[np.object_], polygons: npt.NDArray[np.object_], codes: Sequence[str | int]
) -> list[np.ndarray]:
    """The answers of every way gridmap assigns points."""
    x, y = point_xy(points)
    built = PointAssigner(polygons, codes, raster=True, cells_per_polygon=64)
    arrays = built.raster_arrays()
    kept = None if arrays is None else CellRaster.from_arrays(arrays)
    return [
        covering_polygon(points, polygons, codes),
        PointAssigner(polygons, codes, raster=False).assign(points),
        PointAssigner(polygons, codes, raster=True).assign(points),
        PointAssigner(polygons, codes, raster=True, cells_per_polygon=4).assign(points),
        PointAssigner(polygons, codes, raster=True, cells_per_polygon=2000).assign_xy(x, y),
        PointAssigner(polygons, codes, raster=kept, cells_per_polygon=64).assign_xy(x, y),
        pickle.loads(pickle.dumps(built)).assign_xy(x, y),
    ]


def voronoi(seeds: npt.NDArray[np.float64], box: shapely.Polygon) -> npt.NDArray[np.object_]:
    """Voronoi cells of the seeds clipped to the box: an exact coverage with shared vertices."""
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box, ordered=True))
    return np.asarray(shapely.intersection(cells, box), dtype=object)


def hard_points(polygons: npt.NDArray[np.object_], rng: np.random.Generator, count: int) -> npt.NDArray[np.object_]:
    """Vertices, edge midpoints, points a hair off edges, and random points around the polygons."""
    coords, ring = shapely.get_coordinates(shapely.boundary(polygons[~shapely.is_missing(polygons)]), return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    t = rng.random((len(a), 1))
    along = a + t * (b - a)  # on the edge up to rounding: the robust predicate must agree everywhere
    xmin, ymin, xmax, ymax = shapely.total_bounds(polygons)
    wx, wy = (xmax - xmin) * 0.1 + 1e-9, (ymax - ymin) * 0.1 + 1e-9
    scattered = np.column_stack(
        [rng.uniform(xmin - wx, xmax + wx, count), rng.uniform(ymin - wy, ymax + wy, count)],
    )
    xy = np.vstack([coords, (a + b) / 2.0, along, np.nextafter(along, along + 1.0), scattered])
    return np.asarray(shapely.points(xy), dtype=object)


def square(col: float, row: float, width: float = 1.0, height: float = 1.0) -> shapely.Polygon:
    """A lattice cell near Shouning, `col` and `row` in steps of STEP degrees."""
    return shapely.box(LON0 + col * STEP, LAT0 + row * STEP, LON0 + (col + width) * STEP, LAT0 + (row + height) * STEP)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cells=st.integers(2, 40),
    lonlat=st.booleans(),
    string_codes=st.booleans(),
)
def test_random_voronoi_coverage_matches_brute_force(seed: int, cells: int, lonlat: bool, string_codes: bool) -> None:
    rng = np.random.default_rng(seed)
    polygons = voronoi(rng.random((cells, 2)), shapely.box(0.0, 0.0, 1.0, 1.0))
    if lonlat:
        polygons = np.asarray(shapely.transform(polygons, lambda xy: xy * 0.01 + [LON0, LAT0]), dtype=object)
    numbers = rng.permutation(len(polygons))
    codes = [f"350924100001{n:03d}" for n in numbers] if string_codes else list(numbers)
    points = hard_points(polygons, rng, 200)
    expected = brute_force(points, polygons, codes)
    for answer in all_engines(points, polygons, codes):
        np.testing.assert_array_equal(answer, expected)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 12))
def test_overlapping_holed_and_multi_polygons_match_brute_force(seed: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.random((count, 2))
    radii = rng.uniform(0.05, 0.4, count)
    shapes: list[BaseGeometry | None] = []
    for (cx, cy), r in zip(centres, radii, strict=True):
        disc = shapely.Point(cx, cy).buffer(r, quad_segs=4)
        shape: BaseGeometry = disc
        kind = rng.integers(4)
        if kind == 1:
            shape = disc.difference(shapely.Point(cx, cy).buffer(r / 2, quad_segs=3))  # a hole
        elif kind == 2:
            shape = shapely.MultiPolygon([disc, shapely.box(cx + r + 0.01, cy, cx + r + 0.1, cy + 0.1)])
        shapes.append(shape)
    shapes.append(None)
    shapes.append(shapely.Polygon())
    polygons = np.asarray(shapes, dtype=object)
    codes = list(rng.integers(0, 4, len(polygons)))  # many equal codes: the smaller index wins
    points = hard_points(polygons, rng, 300)
    expected = brute_force(points, polygons, codes)
    for answer in all_engines(points, polygons, codes):
        np.testing.assert_array_equal(answer, expected)


def test_shared_edge_and_vertex_go_to_smallest_code() -> None:
    polygons = np.array([square(0, 0), square(1, 0), square(0, 1), square(1, 1)], dtype=object)
    codes = ["350924100001004", "350924100001002", "350924100001003", "350924100001001"]
    points = np.array(
        [
            shapely.Point(LON0 + STEP, LAT0 + STEP),  # the vertex all four share: 001
            shapely.Point(LON0 + STEP, LAT0 + 0.5 * STEP),  # edge of cells 0 and 1: 002
            shapely.Point(LON0 + 0.5 * STEP, LAT0 + STEP),  # edge of cells 0 and 2: 003
            shapely.Point(LON0 + 0.5 * STEP, LAT0 + 0.5 * STEP),  # inside cell 0
            shapely.Point(LON0, LAT0),  # outer corner: boundary counts
            shapely.Point(LON0 - STEP, LAT0),  # outside
            None,
            shapely.Point(),
        ],
        dtype=object,
    )
    for answer in all_engines(points, polygons, codes):
        assert answer.tolist() == [3, 1, 2, 0, 0, -1, -1, -1]


def test_equal_codes_go_to_smaller_index() -> None:
    polygons = np.array([square(1, 0), square(0, 0)], dtype=object)
    on_edge = np.array([shapely.Point(LON0 + STEP, LAT0 + 0.5 * STEP)], dtype=object)
    for answer in all_engines(on_edge, polygons, ["a", "a"]):
        assert answer.tolist() == [0]


def test_same_answer_as_geopandas_sjoin_covered_by() -> None:
    rng = np.random.default_rng(7)
    polygons = voronoi(rng.random((60, 2)) * 0.02 + [LON0, LAT0], shapely.box(LON0, LAT0, LON0 + 0.02, LAT0 + 0.02))
    codes = [f"{n:03d}" for n in rng.permutation(60)]
    points = hard_points(polygons, rng, 3000)
    joined = gpd.sjoin(
        gpd.GeoDataFrame(geometry=points, crs=4326),
        gpd.GeoDataFrame({"code": codes}, geometry=polygons, crs=4326),
        predicate="covered_by",
    )
    best = joined.sort_values("code", kind="stable").groupby(level=0)["index_right"].first()
    expected = np.full(len(points), -1)
    expected[best.index.to_numpy()] = best.to_numpy()
    for answer in all_engines(points, polygons, codes):
        np.testing.assert_array_equal(answer, expected)


def test_large_query_builds_raster_lazily_and_keeps_answers() -> None:
    polygons = np.array([square(c, r) for r in range(5) for c in range(5)], dtype=object)
    codes = list(range(25))
    assigner = PointAssigner(polygons, codes)
    rng = np.random.default_rng(3)
    x = rng.uniform(LON0 - STEP, LON0 + 6 * STEP, 60_000)
    y = rng.uniform(LAT0 - STEP, LAT0 + 6 * STEP, 60_000)
    small = assigner.assign_xy(x[:100], y[:100])
    assert assigner._raster is None  # a small query is answered exactly, without building the raster
    large = assigner.assign_xy(x, y)
    assert assigner._raster is not None
    np.testing.assert_array_equal(large[:100], small)
    np.testing.assert_array_equal(assigner.assign_xy(np.tile(x, 2), np.tile(y, 2), threads=2), np.tile(large, 2))
    col = np.floor((x - LON0) / STEP)
    row = np.floor((y - LAT0) / STEP)
    inside = (col >= 0) & (col < 5) & (row >= 0) & (row < 5)
    np.testing.assert_array_equal(large[inside], (row * 5 + col)[inside])
    assert (large[~inside & ((x < LON0) | (y < LAT0) | (x > LON0 + 5 * STEP) | (y > LAT0 + 5 * STEP))] == -1).all()


def test_threads_never_query_one_prepared_polygon_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two threads querying the same prepared polygons at once can abort inside GEOS (a double free, seen in CI and
    in about one run in three of a stress loop): no polygon object is in two of the threaded assignment's GEOS calls
    at the same time, several threads did work, and the answers equal one thread's, both without a raster (tree
    candidates) and with one (a mixed cell's owners)."""
    rng = np.random.default_rng(7)
    circles = shapely.buffer(shapely.points(rng.uniform(0, 1, (50, 2))), 0.08, quad_segs=64)
    x, y = rng.uniform(0, 1, (2, 200_000))
    busy: dict[int, int] = {}  # polygon object id -> GEOS calls under way holding it
    clashes: list[int] = []
    callers: set[int] = set()
    lock = threading.Lock()
    original = shapely.intersects_xy

    def recording(geometries: npt.NDArray[np.object_], *args: object, **kwargs: object) -> object:
        held = {id(geometry) for geometry in np.asarray(geometries, dtype=object).tolist()}
        with lock:
            callers.add(threading.get_ident())
            clashes.extend(key for key in held if busy.get(key))
            for key in held:
                busy[key] = busy.get(key, 0) + 1
        try:
            time.sleep(0.002)  # widen the window in which a clash would be seen
            return original(geometries, *args, **kwargs)
        finally:
            with lock:
                for key in held:
                    busy[key] -= 1

    for raster in (False, True):
        alone = PointAssigner(circles, np.arange(50), raster=raster).assign_xy(x, y)
        threaded_assigner = PointAssigner(circles, np.arange(50), raster=raster)
        callers.clear()
        monkeypatch.setattr(shapely, "intersects_xy", recording)
        threaded = threaded_assigner.assign_xy(x, y, threads=4)
        monkeypatch.setattr(shapely, "intersects_xy", original)
        np.testing.assert_array_equal(threaded, alone)
        assert len(callers) > 1
        assert clashes == []


def test_non_point_geometries_follow_the_same_rule() -> None:
    polygons = np.array([square(0, 0), square(1, 0)], dtype=object)
    line_inside = shapely.LineString([(LON0 + 0.2 * STEP, LAT0 + 0.2 * STEP), (LON0 + 0.8 * STEP, LAT0 + 0.8 * STEP)])
    line_across = shapely.LineString([(LON0 + 0.5 * STEP, LAT0 + 0.5 * STEP), (LON0 + 1.5 * STEP, LAT0 + 0.5 * STEP)])
    on_edge = shapely.Point(LON0 + STEP, LAT0 + 0.5 * STEP)
    answer = covering_polygon(np.array([line_inside, line_across, on_edge], dtype=object), polygons, [2, 1])
    assert answer.tolist() == [0, -1, 1]


def test_empty_inputs() -> None:
    empty = np.array([], dtype=object)
    polygons = np.array([square(0, 0)], dtype=object)
    assert covering_polygon(empty, polygons, [1]).tolist() == []
    assert covering_polygon(np.array([shapely.Point(LON0, LAT0)], dtype=object), empty, []).tolist() == [-1]
    assert PointAssigner(np.array([None], dtype=object), [1], raster=True).assign_xy([LON0], [LAT0]).tolist() == [-1]
    with pytest.raises(ValueError, match="codes"):
        PointAssigner(polygons, [1, 2])
    with pytest.raises(ValueError, match="same length"):
        PointAssigner(polygons, [1]).assign_xy([1.0, 2.0], [1.0])


def test_points_outside_get_nearest_polygon_and_metric_distance() -> None:
    polygons = np.array([square(0, 0), square(2, 0), square(1, 0)], dtype=object)
    codes = ["003", "002", "001"]
    metres_per_step = STEP * 6371008.8 * np.pi / 180.0
    east = LON0 + 3 * STEP + 10.0 / (metres_per_step / STEP * np.cos(np.radians(LAT0)))  # 10 m east of cell 2
    x = np.array([LON0 + 0.5 * STEP, east, LON0 + STEP, np.nan])
    y = np.array([LAT0 + 0.5 * STEP, LAT0 + 0.5 * STEP, LAT0 + 1.5 * STEP, LAT0])
    frame = LocalMetres(LON0, LAT0, LON0 + 3 * STEP, LAT0 + STEP)
    found = assign_points(x, y, polygons, codes, metres=frame)
    assert found.polygon.tolist() == [0, -1, -1, -1]
    # straight above the corner that cells 0 (code 003) and 2 (code 001) share: equally near, 001 wins
    assert found.nearest.tolist() == [0, 1, 2, -1]
    assert found.distance_m[0] == 0.0
    assert found.distance_m[1] == pytest.approx(10.0, rel=1e-3)
    assert found.distance_m[2] == pytest.approx(metres_per_step * 0.5, rel=1e-3)
    assert np.isnan(found.distance_m[3])
    projected = assign_points(x, y, polygons, codes, metres=pyproj.CRS.from_epsg(4549))
    assert projected.nearest.tolist() == found.nearest.tolist()
    assert projected.distance_m[1] == pytest.approx(10.0, rel=0.01)


def test_metric_coordinates_need_no_frame() -> None:
    polygons = np.array([shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)], dtype=object)
    found = assign_points([250.0, 100.0, -30.0], [50.0, 50.0, -40.0], polygons, [1, 2])
    assert found.polygon.tolist() == [-1, 0, -1]
    assert found.nearest.tolist() == [1, 0, 0]
    assert found.distance_m.tolist() == pytest.approx([50.0, 0.0, 50.0])


def test_raster_answers_a_coverage_by_lookup_and_owners_and_overlaps_by_the_tree() -> None:
    lattice = [square(c, r) for r in range(4) for c in range(4)]
    coverage = PointAssigner(np.array(lattice, dtype=object), list(range(16)), raster=True)
    assert coverage._raster is not None
    labels = coverage._raster.label
    assert not (labels == FALLBACK).any()
    assert is_mixed(labels).any()
    assert (labels >= 0).sum() > is_mixed(labels).sum()  # most cells are answered by lookup
    overlapping = np.array([*lattice, square(1.5, 1.5)], dtype=object)  # over four cells' corners
    layered = PointAssigner(overlapping, list(range(17)), raster=True)
    assert layered._raster is not None
    assert (layered._raster.label == FALLBACK).any()


def test_raster_queries_in_runs_keep_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assign_module, "RASTER_RUN_POINTS", 7)  # runs of 7 points: every run boundary is crossed
    lattice = [square(c, r) for r in range(4) for c in range(4)]
    polygons = np.array([*lattice, square(1.5, 1.5)], dtype=object)  # an overlap: some points take the tree
    codes = list(range(17))
    points = np.append(hard_points(polygons, np.random.default_rng(5), 200), [None, shapely.Point()])
    x, y = point_xy(points)
    expected = brute_force(points, polygons, codes)
    assigner = PointAssigner(polygons, codes, raster=True)
    np.testing.assert_array_equal(assigner.assign(points), expected)
    np.testing.assert_array_equal(assigner.assign_xy(x, y), expected)
