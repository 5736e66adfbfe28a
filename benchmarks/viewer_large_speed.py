"""The viewer on a city-sized version in headless Chromium: loading by view against loading everything.

Builds the 100,000-microgrid coverage of benchmarks/check_speed.py (about 10,000 grids and 2,000 communities
near Shouning, every level an exact coverage), or with --grids N the sample region's lattice scaled to about N
grids as locate_speed.py and publish_speed.py build it (region_frame), stores and publishes it per backend
(SQLite in a temporary file; PostGIS in a throwaway database when GRIDMAP_TEST_PG_URL or the local default
answers) through the services, starts the app under uvicorn (2 workers) and opens the viewer in Debian's
headless Chromium, twice over:

  gridmap   the viewer as it is (web/js/viewer/): communities whole, grids and microgrids by view (a level
            above 3,000 features), merged by code, from the zoom where a view holds about 2,000 of them
  baseline  the same page with `?load=all`: every feature of every level fetched and drawn at once, which is
            what the viewer did for every version before

For each side, best of `--runs` fresh pages, it prints the time from opening the page until the first render
is on screen, then the same camera moves timed until drawn: a pan by 1.5 screen widths (beyond the box the
first load covered), a one-level zoom-in, and turning the microgrids on at the zoom where the view loader
draws them (for load=all only with --all-microgrids: drawing 100,000 microgrids as SVG was still running
after 7 minutes on the 2-core machine). Times are measured in the page (performance.now(), until two animation
frames after the work), so the driver's round trips are left out. The ratio baseline/gridmap is printed per
step, and the first render against the target (< 1 s).

At province size (--grids 100000: 19,565 communities) `--first-only` times only the first render, with the CPU
time the app, Playwright and Chromium spent on it, and `--old-path` puts beside it the first render as it was
before communities were loaded by view and large versions drawn on canvases (the page's modules served with
those two lines as they were), cut off after `--old-timeout` seconds (it never finished in 300 s at 100,000
grids).

Run: .venv/bin/python benchmarks/viewer_large_speed.py [--cells 100000 | --grids 100000] [--runs 2]
     [--backends sqlite postgis] [--all-microgrids] [--first-only [--old-path] [--old-timeout 300]] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import geopandas as gpd
from playwright.sync_api import TimeoutError as PageTimeout

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_speed import build_frame
from locate_speed import backend_url, describe, load, region_frame, running_app, verdict

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
CHROMIUM_ARGS += ["--disable-gpu"]
SEED = 20261128
PAGE_TIMEOUT_MS = 300_000
TARGET_FIRST_S = 1.0
STEPS = ("pan", "zoom", "microgrids")
STEP_LABELS = {
    "first": "first render, from opening the page",
    "pan": "pan 1.5 screens until drawn",
    "zoom": "zoom in one level until drawn",
    "microgrids": "microgrids on at their zoom, drawn",
}

# After `data-loaded` turned true: two animation frames, so that the drawing is on screen, then the time.
FIRST_RENDER = """() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(
    () => resolve(performance.now()))))"""

# One camera move, timed until drawn: for the view loader, until its next load has finished.
STEP = """async ({ step, byView, zoom }) => {
    const viewer = window.gridmapViewer;
    const map = viewer.map;
    const frames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const loaded = byView ? new Promise((resolve) => window.addEventListener('gridmap:view-loaded', resolve,
        { once: true })) : null;
    const start = performance.now();
    if (step === 'pan') map.panBy([Math.round(map.getSize().x * 1.5), 0], { animate: false });
    if (step === 'zoom') map.setZoom(map.getZoom() + 1, { animate: false });
    if (step === 'microgrids') {
        map.setZoom(zoom, { animate: false });
        map.addLayer(viewer.layers.microgrid);
    }
    if (loaded) await loaded;
    await frames();
    return { seconds: (performance.now() - start) / 1000, grids: viewer.count('grid'),
        microgrids: viewer.count('microgrid') };
}"""


# The old path (--old-path): page module -> (its line now, the line before province-scale loading).
OLD_PATH_LINES = {
    "/js/viewer/state.js": ("labelZoom: 14, viewZoom: 10, cacheLimit: 4000 }", "labelZoom: 14 }"),
    "/js/viewer/view-loading.js": ("drawOnCanvas(plans.some((plan) => !plan.features));", "drawOnCanvas(false);"),
}


def tree_cpu_s() -> float:
    """CPU seconds (user + system) spent so far by this process's living descendants: the app's workers,
    Playwright's driver and Chromium's processes."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    spent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        pid = int(stat.parent.name)
        parent[pid], spent[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    mine: set[int] = set()
    fresh = {os.getpid()}
    while fresh:
        fresh = {pid for pid, ppid in parent.items() if ppid in fresh} - mine
        mine |= fresh
    return sum(spent[pid] for pid in mine) / tick


def serve_old_path(context: Any) -> None:
    """Serve the viewer's modules as they were before province-scale loading (communities whole, SVG paths)."""

    def serve(route: Any) -> None:
        path = urlsplit(route.request.url).path
        now, before = OLD_PATH_LINES[path]
        body = route.fetch().text()
        if now not in body:
            msg = f"{path} no longer holds {now!r}: update OLD_PATH_LINES"
            raise RuntimeError(msg)
        route.fulfill(body=body.replace(now, before), content_type="text/javascript")

    for path in OLD_PATH_LINES:
        context.route(f"**{path}", serve)


def first_view(browser: Any, base: str, *, old_path: bool, timeout_s: float) -> tuple[float | None, float, str]:
    """One fresh page's first render: seconds in the page (None when cut off after `timeout_s`), the CPU seconds of
    the app, Playwright and Chromium meanwhile, and what was drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    try:
        if old_path:
            serve_old_path(context)
        page = context.new_page()
        page.set_default_timeout(timeout_s * 1000)
        cpu = tree_cpu_s()
        page.goto(base + "/")
        try:
            page.wait_for_function("() => document.body.dataset.loaded === 'true'", polling="raf")
        except PageTimeout:
            return None, tree_cpu_s() - cpu, "not drawn"
        seconds = page.evaluate(FIRST_RENDER) / 1000
        cpu = tree_cpu_s() - cpu
        drawn = page.evaluate(
            """() => { const v = window.gridmapViewer;
            return `zoom ${v.map.getZoom()}: ${v.count('community')} communities, ${v.count('grid')} grids`; }"""
        )
        return seconds, cpu, drawn
    finally:
        context.close()


def first_only(browser: Any, base: str, args: argparse.Namespace) -> float:
    """The first render, best of the runs, beside the old path's when asked; the best seconds."""
    best = float("inf")
    for _ in range(args.runs):
        seconds, cpu, drawn = first_view(browser, base, old_path=False, timeout_s=PAGE_TIMEOUT_MS / 1000)
        assert seconds is not None
        best = min(best, seconds)
        load = os.getloadavg()[0]
        print(f"  gridmap  first render {seconds:6.2f} s, CPU {cpu:6.2f} s ({drawn}; load average {load:.1f})")
    if args.old_path:
        load = os.getloadavg()[0]
        old = old_path_first_view(base, args.old_timeout)
        if old is None:
            print(f"  old path first render > {args.old_timeout:.0f} s (cut off; load average {load:.1f}): ", end="")
            print(f"> {args.old_timeout / best:.0f}x")
        else:
            print(f"  old path first render {old[0]:6.2f} s, CPU {old[1]:6.2f} s ({old[2]}): {old[0] / best:.1f}x")
    return best


def old_path_first_view(base: str, timeout_s: float) -> tuple[float, float, str] | None:
    """The old path's first render in a process of its own (`--old-path-page`), killed with its Chromium when cut
    off after `timeout_s`: a page drawing 19,565 SVG paths in one task answers nothing, a timeout included, until
    it is done. Its seconds, CPU seconds and what it drew; None when cut off."""
    command = [sys.executable, __file__, "--old-path-page", base]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True) as page:
        try:
            answer, _ = page.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(page.pid, signal.SIGKILL)
            page.wait()
            return None
    seconds, cpu, drawn = answer.strip().split("\t")
    return float(seconds), float(cpu), drawn


