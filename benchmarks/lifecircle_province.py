"""Life circles at province scale: up to 1,000,000 households on a walking network of about 500,000 edges.

The network is lifecircle_speed.py's perturbed street lattice (60 m blocks, some segments missing, some
bent) with `--side` streets each way (520: about 500,000 edges); households lie at random over it and 8
facility types at lifecircle_speed's counts scaled to the network. For each household count (default
50,000, 200,000 and 1,000,000) one fresh process builds the network and runs the whole engine as
`LifeCircle` does in local metres: build (`WalkingNetwork.from_lines`), snap households and facilities,
nearest facility of every type, coverage counts per 1 km square. It prints each step's CPU time (the fair
figure on a shared, loaded machine) and wall time, the process's peak memory (VmHWM), and the growth from
the smallest count; targets at 1,000,000: < 20 s and < 4 GB.

Run: .venv/bin/python benchmarks/lifecircle_province.py [--side 520] [--households 50000 200000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from gridmap.geo.lifecircle_levels import FACILITY_TYPES
from gridmap.geo.network import WalkingNetwork

T = TypeVar("T")
SQUARE = 1_000.0  # metres: side of the squares coverage is counted in
FACILITIES_PER_MILLION_M2 = 0.6  # of each type: about lifecircle_speed's mean over its lattice


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measured(steps: dict[str, tuple[float, float]], label: str, action: Callable[[], T]) -> T:
    """Run `action`, keeping its CPU and wall seconds under `label`."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = action()
    steps[label] = (time.process_time() - start_cpu, time.perf_counter() - start)
    return result


def one_run(side: int, households: int, seed: int) -> dict[str, object]:
    """The whole engine once, in this process; its steps' CPU and wall seconds and the peak memory."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lifecircle_speed import lattice_streets

    rng = np.random.default_rng(seed)
    lines = lattice_streets(side, rng)
    steps: dict[str, tuple[float, float]] = {}
    network = measured(steps, "build network", lambda: WalkingNetwork.from_lines(lines))
    low, high = network.node_xy.min(axis=0), network.node_xy.max(axis=0)
    household_xy = rng.uniform(low, high, size=(households, 2))
    per_type = max(1, round(FACILITIES_PER_MILLION_M2 * float(np.prod(high - low)) / 1e6))
    facility_xy = {kind: rng.uniform(low, high, size=(per_type, 2)) for kind in list(FACILITY_TYPES)[:8]}
    snapped = measured(steps, "snap households", lambda: network.snap_xy(household_xy))
    facilities = measured(
        steps, "snap facilities", lambda: {kind: network.snap_xy(xy) for kind, xy in facility_xy.items()}
    )
    nearest = measured(steps, "nearest facility, 8 types", lambda: network.nearest_facilities(snapped, facilities))

    def coverage() -> np.ndarray:
        square = np.floor((household_xy - low) / SQUARE).astype(np.int64)
        key = square[:, 1] * (int((high - low)[0] // SQUARE) + 1) + square[:, 0]
        covered = [
            np.bincount(key, weights=found.distance <= FACILITY_TYPES[kind].minutes * 60.0)
            for kind, found in nearest.items()
        ]
        return np.vstack(covered)

    measured(steps, "coverage per 1 km square", coverage)
    return {
        "edges": network.n_edges,
        "households": households,
        "steps": steps,
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=520, help="lattice streets per direction (edges ~ 1.85 side^2)")
    parser.add_argument("--households", type=int, nargs="+", default=[50_000, 200_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process's household count
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_run(args.side, args.one, args.seed)))
        return
    results = []
    for count in args.households:
        command = [sys.executable, __file__, "--side", str(args.side), "--seed", str(args.seed), "--one", str(count)]
        found = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        results.append(found)
        total_cpu = sum(cpu for cpu, _ in found["steps"].values())
        total_wall = sum(wall for _, wall in found["steps"].values())
        print(
            f"{count:>9,} households on {found['edges']:,} edges: CPU {total_cpu:6.2f} s, wall {total_wall:6.2f} s, ",
            end="",
        )
        print(f"peak {found['peak_mb']:,.0f} MB")
        for label, (cpu, wall) in found["steps"].items():
            print(f"    {label:<28} CPU {cpu:6.2f} s   wall {wall:6.2f} s")
    first = results[0]
    first_cpu = sum(cpu for cpu, _ in first["steps"].values())
    for found in results[1:]:
        cpu = sum(c for c, _ in found["steps"].values())
        print(
            f"growth {first['households']:,} -> {found['households']:,} households "
            f"({found['households'] / first['households']:.0f}x): CPU {cpu / first_cpu:.2f}x"
        )
    last = results[-1]
    cpu = sum(c for c, _ in last["steps"].values())
    print(f"target at {last['households']:,}: < 20 s and < 4 GB; CPU {cpu:.1f} s, peak {last['peak_mb'] / 1024:.2f} GB")


if __name__ == "__main__":
    main()
