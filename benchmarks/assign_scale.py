"""Province scale: households into grids by geopandas.sjoin and by gridmap's kernel, answers checked point by point.

Data (seeded, generated once into --cache): a Voronoi coverage of --grids cells near Shouning (as in
assign_speed.py) and --points households, uniform over the region plus the hard spots (about 10 %: every
vertex, edge midpoints, points on the outer edge), written as partitioned GeoParquet (lon, lat, geometry).

Each contender runs in a process of its own, which reads the points and grids first and then times only the call:

  sjoin         geopandas.sjoin(points, grids, predicate="covered_by"), as a user calls it (the call alone)
  gridmap cold  the kernel with its cell raster built in the run (first run over a boundary version)
  gridmap Nt    the kernel on N threads, its raster read from the raster cache (every later run)

The process reports its time and peak resident memory (VmHWM: each contender is one process); the parent checks
that every answer equals sjoin's resolved to the smallest code on shared edges (-1 for none) on every point, and
prints the ratios (targets: >= 8x at 1M x 10k, >= 10x at 10M x 100k; peak < 2 GiB).

Run: .venv/bin/python benchmarks/assign_scale.py [--points 1000000 --grids 10000]
     .venv/bin/python benchmarks/assign_scale.py --points 10000000 --grids 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from assign_speed import make_points, smallest_code, voronoi_grids
from timing import peak_memory_bytes

from gridmap.geo.hierarchy import Level
from gridmap.services.raster_cache import cached_layers

HERE = Path(__file__).resolve().parent
PART_ROWS = 1_000_000
MEMORY_TARGET_BYTES = 2 * 1024**3


def data_folder(cache: Path, points: int, grids: int, seed: int) -> Path:
    """The folder of one data set: grids.parquet and points/part-*.parquet."""
    return cache / f"p{points}-g{grids}-s{seed}"


def make_data(folder: Path, points: int, grids: int, seed: int) -> None:
    """Generate the data set once (nothing to do when it is there)."""
    if (folder / "done").exists():
        return
    rng = np.random.default_rng(seed)
    polygons, codes = voronoi_grids(grids, rng)
    xy, hard = make_points(points, polygons, rng)
    (folder / "points").mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame({"code": codes, "level": Level.GRID.value}, geometry=polygons, crs=4326)
    frame.to_parquet(folder / "grids.parquet")
    for number, start in enumerate(range(0, points, PART_ROWS)):
        part = xy[start : start + PART_ROWS]
        geometry = shapely.points(part)
        table = gpd.GeoDataFrame({"lon": part[:, 0], "lat": part[:, 1]}, geometry=geometry, crs=4326)
        table.to_parquet(folder / "points" / f"part-{number:05d}.parquet")
    (folder / "done").write_text(json.dumps({"hard_points": hard}), encoding="utf-8")


def run_contender(folder: Path, contender: str, threads: int, raster_cache: Path) -> dict[str, float]:
    """In this process: read the data, time one contender, save its answer; its time and peak memory."""
    grids = gpd.read_parquet(folder / "grids.parquet")
    if contender == "sjoin":
        points = gpd.read_parquet(folder / "points", columns=["geometry"])
        start, cpu = time.perf_counter(), time.process_time()
        joined = gpd.sjoin(points, grids, predicate="covered_by")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        answer = smallest_code(joined, points)
        build = 0.0
    else:
        lonlat = pd.read_parquet(folder / "points", columns=["lon", "lat"])
        x, y = lonlat["lon"].to_numpy(), lonlat["lat"].to_numpy()
        if contender == "cold":  # the first run over this boundary version: build and keep the raster
            shutil.rmtree(raster_cache, ignore_errors=True)
        start, cpu = time.perf_counter(), time.process_time()
        assigner = cached_layers(grids, raster_cache).assigners[Level.GRID][0]
        build = time.perf_counter() - start
        answer = assigner.assign_xy(x, y, threads=threads)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    np.save(folder / f"answer-{contender}-{threads}.npy", answer)
    return {"seconds": seconds, "cpu": cpu, "build": build, "peak": float(peak_memory_bytes())}


def contend(folder: Path, contender: str, threads: int, raster_cache: Path) -> dict[str, float]:
    """Run one contender in a process of its own and read back what it reports."""
    command = [sys.executable, __file__, "--run", contender, "--threads", str(threads)]
    command += ["--folder", str(folder), "--raster-cache", str(raster_cache)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


DASK_ROW_GROUP = 125_000  # rows per Parquet row group in the Dask runs' input: eight partitions per million
DASK_RUNS = {
    "local": "gridmap assign, local engine, 1 process",
    "cluster": "gridmap assign, Dask LocalCluster, 2 workers",
    "external": "gridmap assign, Dask scheduler + 2 dask workers",
}


def dask_input(folder: Path) -> Path:
    """The points rewritten once with row groups of DASK_ROW_GROUP rows (the Dask engine's partitions)."""
    target, done = folder / "points-dask", folder / "points-dask.done"
    if not done.exists():
        target.mkdir(exist_ok=True)
        for part in sorted((folder / "points").glob("part-*.parquet")):
            gpd.read_parquet(part).to_parquet(target / part.name, row_group_size=DASK_ROW_GROUP)
        done.write_text("", encoding="utf-8")
    return target


@contextmanager
def external_scheduler(scratch: Path) -> Iterator[str]:
    """`dask scheduler` and two `dask worker` processes (one thread each) on 127.0.0.1, stopped on leaving."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{port}"
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"])]
    try:
        for number in range(2):
            options = ["--nthreads", "1", "--no-dashboard", "--local-directory", str(scratch / f"w{number}")]
            processes.append(subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", *options]))
        yield address
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _worker_usage() -> tuple[float, int]:
    """On a worker (which cannot import this folder's modules): its process's CPU seconds and peak resident memory."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def run_dask(folder: Path, engine: str, raster_cache: Path) -> dict[str, float]:
    """In this process: the whole `gridmap assign` (read, assign, write GeoParquet) on `engine`; its answer saved;
    wall seconds, CPU seconds and peak memory summed over this process and the workers (the scheduler left out)."""
    from gridmap.services.dask_cluster import dask_client
    from gridmap.services.household_assign import assign_households
    from gridmap.services.household_assign_dask import assign_households_on_cluster

    grids = gpd.read_parquet(folder / "grids.parquet")
    layers = cached_layers(grids, raster_cache)
    source, out = dask_input(folder), folder / f"assigned-{engine}"
    shutil.rmtree(out, ignore_errors=True)
    if engine == "local":
        cpu, start = time.process_time(), time.perf_counter()
        assign_households(source, out, layers=layers)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = peak_memory_bytes()
    else:
        with ExitStack() as stack:
            address = (
                stack.enter_context(external_scheduler(out.parent / "dask-scratch")) if engine == "external" else None
            )
            client = stack.enter_context(dask_client(scheduler=address, workers=None if address else 2))
            client.wait_for_workers(2, timeout=120)
            before = client.run(_worker_usage)
            cpu, start = time.process_time(), time.perf_counter()
            assign_households_on_cluster(source, out, client=client, layers=layers)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            after = client.run(_worker_usage)
            cpu += sum(after[w][0] - before[w][0] for w in after)
            peak = peak_memory_bytes() + sum(usage[1] for usage in after.values())
    codes = pd.read_parquet(out, columns=["grid_code"])["grid_code"]
    position = pd.Series(np.arange(len(grids)), index=grids["code"].astype(str))
    answer = codes.map(position).fillna(-1).to_numpy(dtype=np.intp)
    np.save(folder / f"answer-dask-{engine}.npy", answer)
    return {"seconds": seconds, "cpu": cpu, "peak": float(peak)}


def dask_rows(folder: Path, raster_cache: Path, expected: np.ndarray, baseline: float) -> None:
    """The whole command on the local engine and on Dask, each in a process of its own, beside sjoin's call."""
    print(
        f"\n{'whole command (read, assign, write)':48}{'seconds':>9}{'CPU s':>8}{'peak GiB':>10}{'x sjoin':>9}  answers"
    )
    for engine, name in DASK_RUNS.items():
        command = [sys.executable, __file__, "--run-dask", engine, "--folder", str(folder)]
        done = subprocess.run(
            [*command, "--raster-cache", str(raster_cache)], check=True, capture_output=True, text=True
        )
        report = json.loads(done.stdout.strip().splitlines()[-1])
        differ = int((np.load(folder / f"answer-dask-{engine}.npy") != expected).sum())
        same = "identical" if differ == 0 else f"{differ} DIFFER"
        print(
            f"{name:48}{report['seconds']:9.2f}{report['cpu']:8.2f}{report['peak'] / 2**30:10.2f}"
            f"{baseline / report['seconds']:9.1f}  {same}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--cache", type=Path, default=HERE / ".cache" / "assign_scale")
    parser.add_argument("--run", choices=["sjoin", "cold", "cached"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--raster-cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-dask", choices=sorted(DASK_RUNS), help=argparse.SUPPRESS)
    parser.add_argument("--no-dask", action="store_true", help="leave out the whole-command rows (local and Dask)")
    args = parser.parse_args()
    if args.run_dask:
        print(json.dumps(run_dask(args.folder, args.run_dask, args.raster_cache)))
        return
    if args.run:
        print(json.dumps(run_contender(args.folder, args.run, args.threads, args.raster_cache)))
        return

    folder = data_folder(args.cache, args.points, args.grids, args.seed)
    start = time.perf_counter()
    make_data(folder, args.points, args.grids, args.seed)
    hard = json.loads((folder / "done").read_text(encoding="utf-8"))["hard_points"]
    print(f"{args.points:,} points ({hard:,} on vertices and edges) x {args.grids:,} grids in {folder}")
    print(f"(data ready in {time.perf_counter() - start:.1f} s)")
    raster_cache = folder / "rasters"
    runs = [("sjoin", 1), ("cold", 1), ("cached", 1), ("cached", 2)]
    names = {"sjoin": "geopandas sjoin covered_by", "cold": "gridmap, raster built", "cached": "gridmap, raster cached"}
    reports = {run: contend(folder, *run, raster_cache) for run in runs}
    expected = np.load(folder / "answer-sjoin-1.npy")
    baseline = reports[("sjoin", 1)]["seconds"]
    cpu_baseline = reports[("sjoin", 1)]["cpu"]
    header = f"{'seconds':>9}{'of which build':>16}{'CPU s':>8}{'peak GiB':>10}{'x sjoin':>9}{'CPU x':>7}"
    print(f"\n{'':36}{header}  answers")
    for (contender, threads), report in reports.items():
        answer = np.load(folder / f"answer-{contender}-{threads}.npy")
        differ = int((answer != expected).sum())
        same = "identical" if differ == 0 else f"{differ} DIFFER"
        name = f"{names[contender]}, {threads} thread{'s' * (threads > 1)}"
        print(
            f"{name:36}{report['seconds']:9.2f}{report['build']:16.2f}{report['cpu']:8.2f}"
            f"{report['peak'] / 2**30:10.2f}"
            f"{baseline / report['seconds']:9.1f}{cpu_baseline / report['cpu']:7.1f}  {same}"
        )
    target = 10.0 if args.points >= 10_000_000 else 8.0
    best = min(reports[("cached", t)]["seconds"] for t in (1, 2))
    peak = max(report["peak"] for report in reports.values() if report is not reports[("sjoin", 1)])
    best_cpu = min(reports[("cached", t)]["cpu"] for t in (1, 2))
    print(f"\ngridmap (raster cached) vs sjoin: {baseline / best:.1f}x (target >= {target:g}x)")
    print(f"the same in CPU seconds (steadier on a loaded machine): {cpu_baseline / best_cpu:.1f}x")
    print(f"gridmap peak memory: {peak / 2**30:.2f} GiB (target < 2 GiB)")
    if not args.no_dask:
        dask_rows(folder, raster_cache, expected, baseline)


if __name__ == "__main__":
    main()