def old_path_page(base: str) -> int:
    """--old-path-page: print the old path's first render as 'seconds<TAB>CPU seconds<TAB>drawn'."""
    from playwright import sync_api as playwright_sync

    with playwright_sync.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        seconds, cpu, drawn = first_view(browser, base, old_path=True, timeout_s=24 * 3600)
        browser.close()
    print(f"{seconds}\t{cpu}\t{drawn}")
    return 0


@dataclass
class Side:
    """Best times of one side over the runs, and what its last run had drawn."""

    seconds: dict[str, float] = field(default_factory=dict)
    drawn: dict[str, str] = field(default_factory=dict)

    def keep(self, step: str, seconds: float) -> None:
        self.seconds[step] = min(self.seconds.get(step, float("inf")), seconds)


def city_frame(cells: int) -> gpd.GeoDataFrame:
    """check_speed's three-level coverage, with names the viewer can show and search."""
    frame = build_frame(cells, SEED)
    plural = {"community": "社区", "grid": "网格", "microgrid": "微网格"}
    frame["name"] = [f"{plural[level]} {code[-6:]}" for level, code in zip(frame["level"], frame["code"], strict=True)]
    return frame


def measure(
    browser: Any, base: str, *, by_view: bool, start: dict[str, Any], runs: int, all_microgrids: bool = False
) -> Side:
    """Best of `runs` fresh pages: first render, then the camera moves from `start` (centre and zooms)."""
    side = Side()
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
        try:
            page = context.new_page()
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(base + ("/" if by_view else "/?load=all"))
            # Polled every animation frame: at most one frame late.
            page.wait_for_function("() => document.body.dataset.loaded === 'true'", polling="raf")  # a function: CSP
            side.keep("first", page.evaluate(FIRST_RENDER) / 1000)
            print(f"    {'gridmap' if by_view else 'load=all'} first: {side.seconds['first']:.2f} s", flush=True)
            if by_view:  # the first view asks only for what it shows: its padding follows, before the moves
                page.wait_for_function("() => Number(document.body.dataset.viewLoaded || 0) >= 2")
            grids = page.evaluate("window.gridmapViewer.count('grid')")
            side.drawn["first"] = f"{grids:,} grids"
            if by_view:
                start.update(
                    page.evaluate(
                        """() => { const m = window.gridmapViewer.map, c = m.getCenter();
                        return { lat: c.lat, lng: c.lng, zoom: m.getZoom(),
                                 microgridZoom: window.gridmapViewer.viewLoading.minZoom.microgrid }; }"""
                    )
                )
            else:  # the same camera as the view loader's first render, not timed
                page.evaluate(
                    """s => new Promise((resolve) => { window.gridmapViewer.map.setView([s.lat, s.lng], s.zoom,
                        { animate: false }); requestAnimationFrame(() => requestAnimationFrame(resolve)); })""",
                    start,
                )
            for step in STEPS if by_view or all_microgrids else STEPS[:-1]:
                result = page.evaluate(STEP, {"step": step, "byView": by_view, "zoom": start["microgridZoom"]})
                side.keep(step, result["seconds"])
                side.drawn[step] = f"{result['grids']:,} grids, {result['microgrids']:,} microgrids"
                print(f"    {'gridmap' if by_view else 'load=all'} {step}: {result['seconds']:.2f} s", flush=True)
            print(f"  {'gridmap' if by_view else 'load=all'}: {side.seconds}", flush=True)
        finally:
            context.close()
    return side


