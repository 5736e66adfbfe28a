"""Households into grids: gridmap's assignment engine against geopandas.sjoin, answers checked point by point.

Builds a 10,000-cell Voronoi coverage (grids of about 100 m x 100 m) in a metric box mapped affinely to
lon/lat near Shouning (119.5E, 27.45N), with shuffled 15-digit grid codes, and 1,000,000 points: most
uniform over the box and a little beyond it, the rest placed on the hard spots: every coverage vertex (shared
by 2-3 grids), midpoints of edges (exactly on the shared edge whenever the midpoint is representable),
points on the box's straight outer edge, and repeats. Then, in one run, interleaved and best of --repeat:

  baseline  geopandas.sjoin(points, grids, predicate="covered_by"), the call alone as a user makes it (resolving
            its pairs to the smallest code per point, for the comparison, is not timed)
  gridmap   covering_polygon(points, grids, codes)   (builds its index, raster shortcut included, each time)
  gridmap*  PointAssigner.assign on an index built once (cached per boundary version in the service)

prints the times and the ratio (target: gridmap at least 3x faster than sjoin), whether the answers are
identical on every point (and on the hard spots in particular), and the peak memory (target: under 2 GiB).

Run: .venv/bin/python benchmarks/assign_speed.py [--points 1000000] [--grids 10000]
"""

from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from timing import Timing

from gridmap.geo.assign import PointAssigner, covering_polygon

LON0, LAT0 = 119.5, 27.45
METRES_PER_DEGREE = 6371008.8 * np.pi / 180.0
GRID_AREA_M2 = 10_000.0
RATIO_TARGET = 3.0
MEMORY_TARGET_BYTES = 2 * 1024**3

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]


def lonlat(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Metres east/north of the origin as lon/lat near Shouning (an affine map keeps shared vertices shared)."""
    kx = METRES_PER_DEGREE * np.cos(np.radians(LAT0))
    return np.column_stack([LON0 + xy[:, 0] / kx, LAT0 + xy[:, 1] / METRES_PER_DEGREE])


def voronoi_grids(count: int, rng: np.random.Generator) -> tuple[GeometryArray, npt.NDArray[np.object_]]:
    """A Voronoi coverage of `count` cells in lon/lat and a 15-digit code for each, in shuffled order."""
    side = float(np.sqrt(count * GRID_AREA_M2))
    box = shapely.box(0.0, 0.0, side, side)
    seeds = rng.uniform(0.0, side, size=(count, 2))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box, ordered=True))
    cells = shapely.intersection(cells, box)
    cells = shapely.transform(cells, lonlat)
    numbers = rng.permutation(count) + 1
    codes = np.array([f"350924100{n // 1000 + 1:03d}{n % 1000:03d}" for n in numbers], dtype=object)
    return cells, codes


def hard_points(grids: GeometryArray, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Vertices, edge midpoints and points on the outer edge of the coverage."""
    coords, ring = shapely.get_coordinates(shapely.boundary(grids), return_index=True)
    same = ring[1:] == ring[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    mid = (a + b) / 2.0
    xmin, ymin, xmax, ymax = shapely.total_bounds(grids)
    on_west = np.column_stack([np.full(2000, xmin), rng.uniform(ymin, ymax, 2000)])
    on_north = np.column_stack([rng.uniform(xmin, xmax, 2000), np.full(2000, ymax)])
    return np.vstack([np.unique(coords, axis=0), mid, on_west, on_north])


def make_points(count: int, grids: GeometryArray, rng: np.random.Generator) -> tuple[npt.NDArray[np.float64], int]:
    """`count` points: the hard ones first, then uniform over the box widened by 2 % on every side."""
    hard = hard_points(grids, rng)
    hard = hard[: count // 5]
    xmin, ymin, xmax, ymax = shapely.total_bounds(grids)
    wx, wy = (xmax - xmin) * 0.02, (ymax - ymin) * 0.02
    rest = count - len(hard)
    uniform = np.column_stack([rng.uniform(xmin - wx, xmax + wx, rest), rng.uniform(ymin - wy, ymax + wy, rest)])
    return np.vstack([hard, uniform]), len(hard)


def sjoin_as_called(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The baseline as a user calls it: sjoin covered_by, the call alone."""
    return gpd.sjoin(points, grids, how="inner", predicate="covered_by")


def smallest_code(joined: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> IndexArray:
    """The rule from sjoin's pairs: the smallest code per point (-1 for none); not timed."""
    best = joined.sort_values("code", kind="stable").groupby(level=0, sort=False)["index_right"].first()
    result = np.full(len(points), -1, dtype=np.intp)
    result[best.index.to_numpy()] = best.to_numpy()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each contender; the best time counts")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    grids, codes = voronoi_grids(args.grids, rng)
    xy, hard = make_points(args.points, grids, rng)
    points: GeometryArray = np.asarray(shapely.points(xy), dtype=object)
    point_frame = gpd.GeoDataFrame(geometry=points, crs=4326)
    grid_frame = gpd.GeoDataFrame({"code": codes}, geometry=grids, crs=4326)
    print(
        f"built {len(grids):,} grids ({int(shapely.get_num_coordinates(grids).sum()):,} vertices) and "
        f"{len(points):,} points ({hard:,} on vertices and edges) in {time.perf_counter() - start:.1f} s"
    )

    baseline = Timing(lambda: sjoin_as_called(point_frame, grid_frame))
    engine = Timing(lambda: covering_polygon(points, grids, codes))
    build = Timing(lambda: PointAssigner(grids, codes, raster=True))
    for _ in range(args.repeat):  # interleaved, so that both sides see the same load on a shared machine
        baseline.run()
        engine.run()
        build.run()
    assigner: PointAssigner = build.result
    cached = Timing(lambda: assigner.assign(points))
    for _ in range(args.repeat):
        cached.run()
    overall_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    expected: IndexArray = smallest_code(baseline.result, point_frame)
    differ = [int((result != expected).sum()) for result in (engine.result, cached.result)]
    differ_hard = int((engine.result[:hard] != expected[:hard]).sum())
    covered = int((expected >= 0).sum())
    print()
    print(f"{'':34}{'seconds':>10}{'peak MiB':>12}")
    rows = [
        ("geopandas sjoin covered_by", baseline),
        ("gridmap covering_polygon", engine),
        ("  of which building the index", build),
        ("gridmap assign, index cached", cached),
    ]
    for name, timing in rows:
        print(f"{name:34}{timing.seconds:10.3f}{timing.peak_bytes / 2**20:12.0f}")
    print(f"best of {args.repeat} runs each; {covered:,} points covered, {len(points) - covered:,} in no grid")
    print()
    ratio = baseline.seconds / engine.seconds
    verdict = "OK" if ratio >= RATIO_TARGET else "MISSED"
    print(f"ratio sjoin / gridmap: {ratio:.1f}x faster (target >= {RATIO_TARGET:g}x): {verdict}")
    print(f"ratio sjoin / gridmap with the index cached: {baseline.seconds / cached.seconds:.1f}x faster")
    same = "identical" if not any(differ) else f"DIFFERENT on {differ} points"
    print(f"answers against sjoin on all {len(points):,} points: {same} ({differ_hard} differ among the hard ones)")
    verdict = "OK" if overall_peak < MEMORY_TARGET_BYTES else "MISSED"
    print(f"peak memory of the whole run: {overall_peak / 2**30:.2f} GiB (target < 2 GiB): {verdict}")
    counts = pd.Series(expected[:hard]).map(lambda i: "none" if i < 0 else "grid").value_counts().to_dict()
    print(f"hard points by answer: {counts}")
    if any(differ):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
