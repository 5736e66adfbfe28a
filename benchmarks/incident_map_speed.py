"""The viewer's incident layer on 200,000 incidents in headless Chromium, against sending every point.

Fills a new store (SQLite; PostGIS too with --postgis) with the sample region and `--incidents` sample
incidents (`gridmap_demo.incidents.generate_incidents`, stored with `import_incidents`), times the store's
map queries, then starts the app under uvicorn and opens the viewer in Debian's headless Chromium:

  gridmap   the viewer's incident layer (web/js/viewer/incidents.js): the server counts incidents per cell of the view
            (/api/v1/incident-map/cells) and the page draws a few hundred clusters
  naive     every incident as one GeoJSON answer (a route only this benchmark adds to the app), drawn by the
            same page as Leaflet circle markers on a canvas

For each it prints, best of `--runs`: the time from opening the page (navigation start) until the incidents
are drawn, the time from turning the layer on until then, and the time from starting a zoom-in (one level,
animated, as a click on + with zoomDelta 1 would) until the new view is drawn. Targets: first render and
zoom each under 1.5 s; the ratios to the target and of naive to gridmap are printed. Times are measured in
the page (performance.now()), so the driver's round trips are left out.

Run: .venv/bin/python benchmarks/incident_map_speed.py [--incidents 200000] [--runs 3] [--postgis]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi import FastAPI
from locate_speed import backend_url, running_app
from timing import Timing

from gridmap.api.app import create_app
from gridmap.api.dependencies import StoreDep
from gridmap.api.routers.incident_map import cell_size
from gridmap.geo.hierarchy import Level
from gridmap.services.demo import load_demo_region
from gridmap.store import open_store
from gridmap.store.incident_map import MAX_POINTS
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.interface import BoundaryStore
from gridmap_demo.incidents import generate_incidents

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-gpu"]
TARGET_S = 1.5
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


def fill(url: str, count: int) -> tuple[float, float]:
    """The sample region published and `count` incidents in it; seconds to generate and to store them."""
    store = open_store(url)
    try:
        version = load_demo_region(store, REPO / "data")
        frame = store.version_frame(version.id)
        started = time.perf_counter()
        incidents = generate_incidents(frame, count=count, start=START, end=END, id_prefix="bench-")
        generated = time.perf_counter() - started
        started = time.perf_counter()
        store.import_incidents(incidents)
        stored = time.perf_counter() - started
    finally:
        store.close()
    return generated, stored


def time_queries(url: str, runs: int) -> None:
    """Best-of-`runs` times of the store's incident-map queries."""
    store = open_store(url)
    try:
        bounds = _region_bounds(store)
        centre_lon, centre_lat = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
        street = (centre_lon - 0.002, centre_lat - 0.002, centre_lon + 0.002, centre_lat + 0.002)
        queries = {
            "cells, whole region, zoom 14": lambda: store.incident_cells(IncidentFilter(bbox=bounds), cell_size(14)),
            "cells, whole region, one month": lambda: store.incident_cells(
                IncidentFilter(
                    bbox=bounds,
                    reported_since=datetime(2026, 10, 1, tzinfo=UTC),
                    reported_before=datetime(2026, 11, 1, tzinfo=UTC),
                ),
                cell_size(14),
            ),
            "cells, 400 m square, zoom 17": lambda: store.incident_cells(IncidentFilter(bbox=street), cell_size(17)),
            "counts per grid": lambda: store.incident_area_counts(IncidentFilter(), Level.GRID),
            "points, 400 m square, newest 2,000": lambda: store.incident_points(IncidentFilter(bbox=street), 2000),
            "extent": lambda: store.incident_extent(IncidentFilter()),
        }
        for label, query in queries.items():
            timing = Timing(query)
            for _ in range(runs):
                timing.run()
            print(f"    {label:<40} {timing.seconds * 1000:8.1f} ms")
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
            page.wait_for_function("document.body.dataset.loaded === 'true'", timeout=60_000)
            shown = page.evaluate(first, NAIVE_PATH)
            zoomed = page.evaluate(zoom)
            side.from_page_s = min(side.from_page_s, shown["fromPage"] / 1000)
            side.from_on_s = min(side.from_on_s, shown["fromOn"] / 1000)
            side.zoom_s = min(side.zoom_s, zoomed["seconds"])
            side.note = f"{shown['shown']:,} drawn for {shown['total']:,} incidents"
        finally:
            context.close()
    return side


def report(gridmap: Side, naive: Side) -> None:
    """The two sides, their ratio and the verdicts against the target."""
    print(f"    {'':<38} {'gridmap':>9} {'naive':>9} {'naive/gridmap':>14}")
    rows = [
        ("first render, from opening the page", gridmap.from_page_s, naive.from_page_s),
        ("first render, from turning the layer on", gridmap.from_on_s, naive.from_on_s),
        ("zoom in one level until drawn", gridmap.zoom_s, naive.zoom_s),
    ]
    for label, ours, theirs in rows:
        print(f"    {label:<38} {ours:8.2f}s {theirs:8.2f}s {theirs / ours:13.1f}x")
    print(f"    gridmap: {gridmap.note}; naive: {naive.note}")
    for label, seconds in (("first render (from opening the page)", gridmap.from_page_s), ("zoom", gridmap.zoom_s)):
        verdict = "meets" if seconds < TARGET_S else "MISSES"
        print(f"    {label}: {seconds:.2f} s = {seconds / TARGET_S:.2f} x the {TARGET_S} s target ({verdict} it)")


def run_backend(backend: str, count: int, runs: int, folder: Path) -> None:
    """Fill one backend, time its queries, then the browser on both sides."""
    from playwright import sync_api as playwright_sync

    with backend_url(backend, folder) as url:
        if url is None:
            return
        print(f"{backend}: {count:,} incidents in the sample region")
        generated, stored = fill(url, count)
        print(f"    generate {generated:.1f} s, store (import_incidents) {stored:.1f} s")
        print("  store queries (best of runs):")
        time_queries(url, runs)
        print("  viewer in headless Chromium (best of runs):")
        app = running_app(url, folder, workers=1, factory="incident_map_speed:benchmark_app", public_read="true")
        with app as base, playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                ours = measure(browser, base, GRIDMAP_FIRST, GRIDMAP_ZOOM, runs)
                theirs = measure(browser, base, NAIVE_FIRST, NAIVE_ZOOM, runs)
            finally:
                browser.close()
        report(ours, theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200_000, help="incidents to store (default 200,000)")
    parser.add_argument("--runs", type=int, default=3, help="fresh pages per side; the best counts (default 3)")
    parser.add_argument("--postgis", action="store_true", help="also on PostGIS (GRIDMAP_TEST_PG_URL or local)")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        print(f"{CHROMIUM} is missing: apt install chromium")
        return 1
    for backend in ("sqlite", "postgis") if args.postgis else ("sqlite",):
        with tempfile.TemporaryDirectory() as folder:
            run_backend(backend, args.incidents, args.runs, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