def report(ours: Side, baseline: Side) -> None:
    """Both sides per step, with the ratio baseline/gridmap."""
    print(f"  {'':<40} {'gridmap':>9} {'load=all':>9} {'all/gridmap':>12}")
    for step in ("first", *STEPS):
        mine, theirs = ours.seconds[step], baseline.seconds.get(step)
        if theirs is None:
            print(f"  {STEP_LABELS[step]:<40} {mine:8.2f}s {'-':>9}   (load=all: not measured, see --all-microgrids)")
            continue
        print(f"  {STEP_LABELS[step]:<40} {mine:8.2f}s {theirs:8.2f}s {theirs / mine:11.1f}x")
        print(f"  {'':<40} drawn: {ours.drawn[step]} vs {baseline.drawn[step]}")


def run_backend(backend: str, frame: gpd.GeoDataFrame, args: argparse.Namespace) -> bool:
    """Store, publish and time the viewer on one backend; whether the first render met the target."""
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp:
        folder = Path(tmp)
        with backend_url(backend, folder) as url:
            if url is None:
                print(f"[{backend}] no database answers: skipped")
                return True
            print(f"[{backend}] stored and published in {load(url, frame):.1f} s", flush=True)
            from playwright import sync_api as playwright_sync

            app = running_app(url, folder, workers=args.workers, public_read="true")
            with app as base, playwright_sync.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
                try:
                    if args.first_only:
                        print(f"[{backend}] viewer in headless Chromium, first render:")
                        ok = first_only(browser, base, args) < TARGET_FIRST_S
                        print(f"  target first render < {TARGET_FIRST_S:.0f} s: {verdict(ok)}")
                        return ok
                    start: dict[str, Any] = {}
                    ours = measure(browser, base, by_view=True, start=start, runs=args.runs)
                    baseline = measure(
                        browser, base, by_view=False, start=start, runs=args.runs, all_microgrids=args.all_microgrids
                    )
                finally:
                    browser.close()
    print(
        f"[{backend}] viewer in headless Chromium, best of {args.runs} (start zoom {start['zoom']}, microgrids "
        f"from zoom {start['microgridZoom']}):"
    )
    report(ours, baseline)
    ok = ours.seconds["first"] < TARGET_FIRST_S
    print(f"  target first render < {TARGET_FIRST_S:.0f} s: {verdict(ok)}")
    return ok


