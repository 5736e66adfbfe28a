"""GET /api/v1/locate under load on a 10,000-grid region, per backend, against a bare endpoint in the same run.

Builds the sample region scaled to about 10,000 grids (`generate_region(communities=N)`, N chosen from the
town's grids per community), stores and publishes it in each backend (SQLite in a temporary file; PostGIS in a
throwaway database when GRIDMAP_TEST_PG_URL or the local default answers), starts the real app under uvicorn
with 2 workers and no access log, and loads it over loopback for a bounded time:

  baseline  GET /api/v1/conformance: the same app and server with no lookup (the HTTP floor)
  gridmap   GET /api/v1/locate?lon=&lat= at points spread over the region (a few outside every grid)

printing requests/s and p99 per backend against the targets (>= 1,500 req/s, p99 < 25 ms) and the ratio to the
baseline. The load comes from wrk when installed (`apt-get install wrk`), else from a small asyncio httpx
client, which is slower than the server and so understates it. Only 127.0.0.1 is ever addressed.

Run: .venv/bin/python benchmarks/locate_speed.py [--grids 10000] [--duration 10] [--backends sqlite postgis]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gridmap.geo.hierarchy import Level  # noqa: E402
from gridmap.services import boundaries as boundary_service  # noqa: E402
from gridmap.store import open_store, upgrade_database  # noqa: E402
from gridmap_demo.region import BOUNDARY_COLUMNS, generate_region  # noqa: E402

TARGET_RPS = 1_500.0
TARGET_P99_MS = 25.0
GRIDS_PER_COMMUNITY = 46 / 9  # the town: 9 communities, 46 grids
HOST = "127.0.0.1"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT_S = 600.0  # each worker builds the point lookup before it answers: minutes at 100,000 grids on busy cores
POINTS = 2_000
SEED = 350924
REGION_CACHE = REPO / "benchmarks" / ".cache" / "region"


@dataclass(frozen=True)
class LoadResult:
    """What one bounded load run measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str


def region_frame(grids: int, cache: Path = REGION_CACHE) -> gpd.GeoDataFrame:
    """The sample region scaled to about `grids` grids, as a boundary frame ready to store (generated once per size
    and kept as GeoParquet in `cache`: 100,000 grids take minutes to generate and seconds to read)."""
    kept = cache / f"region-{grids}.parquet"
    if kept.is_file():
        return gpd.read_parquet(kept)
    communities = max(1, round(grids / GRIDS_PER_COMMUNITY))
    frame = generate_region(communities=communities).boundaries[list(BOUNDARY_COLUMNS)].copy()
    frame["source"] = "benchmark"
    frame["feature"] = range(len(frame))
    cache.mkdir(parents=True, exist_ok=True)
    partial = kept.with_suffix(".part")
    frame.to_parquet(partial)
    partial.replace(kept)
    return frame


def describe(frame: gpd.GeoDataFrame) -> str:
    """'N communities, N grids, N microgrids'."""
    counts = frame["level"].value_counts()
    plural = {Level.COMMUNITY: "communities", Level.GRID: "grids", Level.MICROGRID: "microgrids"}
    return ", ".join(f"{counts.get(level.value, 0):,} {plural[level]}" for level in Level)


