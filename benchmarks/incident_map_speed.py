"""The viewer's incident layer on 200,000 and 2,000,000 incidents side by side, in headless Chromium.

Fills a store (SQLite; PostGIS too with --postgis) with the sample region and each of `--incidents` sample
incidents (`gridmap_demo.incidents.generate_incidents` in chunks of 200,000, stored with `import_incidents`, which
keeps the map's cell counts), cached by size and seed (see `--cache`), times the store's map queries, then starts
the app under uvicorn and opens the viewer in Debian's headless Chromium:

  gridmap   the viewer's incident layer (web/js/viewer/incidents.js): the server sums the kept counts per cell of
            the view (/api/v1/incident-map/cells) and the page draws a few hundred clusters
  naive     every incident as one GeoJSON answer (a route only this benchmark adds to the app), drawn by the
            same page as Leaflet circle markers on a canvas (only up to 200,000 incidents)

For each size it prints, best of `--runs`: the time from opening the page (navigation start) until the incidents
are drawn, the time from turning the layer on until then, the time from starting a zoom-in (one level, animated,
as a click on + with zoomDelta 1 would) until the new view is drawn, and the store's queries, among them the
whole region's cells, the counts per grid and the time extent counted from the incidents themselves (the paths
before the kept counts). Targets at the largest size: first render under 1 s, zoom under 0.5 s, the store's
whole-region cell query under 100 ms, and flat in the number of incidents. Times are measured in the page
(performance.now()), so the driver's round trips are left out. The store's queries print their CPU time beside
the wall time (this process only: on PostGIS the server's work is not in it), and the load average is printed,
since wall times on a shared machine are only as good as its load.

Run: .venv/bin/python benchmarks/incident_map_speed.py [--incidents 200000 2000000] [--runs 3] [--postgis]
     [--seed 350924] [--cache DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi import FastAPI
from locate_speed import DEFAULT_PG_URL, running_app
from timing import Timing

from gridmap.api.app import create_app
from gridmap.api.dependencies import StoreDep
from gridmap.api.routers.incident_map import cell_size, snap_to_cells
from gridmap.geo.hierarchy import Level
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.services.demo import load_demo_region
from gridmap.store import migrate, open_store, upgrade_database
from gridmap.store.incident_map import MAX_POINTS
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from gridmap_demo.incidents import DEFAULT_INCIDENT_SEED, generate_incidents

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-gpu"]
TARGET_FIRST_S = 1.0
TARGET_ZOOM_S = 0.5
TARGET_QUERY_S = 0.1
CHUNK = 200_000  # incidents generated and stored at a time
NAIVE_MAX = 200_000  # every point as GeoJSON beyond this takes minutes: no comparison
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gridmap-benchmarks"
CHINA = timezone(timedelta(hours=8))
MONTH_START = datetime(2026, 10, 1, tzinfo=CHINA)
MONTH_END = datetime(2026, 11, 1, tzinfo=CHINA)
START_TIMEOUT_S = 120.0
NAIVE_PATH = "/benchmark/all-incidents"
START = datetime(2025, 12, 1, tzinfo=UTC)
END = datetime(2026, 11, 28, tzinfo=UTC)


def benchmark_app() -> FastAPI:
    """The app (settings from the environment) plus the naive baseline's route: every incident as GeoJSON."""
    app = create_app()

    @app.get(NAIVE_PATH, include_in_schema=False)
    def all_incidents(store: StoreDep) -> dict[str, Any]:
        points, _ = store.incident_points(IncidentFilter(), MAX_POINTS)
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(p.lon, 7), round(p.lat, 7)]},
                "properties": {"id": p.id, "category": p.category, "status": p.status.value},
            }
            for p in points
        ]
        return {"type": "FeatureCollection", "features": features}

    return app


def fill(url: str, count: int, seed: int) -> tuple[float, float]:
    """The sample region published and `count` incidents in it, generated and stored a chunk at a time (memory
    holds one chunk); seconds to generate and to store them."""
    store = open_store(url)
    generated = stored = 0.0
    try:
        version = load_demo_region(store, REPO / "data")
        frame = store.version_frame(version.id)
        for number, first in enumerate(range(0, count, CHUNK)):
            started = time.perf_counter()
            size = min(CHUNK, count - first)
            incidents = generate_incidents(
                frame, count=size, start=START, end=END, seed=seed + number, id_prefix=f"bench{number}-"
            )
            generated += time.perf_counter() - started
            started = time.perf_counter()
            store.import_incidents(incidents)
            stored += time.perf_counter() - started
    finally:
        store.close()
    return generated, stored


