"""GET /api/v1/collections/grids/items?bbox= for a box of about 1,000 grids on the 10,000-grid region.

Same region, backends and server as benchmarks/locate_speed.py (2 uvicorn workers, no access log, loopback
only). The box is centred on the region and grown until about 1,000 grids meet it; the request asks for all
of them in one page (limit=10000), as a map client showing that box would. Per backend it prints:

  baseline  the store's own features(bbox=...) call for the same box, in this process (no HTTP, no GeoJSON)
  gridmap   the HTTP request, one connection at a time (latency), then two at once (one per worker)

with p50 and p99 against the target (p99 < 150 ms) and the ratio of the HTTP p50 to the store's p50.

Run: .venv/bin/python benchmarks/items_bbox_speed.py [--grids 10000] [--box-grids 1000] [--duration 10]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from locate_speed import (
    LoadResult,
    backend_url,
    describe,
    load,
    region_frame,
    run_load,
    running_app,
    verdict,
)

from gridmap.geo.hierarchy import Level
from gridmap.store import open_store

TARGET_P99_MS = 150.0
BASELINE_RUNS = 30

Bbox = tuple[float, float, float, float]


def box_of(frame: gpd.GeoDataFrame, wanted: int) -> tuple[Bbox, int]:
    """A box centred on the grids' extent that meets about `wanted` grids, and how many it meets."""
    grids = np.asarray(frame[frame["level"] == Level.GRID.value].geometry.values, dtype=object)
    tree = shapely.STRtree(grids)
    min_x, min_y, max_x, max_y = shapely.total_bounds(grids)
    centre_x, centre_y = (min_x + max_x) / 2, (min_y + max_y) / 2
    low, high = 0.0, 1.0
    box: Bbox = (min_x, min_y, max_x, max_y)
    met = len(grids)
    for _ in range(30):  # bisect on the box's share of the extent
        share = (low + high) / 2
        half_x, half_y = share * (max_x - min_x) / 2, share * (max_y - min_y) / 2
        box = (centre_x - half_x, centre_y - half_y, centre_x + half_x, centre_y + half_y)
        met = len(tree.query(shapely.box(*box), predicate="intersects"))
        if abs(met - wanted) <= wanted * 0.01:
            break
        low, high = (share, high) if met < wanted else (low, share)
    return (round(float(box[0]), 6), round(float(box[1]), 6), round(float(box[2]), 6), round(float(box[3]), 6)), met


def store_baseline(url: str, box: Bbox) -> tuple[float, float]:
    """p50 and p99 in ms of the store's features() for the box (after one warm-up call)."""
    gc.freeze()  # as the app does after start-up (gridmap/api/app.py), so that both pay the same collector
    store = open_store(url)
    try:
        version = store.published_version("default")
        assert version is not None
        timings = []
        for _ in range(BASELINE_RUNS + 1):
            started = time.perf_counter()
            store.features(version.id, bbox=box, level=Level.GRID, limit=10_000)
            timings.append((time.perf_counter() - started) * 1000.0)
    finally:
        store.close()
    ms = np.asarray(timings[1:])
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def line(label: str, result: LoadResult) -> str:
    """One result as a line of the report."""
    return (
        f"  {label}: {result.requests_per_s:6.1f} req/s   p50 {result.p50_ms:7.1f} ms   "
        f"p99 {result.p99_ms:7.1f} ms   errors {result.errors}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=10_000, help="about how many grids in the region")
    parser.add_argument("--box-grids", type=int, default=1_000, help="about how many grids the box meets")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per run")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgis"], choices=["sqlite", "postgis"])
    args = parser.parse_args()

    frame = region_frame(args.grids)
    box, met = box_of(frame, args.box_grids)
    path = "/api/v1/collections/grids/items?limit=10000&bbox=" + ",".join(str(v) for v in box)
    print(f"region: {describe(frame)}; box {box} meets {met:,} grids")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp:
        folder = Path(tmp)
        for backend in args.backends:
            with backend_url(backend, folder) as url:
                if url is None:
                    continue
                print(f"\n[{backend}] stored and published in {load(url, frame):.1f} s")
                base_p50, base_p99 = store_baseline(url, box)
                with running_app(url, folder) as base:
                    run_load(base, [path], seconds=2.0, connections=2, folder=folder)  # warm-up
                    single = run_load(base, [path], seconds=args.duration, connections=1, folder=folder)
                    double = run_load(base, [path], seconds=args.duration, connections=2, folder=folder)
                ok = single.p99_ms < TARGET_P99_MS and double.p99_ms < TARGET_P99_MS and not single.errors
                failures += not ok
                print(f"  baseline store.features(bbox): p50 {base_p50:7.1f} ms   p99 {base_p99:7.1f} ms")
                print(line("gridmap HTTP, 1 connection ", single))
                print(line("gridmap HTTP, 2 connections", double))
                print(f"  ratio of HTTP p50 to the store's p50: {single.p50_ms / base_p50:.2f}")
                print(f"  target p99 < {TARGET_P99_MS:.0f} ms: {verdict(ok)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
