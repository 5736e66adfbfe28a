"""`gridmap check` on China's 2,887 counties with --jobs 1 and --jobs 2: wall and CPU time, problems by kind.

The CLI runs in a subprocess exactly as a user runs it (the file from ../shared/data/boundaries-cn, gunzipped
to a temporary folder; never copied into the project):

  gridmap check china_county_level_datav.geojson --crs gcj02 --code-field adcode --flat --format json --jobs N

Each run's wall time, its CPU time (the check and its worker processes, from wait4: on a machine shared with
others the CPU time is the steadier figure) and its problem counts are printed; the counts must be equal for
every N (the script exits 1 when they are not). Target: under 15 s wall with every search done.

Run: .venv/bin/python benchmarks/check_country.py [--jobs 1 2] [--repeat 1]   (about 1 min; "absent" without ../shared)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "boundaries-cn" / "china_county_level_datav.geojson.gz"


def gridmap_command() -> list[str]:
    """The `gridmap` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("gridmap")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from gridmap.cli import app; app()"]


def run_check(path: Path, jobs: int) -> tuple[float, float, dict[str, Any]]:
    """Wall seconds, CPU seconds (user + system of the check and its workers) and the JSON report of one run."""
    args = [*gridmap_command(), "check", str(path), "--crs", "gcj02", "--code-field", "adcode", "--flat"]
    args += ["--format", "json", "--jobs", str(jobs)]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        pid = os.posix_spawn(args[0], args, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        stdout = out.read().decode("utf-8")
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"gridmap check --jobs {jobs} failed with exit status {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, json.loads(stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="the --jobs values to run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per --jobs value (best wall time kept)")
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"{DATA} is absent: nothing to check")
        return
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    counts: dict[int, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / DATA.stem
        with gzip.open(DATA, "rb") as packed, path.open("wb") as plain:
            shutil.copyfileobj(packed, plain)
        for jobs in args.jobs:
            runs = [run_check(path, jobs) for _ in range(args.repeat)]
            wall, cpu, report = min(runs, key=lambda run: run[0])
            counts[jobs] = report["summary"]["problems"]
            notes = report["summary"].get("notes", [])
            print(f"--jobs {jobs}: wall {wall:6.1f} s, CPU {cpu:6.1f} s, problems {counts[jobs]}, notes {notes}")
    same = len({json.dumps(kinds, sort_keys=True) for kinds in counts.values()}) == 1
    print("problem counts equal for every --jobs: " + ("yes" if same else "NO"))
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
