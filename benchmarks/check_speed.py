"""The whole check engine on a 100,000-microgrid, three-level coverage against shapely's raw validator.

Builds a random Voronoi coverage of 100,000 cells in a metric box mapped to lon/lat near Shouning (119.5E,
27.45N), groups the cells into grids and the grids into communities by nearest random seed (each parent is the
coverage union of its children, so the hierarchy is exact), gives every feature a well-formed code, then times in
one run:

  baseline  shapely.coverage_invalid_edges on the 100,000 microgrids alone
  gridmap   check_boundaries on all three levels (validity, codes, overlaps, gaps, nesting, slivers)

and prints the ratio (target: gridmap within 3x the baseline) and the peak memory (target: under 2 GiB).

Run: .venv/bin/python benchmarks/check_speed.py [--cells 100000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import resource
import time
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from timing import Timing

from gridmap.io.boundaries import COLUMNS
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries

LON0, LAT0 = 119.5, 27.45
METRES_PER_DEGREE = 6371008.8 * np.pi / 180.0
COUNTY = "350924"
CELL_AREA_M2 = 2_500.0  # a microgrid: a block of a few buildings
CELLS_PER_GRID = 10
GRIDS_PER_COMMUNITY = 5
RATIO_TARGET = 3.0
MEMORY_TARGET_BYTES = 2 * 1024**3

GeometryArray = npt.NDArray[np.object_]


def to_lonlat(geometry: Any) -> Any:
    """Metric box coordinates (m east and north of the origin) as WGS-84 lon/lat near Shouning."""
    kx = METRES_PER_DEGREE * np.cos(np.radians(LAT0))
    return shapely.transform(
        geometry, lambda xy: np.column_stack([LON0 + xy[:, 0] / kx, LAT0 + xy[:, 1] / METRES_PER_DEGREE])
    )


def voronoi_cells(points: npt.NDArray[np.float64], box: shapely.Polygon) -> GeometryArray:
    """The Voronoi cells of `points` clipped to `box`, in the order of the points."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=box, ordered=True)
    cells = shapely.get_parts(diagram)
    outside = ~shapely.within(cells, box)
    cells[outside] = shapely.intersection(cells[outside], box)
    return cells


