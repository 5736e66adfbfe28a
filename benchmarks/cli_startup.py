"""Start-up of the `gridmap` command as a user runs it, against a bare `python -c "import shapely"`.

Times, in fresh processes, interleaved so that all three see the same load on a shared machine:

  baseline  python -c "import shapely"
  help      gridmap --help
  check     gridmap check on the 9 communities of the sample region (a 9-feature GeoJSON)
  cached    the same with gridmap's bytecode cached, as an installed gridmap runs (pip compiles it): with
            PYTHONDONTWRITEBYTECODE set and an editable install, every run above compiles gridmap's modules
            again (0.07 s of CPU), while the baseline's shapely and numpy load theirs from site-packages
  pyogrio   python -c "import pyogrio": what a process reading a boundary file through GDAL pays (pyogrio
            imports geopandas and pandas itself when they are installed); `gridmap check` reads GeoJSON and plain
            GeoPackages without it (gridmap.io.geopackage), so this is no floor for it, only for Shapefiles

and prints the median and best of each and what each costs over the baseline (target: under 0.3 s), with the
CPU time each used (user + system), a figure a shared machine's load disturbs less. Also lists
the largest imports of `gridmap check` (`-X importtime`), which is where the rest of its start-up goes.

Run: .venv/bin/python benchmarks/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from check_real_boundaries import gridmap_command

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "shouning_aoyang.geojson"
TARGET_S = 0.3
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)$", flags=re.M)


def nine_communities(folder: Path) -> Path:
    """The sample region's 9 communities alone, as a GeoJSON file."""
    document = json.loads(SAMPLE.read_text(encoding="utf-8"))
    document["features"] = [f for f in document["features"] if f["properties"].get("level") == "community"]
    path = folder / "communities.geojson"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def run_time(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds from starting `command` to its exit, and the CPU seconds (user + system) it used; it must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), command)
    return wall, usage.ru_utime + usage.ru_stime


def bytecode_cached(folder: Path) -> dict[str, str]:
    """An environment whose Python writes and reads every module's bytecode in `folder`."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return environment | {"PYTHONPYCACHEPREFIX": str(folder / "pycache")}


def largest_imports(command: list[str], count: int) -> list[tuple[str, float]]:
    """The top-level imports of a run of `python -m gridmap ...` that took longest (cumulative seconds)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gridmap", *command[1:]], capture_output=True, text=True, check=True
    )
    top = [(name, int(micros) / 1e6) for micros, indent, name in IMPORT_LINE.findall(run.stderr) if indent == " "]
    return sorted(top, key=lambda pair: pair[1], reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command; medians and bests are printed")
    args = parser.parse_args()

    gridmap = gridmap_command()
    with tempfile.TemporaryDirectory() as folder:
        sample = nine_communities(Path(folder))
        cached = bytecode_cached(Path(folder))
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
            'python -c "import shapely"': ([sys.executable, "-c", "import shapely"], None),
            "gridmap --help": ([*gridmap, "--help"], None),
            "gridmap check (9 features)": ([*gridmap, "check", str(sample)], None),
            "  bytecode cached": ([*gridmap, "check", str(sample)], cached),
            'python -c "import pyogrio"': ([sys.executable, "-c", "import pyogrio"], None),
        }
        run_time(*commands["  bytecode cached"])  # compiles the bytecode once
        seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (command, env) in commands.items():
                seconds[name].append(run_time(command, env))
        imports = largest_imports(["gridmap", "check", str(sample)], 6)

    baseline_name = next(iter(commands))
    baseline = statistics.median(wall for wall, _ in seconds[baseline_name])
    baseline_cpu = statistics.median(cpu for _, cpu in seconds[baseline_name])
    print(f"{'':30}{'median s':>9}{'best s':>8}{'over baseline':>15}{'CPU s':>8}{'CPU over':>10}")
    for name, runs in seconds.items():
        median, cpu = statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs)
        over = "" if name == baseline_name else f"{median - baseline:+.3f} s"
        cpu_over = "" if name == baseline_name else f"{cpu - baseline_cpu:+.3f} s"
        verdict = "" if name.startswith("python") else ("  OK" if median - baseline < TARGET_S else "  MISSED")
        best = min(wall for wall, _ in runs)
        print(f"{name:30}{median:9.3f}{best:8.3f}{over:>15}{cpu:8.3f}{cpu_over:>10}{verdict}")
    print(f"{args.runs} runs each, interleaved; target: under {TARGET_S} s over the baseline (wall-clock medians)")
    print(f"CPU: user + system medians, which load inflates less; load average now {os.getloadavg()[0]:.2f}")
    print("largest imports of `gridmap check` (cumulative s, one run):")
    for name, cumulative in imports:
        print(f"  {name:30}{cumulative:8.3f}")


if __name__ == "__main__":
    main()