def cache_key(count: int, seed: int) -> str:
    """What a kept store is named by: size, seed and the schema's revision (a new migration fills again)."""
    return f"incidents_{count}_seed{seed}_rev{migrate.head_revision()}"


@contextlib.contextmanager
def cached_store(backend: str, count: int, seed: int, cache: Path) -> Iterator[str | None]:
    """The URL of a store holding `count` incidents of `seed`, filled once and kept: a SQLite file in `cache`, or
    a PostGIS database named by the key. A store is filled under another name and renamed when whole."""
    key = cache_key(count, seed)
    if backend == "sqlite":
        cache.mkdir(parents=True, exist_ok=True)
        kept = cache / f"{key}.db"
        if not kept.exists():
            partial = cache / f"{key}.filling.db"
            partial.unlink(missing_ok=True)
            url = f"sqlite:///{partial}"
            upgrade_database(url)
            print(f"    filling {kept} (once)", flush=True)
            report_fill(*fill(url, count, seed))
            partial.rename(kept)
        yield f"sqlite:///{kept}"
        return
    with kept_postgis_database(f"gridmap_bench_{key}") as (url, fresh):
        if url is not None and fresh:
            upgrade_database(url)
            print(f"    filling PostGIS database gridmap_bench_{key} (once)", flush=True)
            report_fill(*fill(url, count, seed))
        yield url


@contextlib.contextmanager
def kept_postgis_database(name: str) -> Iterator[tuple[str | None, bool]]:
    """The URL of database `name` on the local PostGIS server and whether it is new (made as `name`_filling and
    renamed to `name` when the block ends well); (None, False) when there is no server."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(os.environ.get("GRIDMAP_TEST_PG_URL", DEFAULT_PG_URL))
    admin_info = server.set(drivername="postgresql").render_as_string(hide_password=False)
    filling = f"{name}_filling"
    try:
        with psycopg.connect(admin_info, autocommit=True, connect_timeout=5) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
            if not exists:
                admin.execute(f'DROP DATABASE IF EXISTS "{filling}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{filling}"')
    except psycopg.Error as err:
        print(f"  postgis: no server ({str(err).strip().splitlines()[0]}); set GRIDMAP_TEST_PG_URL")
        yield None, False
        return
    target = server.set(database=name if exists else filling)
    if not exists:
        with psycopg.connect(target.set(drivername="postgresql").render_as_string(hide_password=False)) as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    yield target.render_as_string(hide_password=False), not exists
    if not exists:
        with psycopg.connect(admin_info, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{filling}" RENAME TO "{name}"')


def report_fill(generated: float, stored: float) -> None:
    print(f"    generate {generated:.1f} s, store (import_incidents, with the map counts) {stored:.1f} s", flush=True)


WHOLE_REGION_CELLS = "cells, whole region, zoom 14"


def time_queries(url: str, runs: int) -> dict[str, tuple[float, float]]:
    """Best-of-`runs` wall and CPU seconds of the store's incident-map queries, by label."""
    store = open_store(url)
    try:
        assert isinstance(store, SqlBoundaryStore)
        bounds = _region_bounds(store)
        centre_lon, centre_lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
        street = (centre_lon - 0.002, centre_lat - 0.002, centre_lon + 0.002, centre_lat + 0.002)
        # The bboxes as the cells route sends them: grown to whole cells.
        region_14, street_17 = snap_to_cells(bounds, cell_size(14)), snap_to_cells(street, cell_size(17))
        region = IncidentFilter(bbox=region_14)
        month = replace(region, reported_since=MONTH_START, reported_before=MONTH_END)
        public = replace(region, generalised_m=50.0, excluded_categories=default_taxonomy().private_codes())
        everywhere_public = replace(public, bbox=None)
        month_noise = replace(month, bbox=None, category="noise_livestock")
        queries: dict[str, Callable[[], object]] = {
            WHOLE_REGION_CELLS: lambda: store.incident_cells(region, cell_size(14)),
            "the same, counted from the incidents": lambda: store.recounted_cells(region, cell_size(14)),
            "cells, whole region, one month": lambda: store.incident_cells(month, cell_size(14)),
            "cells, whole region, public": lambda: store.incident_cells(public, cell_size(14)),
            "cells, 400 m square, zoom 17": lambda: store.incident_cells(IncidentFilter(bbox=street_17), cell_size(17)),
            "counts per grid": lambda: store.incident_area_counts(IncidentFilter(), Level.GRID),
            "counts per grid, counted from the incidents": lambda: store.recounted_area_counts(
                IncidentFilter(), Level.GRID
            ),
            "counts per grid, one month, one category": lambda: store.incident_area_counts(month_noise, Level.GRID),
            "counts per microgrid, public": lambda: store.incident_area_counts(everywhere_public, Level.MICROGRID),
            "points, 400 m square, newest 2,000": lambda: store.incident_points(IncidentFilter(bbox=street), 2000),
            "extent": lambda: store.incident_extent(IncidentFilter()),
            "extent, counted from the incidents": lambda: store.recounted_extent(IncidentFilter()),
            "extent, one category": lambda: store.incident_extent(IncidentFilter(category="noise_livestock")),
        }
        figures = {}
        for label, query in queries.items():
            timing = Timing(query)
            for _ in range(runs):
                timing.run()
            figures[label] = (timing.seconds, timing.cpu_seconds)
        return figures
    finally:
        store.close()