def nearest(points: npt.NDArray[np.float64], seeds: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """For each point, the index of its nearest seed."""
    tree = shapely.STRtree(np.asarray(shapely.points(seeds), dtype=object))
    pairs = tree.query_nearest(np.asarray(shapely.points(points), dtype=object), all_matches=False)
    owner = np.empty(len(points), dtype=np.intp)
    owner[pairs[0]] = pairs[1]
    return owner


def dense_ranks(groups: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group labels renumbered 0..k-1 (empty groups dropped), and each member's 1-based number in its group."""
    labels, dense = np.unique(groups, return_inverse=True)
    order = np.argsort(dense, kind="stable")
    starts = np.searchsorted(dense[order], np.arange(len(labels)))
    number = np.empty(len(groups), dtype=np.intp)
    number[order] = np.arange(len(groups)) - np.repeat(starts, np.bincount(dense, minlength=len(labels)))
    return dense, number + 1


def unions(children: GeometryArray, owner: npt.NDArray[np.intp], count: int) -> GeometryArray:
    """The coverage union of the children of each of `count` owners."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(count + 1))
    return np.array(
        [shapely.coverage_union_all(children[order[lo:hi]]) for lo, hi in itertools.pairwise(bounds)],
        dtype=object,
    )


def build_frame(cells: int, seed: int) -> gpd.GeoDataFrame:
    """A three-level grid model: communities of grids of microgrids, exact coverages at every level."""
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(cells * CELL_AREA_M2))
    box = shapely.box(0.0, 0.0, side, side)
    points = rng.uniform(0.0, side, size=(cells, 2))
    micro = voronoi_cells(points, box)

    grid_seeds = rng.uniform(0.0, side, size=(cells // CELLS_PER_GRID, 2))
    community_seeds = rng.uniform(0.0, side, size=(cells // (CELLS_PER_GRID * GRIDS_PER_COMMUNITY), 2))
    grid_of_cell, micro_number = dense_ranks(nearest(points, grid_seeds))
    used_grid_seeds = grid_seeds[np.unique(nearest(points, grid_seeds))]
    community_of_grid, grid_number = dense_ranks(nearest(used_grid_seeds, community_seeds))
    n_grids, n_communities = len(used_grid_seeds), int(community_of_grid.max()) + 1
    if micro_number.max() > 99 or grid_number.max() > 999:
        msg = f"a grid has {micro_number.max()} microgrids or a community {grid_number.max()} grids: codes overflow"
        raise SystemExit(msg)

    grids = unions(micro, grid_of_cell, n_grids)
    communities = unions(grids, community_of_grid, n_communities)

    community_codes = np.array([f"{COUNTY}{c + 1:06d}" for c in range(n_communities)], dtype=object)
    grid_codes = np.array(
        [f"{community_codes[c]}{n:03d}" for c, n in zip(community_of_grid, grid_number, strict=True)], dtype=object
    )
    micro_codes = np.array(
        [f"{grid_codes[g]}{n:02d}" for g, n in zip(grid_of_cell, micro_number, strict=True)], dtype=object
    )
    levels = ["community"] * n_communities + ["grid"] * n_grids + ["microgrid"] * cells
    parents = [""] * n_communities + list(community_codes[community_of_grid]) + list(grid_codes[grid_of_cell])
    geometry = to_lonlat(np.concatenate([communities, grids, micro]))
    total = len(levels)
    frame = gpd.GeoDataFrame(
        {
            "code": np.concatenate([community_codes, grid_codes, micro_codes]),
            "name": [""] * total,
            "level": levels,
            "parent": parents,
            "worker": [None] * total,
            "households_target": [None] * total,
            "source": ["benchmark"] * total,
            "feature": np.arange(total),
        },
        geometry=list(geometry),
        crs=4326,
    )
    return frame[COLUMNS]


class StageClock:
    """A progress callback for check_boundaries that records how long each stage took."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stage: str | None = None
        self._since = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        if self._stage is not None:
            self.seconds[self._stage] = self.seconds.get(self._stage, 0.0) + now - self._since
        self._stage, self._since = stage, now

    def stop(self) -> None:
        """Close the last stage."""
        self("")
        self.seconds.pop("", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000, help="microgrids in the coverage")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; the best time counts")
    parser.add_argument("--profile", action="store_true", help="also profile the engine (cProfile, top 25)")
    args = parser.parse_args()

    start = time.perf_counter()
    frame = build_frame(args.cells, args.seed)
    counts = frame["level"].value_counts()
    print(
        f"built {len(frame):,} features ({counts['community']:,} communities, {counts['grid']:,} grids, "
        f"{counts['microgrid']:,} microgrids; {int(shapely.get_num_coordinates(frame.geometry.values).sum()):,} "
        f"vertices) in {time.perf_counter() - start:.1f} s"
    )
    micro = np.asarray(frame.geometry.values[(frame["level"] == "microgrid").to_numpy()], dtype=object)

    baseline = Timing(lambda: shapely.coverage_invalid_edges(micro))
    engine = Timing(lambda: check_boundaries(frame, CheckOptions()))
    for _ in range(args.repeat):  # interleaved, so that both sides see the same load on a shared machine
        baseline.run()
        engine.run()
    baseline_s, baseline_peak, engine_s, engine_peak = (
        baseline.seconds,
        baseline.peak_bytes,
        engine.seconds,
        engine.peak_bytes,
    )
    flagged = int((~shapely.is_empty(baseline.result)).sum())
    report: CheckReport = engine.result
    summary = report.to_json()["summary"]
    clock = StageClock()
    check_boundaries(frame, CheckOptions(), progress=clock)
    clock.stop()
    overall_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    ratio = engine_s / baseline_s
    print()
    print(f"{'':32}{'seconds':>10}{'peak MiB':>12}")
    print(
        f"{'shapely coverage_invalid_edges':32}{baseline_s:10.2f}{baseline_peak / 2**20:12.0f}"
        f"   ({len(micro):,} microgrids, {flagged} flagged)"
    )
    print(
        f"{'gridmap check_boundaries':32}{engine_s:10.2f}{engine_peak / 2**20:12.0f}"
        f"   (3 levels, {len(frame):,} features, problems: {summary['problems'] or 'none'})"
    )
    print(f"{'':32}best of {args.repeat} runs each; the engine's stages in one more run:")
    for stage, seconds in clock.seconds.items():
        print(f"{'  ' + stage:32}{seconds:10.2f}")
    print()
    verdict = "OK" if ratio <= RATIO_TARGET else "MISSED"
    print(f"ratio gridmap / shapely: {ratio:.2f}x (target <= {RATIO_TARGET:g}x): {verdict}")
    peak = max(engine_peak, overall_peak)
    verdict = "OK" if peak < MEMORY_TARGET_BYTES else "MISSED"
    print(f"peak memory of the whole run: {overall_peak / 2**30:.2f} GiB (target < 2 GiB): {verdict}")
    if summary["problems"]:
        print(f"note: the generated coverage should be clean, but the check found {summary['problems']}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(check_boundaries, frame, CheckOptions())
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())


if __name__ == "__main__":
    main()
