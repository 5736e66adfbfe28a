"""`gridmap check` and `gridmap fix` as a user runs them (whole processes) against Python processes running shapely.

Writes check_speed's generated three-level coverage (100,000 microgrids in ~10,000 grids in ~2,000 communities,
near Shouning) as a GeoPackage in EPSG:4549 (CGCS2000 Gauss-Kruger, metres), then times fresh processes,
interleaved so that both sides of a comparison see the same load on a shared machine:

  check     `gridmap check FILE`                        vs  python: read FILE (geopandas), coverage_invalid_edges
                                                            on its microgrids                  (target: within 3x)
  fix       `gridmap fix FILE --out OUT.gpkg`           vs  python: read FILE, coverage_clean its microgrids
                                                            (gap width 1 m), write OUT.gpkg    (target: within 1.5x)

Each time is the wall time of the whole process: start-up, reading, the work, the report or the file written.
With --profile, one more `gridmap check` runs under cProfile and its 25 largest cumulative entries are printed.

Run: .venv/bin/python benchmarks/check_process.py [--cells 100000] [--repeat 2] [--crs EPSG:4549] [--profile]
"""

from __future__ import annotations

import argparse
import io
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyogrio
from check_real_boundaries import gridmap_command
from check_speed import build_frame

CHECK_TARGET = 3.0
FIX_TARGET = 1.5

READ = (
    "import sys, geopandas, shapely; frame = geopandas.read_file(sys.argv[1]); "
    "is_micro = (frame['level'] == 'microgrid').to_numpy(); micro = frame.geometry.values[is_micro]; "
)
RAW_CHECK = READ + "shapely.coverage_invalid_edges(micro)"
RAW_FIX = (
    READ + "frame.loc[is_micro, 'geometry'] = shapely.coverage_clean(micro, gap_width=1.0); frame.to_file(sys.argv[2])"
)


def wall_time(command: list[str], allowed_exit_codes: tuple[int, ...] = (0,)) -> float:
    """Seconds from starting `command` to its exit; it must end with one of the allowed exit codes."""
    start = time.perf_counter()
    run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - start
    if run.returncode not in allowed_exit_codes:
        msg = f"{' '.join(command)} exited with {run.returncode}:\n{run.stderr[-2000:]}"
        raise SystemExit(msg)
    return seconds


def profile_check(path: Path, folder: Path) -> str:
    """The 25 largest cumulative entries of one `gridmap check` process under cProfile."""
    stats_path = folder / "check.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(stats_path), "-m", "gridmap", "check", str(path)]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    text = io.StringIO()
    pstats.Stats(str(stats_path), stream=text).sort_stats("cumulative").print_stats(25)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000, help="microgrids in the coverage")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each process; the best time counts")
    parser.add_argument("--crs", default="EPSG:4549", help="CRS of the GeoPackage the processes read")
    parser.add_argument("--profile", action="store_true", help="also profile one `gridmap check` process")
    args = parser.parse_args()

    gridmap = gridmap_command()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        start = time.perf_counter()
        frame = build_frame(args.cells, args.seed).drop(columns=["source", "feature"]).to_crs(args.crs)
        path = folder / "coverage.gpkg"
        pyogrio.write_dataframe(frame, path, driver="GPKG")
        built = time.perf_counter() - start
        print(f"wrote {len(frame):,} features ({args.cells:,} microgrids) in {args.crs} in {built:.1f} s")

        sides = {
            "check": (
                [*gridmap, "check", str(path)],
                [sys.executable, "-c", RAW_CHECK, str(path)],
                CHECK_TARGET,
            ),
            "fix": (
                [*gridmap, "fix", str(path), "--out", str(folder / "fixed.gpkg")],
                [sys.executable, "-c", RAW_FIX, str(path), str(folder / "cleaned.gpkg")],
                FIX_TARGET,
            ),
        }
        print(f"\n{'':10}{'gridmap s':>12}{'shapely s':>12}{'ratio':>9}")
        for label, (ours, raw, target) in sides.items():
            best_ours = best_raw = float("inf")
            for _ in range(args.repeat):
                best_raw = min(best_raw, wall_time(raw))
                best_ours = min(best_ours, wall_time(ours, allowed_exit_codes=(0, 1)))
            ratio = best_ours / best_raw
            verdict = "OK" if ratio <= target else "MISSED"
            print(f"{label:10}{best_ours:12.2f}{best_raw:12.2f}{ratio:8.2f}x  (target <= {target:g}x: {verdict})")
        print(f"best of {args.repeat} interleaved runs each; whole processes, wall time")
        if args.profile:
            print()
            print(profile_check(path, folder))


if __name__ == "__main__":
    main()