def _region_bounds(store: BoundaryStore) -> tuple[float, float, float, float]:
    published = store.list_sets()[0].published_version
    assert published is not None
    min_x, min_y, max_x, max_y = (float(v) for v in store.version_frame(published).total_bounds)
    return (min_x, min_y, max_x, max_y)


# In the page: turn the layer on, wait for its render event; the times since navigation start and since on.
GRIDMAP_FIRST = """async () => {
    const rendered = new Promise((resolve) => window.addEventListener('gridmap:incidents-rendered',
        (event) => resolve(event.detail), { once: true }));
    const on = performance.now();
    window.gridmapIncidents.show('incidents');
    const detail = await rendered;
    const done = performance.now();
    return { fromPage: done, fromOn: done - on, total: detail.total, shown: detail.shown };
}"""
GRIDMAP_ZOOM = """async () => {
    const map = window.gridmapViewer.map;
    const rendered = new Promise((resolve) => window.addEventListener('gridmap:incidents-rendered',
        (event) => resolve(event.detail), { once: true }));
    const start = performance.now();
    map.setZoom(Math.floor(map.getZoom()) + 1);
    const detail = await rendered;
    return { seconds: (performance.now() - start) / 1000, total: detail.total, shown: detail.shown };
}"""
NAIVE_FIRST = """async (path) => {
    const frames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const on = performance.now();
    const body = await (await fetch(path)).json();
    const renderer = L.canvas({ padding: 0.1 });
    window.naiveLayer = L.geoJSON(body, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { renderer, radius: 3, weight: 1, color: '#e8590c' }),
    }).addTo(window.gridmapViewer.map);
    await frames();
    const done = performance.now();
    return { fromPage: done, fromOn: done - on, total: body.features.length, shown: body.features.length };
}"""
NAIVE_ZOOM = """async () => {
    const map = window.gridmapViewer.map;
    const frames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const moved = new Promise((resolve) => map.once('moveend', resolve));
    const start = performance.now();
    map.setZoom(Math.floor(map.getZoom()) + 1);
    await moved;
    await frames();
    return { seconds: (performance.now() - start) / 1000 };
}"""


@dataclass
class Side:
    """Best times of one side over the runs."""

    from_page_s: float = float("inf")
    from_on_s: float = float("inf")
    zoom_s: float = float("inf")
    note: str = ""


def measure(browser: Any, base: str, first: str, zoom: str, runs: int) -> Side:
    """Best of `runs` fresh pages: first render (from navigation and from turning on) and one zoom-in."""
    side = Side()
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
        try:
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=60_000)
            shown = page.evaluate(first, NAIVE_PATH)
            zoomed = page.evaluate(zoom)
            side.from_page_s = min(side.from_page_s, shown["fromPage"] / 1000)
            side.from_on_s = min(side.from_on_s, shown["fromOn"] / 1000)
            side.zoom_s = min(side.zoom_s, zoomed["seconds"])
            side.note = f"{shown['shown']:,} drawn for {shown['total']:,} incidents"
        finally:
            context.close()
    return side


@dataclass
class Figures:
    """What the store of one size measured."""

    count: int
    queries: dict[str, tuple[float, float]]
    gridmap: Side
    naive: Side | None