@contextlib.contextmanager
def postgis_database(template: str | None = None) -> Iterator[str | None]:
    """A new database with PostGIS on the test server (a copy of database `template` when given), dropped
    afterwards; None when there is no server."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(os.environ.get("GRIDMAP_TEST_PG_URL", DEFAULT_PG_URL))
    if server.host not in (None, "localhost", "127.0.0.1", "::1"):
        print(f"  postgis: {server.host} is not this machine; benchmarks only address loopback")
        yield None
        return
    conninfo = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"gridmap_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    except psycopg.Error as err:
        print(f"  postgis: no server ({str(err).strip().splitlines()[0]}); set GRIDMAP_TEST_PG_URL")
        yield None
        return
    database = server.set(database=name)
    try:
        with psycopg.connect(database.set(drivername="postgresql").render_as_string(hide_password=False)) as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield database.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def backend_url(backend: str, folder: Path) -> Iterator[str | None]:
    """A new, migrated, empty database of `backend`."""
    if backend == "sqlite":
        sqlite_url = f"sqlite:///{folder / 'bench.db'}"
        upgrade_database(sqlite_url)
        yield sqlite_url
        return
    with postgis_database() as url:
        if url is not None:
            upgrade_database(url)
        yield url


def load(url: str, frame: gpd.GeoDataFrame) -> float:
    """Store and publish the frame; returns the seconds it took."""
    started = time.perf_counter()
    store = open_store(url)
    try:
        draft = store.import_version(boundary_service.DEFAULT_SET, frame, who="benchmark", why="benchmark")
        boundary_service.publish_version(store, draft.id, who="benchmark", why="benchmark")
    finally:
        store.close()
    return time.perf_counter() - started


def free_port() -> int:
    """A TCP port free on the loopback address."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running_app(
    url: str, folder: Path, *, workers: int = 2, factory: str = "gridmap.api.app:create_app", **settings: str
) -> Iterator[str]:
    """An app `factory` under uvicorn (`workers` processes, no access log) on a loopback port; yields its base URL.

    `settings` become GRIDMAP_* environment variables (e.g. public_read="true"); benchmarks/ is importable, so a
    benchmark may name a factory of its own.
    """
    port = free_port()
    env = {**os.environ, "GRIDMAP_DATABASE_URL": url, "GRIDMAP_SAMPLE_DIR": str(folder / "no-sample")}
    env.update({f"GRIDMAP_{name.upper()}": value for name, value in settings.items()})
    paths = [str(REPO), str(REPO / "benchmarks"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", HOST]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=folder, env=env)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                msg = f"uvicorn exited with {process.returncode}"
                raise RuntimeError(msg)
            try:
                with urllib.request.urlopen(f"{base}/api/v1/conformance", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def locate_paths(frame: gpd.GeoDataFrame, count: int = POINTS, seed: int = SEED) -> list[str]:
    """Locate requests at points spread over the region: uniform in its extent, so some fall outside."""
    grids = frame[frame["level"] == Level.GRID.value].geometry
    min_x, min_y, max_x, max_y = (float(v) for v in grids.total_bounds)
    rng = np.random.default_rng(seed)
    lon = rng.uniform(min_x, max_x, count)
    lat = rng.uniform(min_y, max_y, count)
    return [f"/api/v1/locate?lon={x:.7f}&lat={y:.7f}" for x, y in zip(lon, lat, strict=True)]


def share_outside(frame: gpd.GeoDataFrame, paths: Sequence[str]) -> float:
    """The share of the points that no grid covers."""
    grids = np.asarray(frame[frame["level"] == Level.GRID.value].geometry.values, dtype=object)
    coords = np.array([[float(v) for v in re.findall(r"=([-\d.]+)", path)] for path in paths])
    points = shapely.points(coords)
    covered = shapely.STRtree(grids).query(points, predicate="covered_by")[0]
    return 1.0 - len(np.unique(covered)) / len(paths)


# ---- load generators ------------------------------------------------------------------------------------


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def run_wrk(base: str, paths: Sequence[str], *, seconds: float, connections: int, folder: Path) -> LoadResult:
    """Load with wrk, cycling through `paths`; two threads (one for one connection), `connections` connections."""
    script = folder / f"paths-{uuid.uuid4().hex[:6]}.lua"
    listed = ",\n".join(f'  "{path}"' for path in paths)
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = (i % #paths) + 1\n  return wrk.format('GET', paths[i])\nend\n",
        encoding="utf-8",
    )
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(script),
    ]
    output = subprocess.run([*command, base], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _wrk_ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _wrk_ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    failed = re.search(r"Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)", output)
    errors = (int(bad.group(1)) if bad else 0) + (sum(int(g) for g in failed.groups()) if failed else 0)
    return LoadResult(rps, p50, p99, errors, "wrk")


async def _httpx_load(base: str, paths: Sequence[str], seconds: float, connections: int) -> LoadResult:
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(paths[i % len(paths)])
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400
                i += connections

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - started
    ms = np.asarray(latencies) * 1000.0
    return LoadResult(len(ms) / elapsed, float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), errors, "httpx")


def run_load(base: str, paths: Sequence[str], *, seconds: float, connections: int, folder: Path) -> LoadResult:
    """Load with wrk when it is installed, else with the asyncio httpx client."""
    if shutil.which("wrk"):
        return run_wrk(base, paths, seconds=seconds, connections=connections, folder=folder)
    return asyncio.run(_httpx_load(base, paths, seconds, connections))


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=10_000, help="about how many grids (default 10,000)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per run")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgis"], choices=["sqlite", "postgis"])
    args = parser.parse_args()

    started = time.perf_counter()
    frame = region_frame(args.grids)
    print(f"region: {describe(frame)} (generated in {time.perf_counter() - started:.1f} s)")
    paths = locate_paths(frame)
    print(f"points: {len(paths):,}, {share_outside(frame, paths):.0%} outside every grid (answered with the nearest)")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp:
        folder = Path(tmp)
        for backend in args.backends:
            with backend_url(backend, folder) as url:
                if url is None:
                    continue
                print(f"\n[{backend}] stored and published in {load(url, frame):.1f} s")
                with running_app(url, folder) as base:
                    load_args = {"seconds": args.duration, "connections": args.connections, "folder": folder}
                    # Warm-up: every worker has built its lookup and opened its connections before measuring.
                    run_load(base, paths, **{**load_args, "seconds": 3.0})
                    bare = run_load(base, ["/api/v1/conformance"], **load_args)
                    located = run_load(base, paths, **load_args)
                ok = located.requests_per_s >= TARGET_RPS and located.p99_ms < TARGET_P99_MS and not located.errors
                failures += not ok
                print(f"  load from {located.tool}, {args.connections} connections, {args.duration:.0f} s per run")
                print(
                    f"  baseline /conformance: {bare.requests_per_s:8,.0f} req/s   p50 {bare.p50_ms:6.2f} ms   "
                    f"p99 {bare.p99_ms:6.2f} ms"
                )
                print(
                    f"  gridmap  /locate:      {located.requests_per_s:8,.0f} req/s   p50 {located.p50_ms:6.2f} ms   "
                    f"p99 {located.p99_ms:6.2f} ms   errors {located.errors}"
                )
                print(f"  ratio to baseline: {located.requests_per_s / bare.requests_per_s:.2f} of its req/s")
                print(f"  target >= {TARGET_RPS:,.0f} req/s and p99 < {TARGET_P99_MS:.0f} ms: {verdict(ok)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