def main() -> int:
    if sys.argv[1:2] == ["--old-path-page"]:
        return old_path_page(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--cells", type=int, default=100_000, help="check_speed's microgrids (default 100,000)")
    size.add_argument("--grids", type=int, help="instead: the sample region's lattice with about this many grids")
    parser.add_argument("--runs", type=int, default=2, help="fresh pages per side; the best counts (default 2)")
    parser.add_argument("--backends", nargs="+", default=["sqlite"], choices=["sqlite", "postgis"])
    parser.add_argument(
        "--all-microgrids",
        action="store_true",
        help="also time load=all drawing every microgrid (100,000 SVG paths still ran after 7 min on 2 cores)",
    )
    parser.add_argument("--first-only", action="store_true", help="time only the first render (province size)")
    parser.add_argument("--old-path", action="store_true", help="with --first-only: also the first render before")
    parser.add_argument("--old-timeout", type=float, default=300.0, help="seconds the old path is given (300)")
    parser.add_argument("--workers", type=int, default=2, help="the app's uvicorn workers (default 2)")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        print(f"{CHROMIUM} is missing: apt install chromium")
        return 1

    started = time.perf_counter()
    frame = city_frame(args.cells) if args.grids is None else region_frame(args.grids)
    print(f"region: {describe(frame)}, built in {time.perf_counter() - started:.1f} s", flush=True)
    failures = sum(not run_backend(backend, frame, args) for backend in args.backends)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