def measure_size(backend: str, count: int, runs: int, seed: int, cache: Path, folder: Path) -> Figures | None:
    """The store's queries and the browser on a store of `count` incidents; None when the backend is missing."""
    from playwright import sync_api as playwright_sync

    print(f"{backend}: {count:,} incidents in the sample region", flush=True)
    with cached_store(backend, count, seed, cache) as url:
        if url is None:
            return None
        queries = time_queries(url, runs)
        app = running_app(url, folder, workers=1, factory="incident_map_speed:benchmark_app", public_read="true")
        with app as base, playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                ours = measure(browser, base, GRIDMAP_FIRST, GRIDMAP_ZOOM, runs)
                theirs = measure(browser, base, NAIVE_FIRST, NAIVE_ZOOM, runs) if count <= NAIVE_MAX else None
            finally:
                browser.close()
    return Figures(count, queries, ours, theirs)


def report(backend: str, sizes: list[Figures]) -> None:
    """The sizes side by side, the largest over the smallest (flat in N is 1x), and the verdicts at the largest."""
    largest, smallest = sizes[-1], sizes[0]
    print(f"{backend}, best of runs (wall; store queries: wall / CPU of this process):")
    print(f"    {'':<44}" + "".join(f"{f.count:>22,}" for f in sizes) + f"{'largest/smallest':>18}")
    rows: list[tuple[str, Callable[[Figures], tuple[float, float | None]]]] = [
        ("first render, from opening the page", lambda f: (f.gridmap.from_page_s, None)),
        ("first render, from turning the layer on", lambda f: (f.gridmap.from_on_s, None)),
        ("zoom in one level until drawn", lambda f: (f.gridmap.zoom_s, None)),
    ]
    rows += [(f"store: {label}", lambda f, label=label: f.queries[label]) for label in smallest.queries]
    for label, measured in rows:
        values = [measured(f) for f in sizes]
        shown = "".join(f"{_shown(wall) + ('' if cpu is None else ' / ' + _shown(cpu)):>22}" for wall, cpu in values)
        print(f"    {label:<44}{shown}{values[-1][0] / values[0][0]:>17.1f}x")
    for figures in sizes:
        if figures.naive is not None:
            naive, ours = figures.naive, figures.gridmap
            print(
                f"    naive page at {figures.count:,}: first render {naive.from_page_s:.2f} s,"
                f" zoom {naive.zoom_s:.2f} s"
                f" ({naive.from_page_s / ours.from_page_s:.1f}x and {naive.zoom_s / ours.zoom_s:.1f}x gridmap's)"
            )
    print(f"    gridmap at {largest.count:,}: {largest.gridmap.note}")
    verdicts = (
        ("first render (from opening the page)", largest.gridmap.from_page_s, TARGET_FIRST_S),
        ("zoom", largest.gridmap.zoom_s, TARGET_ZOOM_S),
        ("store whole-region cell query", largest.queries[WHOLE_REGION_CELLS][0], TARGET_QUERY_S),
    )
    for label, seconds, target in verdicts:
        verdict = "meets" if seconds < target else "MISSES"
        ratio = seconds / target
        print(
            f"    {label} at {largest.count:,}: {_shown(seconds)} = {ratio:.2f} x"
            f" the {_shown(target)} target ({verdict} it)"
        )


def _shown(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, nargs="+", default=[200_000, 2_000_000], help="store sizes")
    parser.add_argument("--runs", type=int, default=3, help="fresh pages and query runs; the best counts (default 3)")
    parser.add_argument("--postgis", action="store_true", help="also on PostGIS (GRIDMAP_TEST_PG_URL or local)")
    parser.add_argument("--seed", type=int, default=DEFAULT_INCIDENT_SEED, help="the generator's seed")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"where filled stores are kept ({DEFAULT_CACHE})"
    )
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        print(f"{CHROMIUM} is missing: apt install chromium")
        return 1
    print(f"load average at the start: {' '.join(f'{load:.1f}' for load in os.getloadavg())} ({os.cpu_count()} cores)")
    for backend in ("sqlite", "postgis") if args.postgis else ("sqlite",):
        sizes = []
        for count in sorted(args.incidents):
            with tempfile.TemporaryDirectory() as folder:
                figures = measure_size(backend, count, args.runs, args.seed, args.cache, Path(folder))
            if figures is not None:
                sizes.append(figures)
        if sizes:
            report(backend, sizes)
    print(f"load average at the end: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
