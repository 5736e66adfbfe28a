"""Start-up of the `gridmap` command as a user runs it, against a bare `python -c "import shapely"`.

Times, in fresh processes, interleaved so that all three see the same load on a shared machine:

  baseline  python -c "import shapely"
  help      gridmap --help
  check     gridmap check on the 9 communities of the sample region (a 9-feature GeoJSON)
  pyogrio   python -c "import pyogrio": what a process reading a boundary file through GDAL pays (pyogrio
            imports geopandas and pandas itself when they are installed); `gridmap check` reads GeoJSON and plain
            GeoPackages without it (gridmap.io.geopackage), so this is no floor for it, only for Shapefiles

and prints the median and best of each and what each costs over the baseline (target: under 0.3 s). Also lists
the largest imports of `gridmap check` (`-X importtime`), which is where the rest of its start-up goes.

Run: .venv/bin/python benchmarks/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
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


def wall_time(command: list[str]) -> float:
    """Seconds from starting `command` to its exit (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


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
        commands = {
            'python -c "import shapely"': [sys.executable, "-c", "import shapely"],
            "gridmap --help": [*gridmap, "--help"],
            "gridmap check (9 features)": [*gridmap, "check", str(sample)],
            'python -c "import pyogrio"': [sys.executable, "-c", "import pyogrio"],
        }
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                seconds[name].append(wall_time(command))
        imports = largest_imports(["gridmap", "check", str(sample)], 6)

    baseline_name = next(iter(commands))
    baseline = statistics.median(seconds[baseline_name])
    print(f"{'':32}{'median s':>10}{'best s':>10}{'over baseline':>16}")
    for name, times in seconds.items():
        median = statistics.median(times)
        over = "" if name == baseline_name else f"{median - baseline:+.3f} s"
        verdict = "" if not name.startswith("gridmap") else ("  OK" if median - baseline < TARGET_S else "  MISSED")
        print(f"{name:32}{median:10.3f}{min(times):10.3f}{over:>16}{verdict}")
    print(f"{args.runs} runs each, interleaved; target: under {TARGET_S} s over the baseline (medians)")
    print("largest imports of `gridmap check` (cumulative s, one run):")
    for name, cumulative in imports:
        print(f"  {name:30}{cumulative:8.3f}")


if __name__ == "__main__":
    main()
