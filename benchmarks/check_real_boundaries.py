"""`gridmap check` on real county boundaries (Fujian: 85, China: 2,887), compared with what GEOS itself sees.

The files are DataV boundaries in GCJ-02 from ../shared/data/boundaries-cn (no licence: they are read from there,
never copied into the project). Each is checked as a flat coverage by the CLI in a subprocess, exactly as a user
would run it:

  gridmap check FILE --crs gcj02 --code-field adcode --flat --format json

and the script prints the features read, the problems by kind, the largest overlaps (codes, names, m2), the
slivers, the time and the peak memory, then sets them beside observed_topology_geos.json (what shapely/GEOS
report for the same files, in square degrees). The child runs under an address-space limit so that a runaway
check fails on its own instead of taking the machine down; a failure is reported with its traceback and the
script carries on.

Run: .venv/bin/python benchmarks/check_real_boundaries.py [--only fujian|china] [--memory-limit-gib 8]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gridmap.io.boundaries import FieldMapping

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "boundaries-cn"
FILES = {
    "fujian": "fujian_county_level_datav.geojson",
    "china": "china_county_level_datav.geojson.gz",
}
OBSERVED = "observed_topology_geos.json"
M2_PER_DEG2_AT_EQUATOR = (6371008.8 * np.pi / 180.0) ** 2
SMALL_HOLE_DEG2 = 1e-6


@dataclass
class Run:
    """One CLI run: its report (None when it failed), exit status, time, peak memory and error output."""

    file: Path
    report: dict[str, Any] | None
    exit_code: int
    seconds: float
    peak_bytes: int
    stderr: str
    names: dict[str, str] = field(default_factory=dict)
    mean_lat: float = 0.0


def gridmap_command() -> list[str]:
    """The `gridmap` console script of this interpreter's environment (or the CLI through `python -c`)."""
    script = Path(sys.executable).with_name("gridmap")
    if script.is_file():
        return [str(script)]
    found = shutil.which("gridmap")
    return [found] if found else [sys.executable, "-c", "from gridmap.cli import app; app()"]


def flat_options() -> list[str]:
    """The options that read a file as one flat coverage (DataV's own 'level' property says 'district')."""
    if "flat" in FieldMapping.__dataclass_fields__:
        return ["--flat"]
    return ["--level-field", "_no_such_property_"]


def run_check(path: Path, memory_limit: int, timeout: float) -> Run:
    """Run the CLI on `path`; wall time and the child's own peak RSS come from wait4."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    args = [*gridmap_command(), "check", str(path), "--crs", "gcj02", "--code-field", "adcode", *flat_options()]
    args += ["--format", "json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=err, preexec_fn=limit_memory)
        deadline = start + timeout
        status, usage = 0, None
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                _, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if seconds > timeout:
        stderr += f"\n(killed after the {timeout:.0f} s timeout)"
    report = None
    with contextlib.suppress(json.JSONDecodeError):
        report = json.loads(stdout) if stdout.strip() else None
    return Run(path, report, child.returncode, seconds, usage.ru_maxrss * 1024 if usage else -1, stderr)


def read_names(path: Path) -> tuple[dict[str, str], float]:
    """adcode -> name for the file's features, and their mean centre latitude (to turn deg2 into m2)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    names, lats = {}, []
    for feature in document["features"]:
        properties = feature["properties"]
        names[str(properties["adcode"])] = str(properties.get("name", ""))
        if properties.get("center"):
            lats.append(float(properties["center"][1]))
    return names, float(np.mean(lats)) if lats else 0.0


def print_run(run: Run) -> None:
    """What one run found."""
    print(f"\n=== {run.file.name}")
    print(f"time {run.seconds:.1f} s, peak memory {run.peak_bytes / 2**30:.2f} GiB, exit status {run.exit_code}")
    if run.report is None:
        print("FAILED: no JSON report. Error output (last 40 lines):")
        print("\n".join(run.stderr.strip().splitlines()[-40:]))
        return
    summary = run.report["summary"]
    print(f"features read: {summary['features']} (levels: {summary['levels']}); ok: {run.report['ok']}")
    print("problems by kind: " + (", ".join(f"{k} {v}" for k, v in summary["problems"].items()) or "none"))
    problems = run.report["problems"]
    overlaps = sorted((p for p in problems if p["kind"] == "overlap"), key=lambda p: -(p["area_m2"] or 0.0))
    print(f"largest overlaps (of {len(overlaps)}):")
    for problem in overlaps[:10]:
        codes = problem["codes"]
        label = " / ".join(f"{c} {run.names.get(c, '?')}" for c in codes)
        print(f"  {problem['area_m2']:>14,.0f} m2  {label}")
    slivers = [p for p in problems if p["kind"] == "sliver"]
    print(f"slivers: {len(slivers)}" + "".join(f"\n  {p['message']}" for p in slivers[:10]))
    invalid = [p for p in problems if p["kind"] == "invalid_geometry"]
    print(f"invalid polygons: {len(invalid)}")
    for problem in invalid[:10]:
        codes = problem["codes"]
        print(f"  {codes[0]} {run.names.get(codes[0], '?')}: {problem.get('details', {}).get('reason', '')}")
    gaps = [p["area_m2"] or 0.0 for p in problems if p["kind"] == "gap"]
    if gaps:
        print(
            f"gaps: {len(gaps)}, {sum(gaps):,.0f} m2 in all, largest {max(gaps):,.0f} m2, "
            f"median {float(np.median(gaps)):,.0f} m2"
        )


def print_comparison(run: Run, observed: dict[str, Any]) -> None:
    """gridmap's findings beside GEOS's (areas in deg2 turned into m2 at the file's mean latitude)."""
    if run.report is None:
        return
    problems = run.report["problems"]
    by_kind = Counter(p["kind"] for p in problems)
    m2_per_deg2 = M2_PER_DEG2_AT_EQUATOR * float(np.cos(np.radians(run.mean_lat)))
    overlaps = [p for p in problems if p["kind"] == "overlap"]
    gaps = [p for p in problems if p["kind"] == "gap"]
    edge_features = {c for p in problems if p["kind"] in ("overlap", "edge_mismatch") for c in p["codes"]}
    overlap_m2 = sum(p["area_m2"] or 0.0 for p in overlaps)
    gap_m2 = sum(p["area_m2"] or 0.0 for p in gaps)
    small = sum(1 for p in gaps if (p["area_m2"] or 0.0) < SMALL_HOLE_DEG2 * m2_per_deg2)
    invalid_codes = {p["codes"][0] for p in problems if p["kind"] == "invalid_geometry"}
    observed_invalid = {str(row[0]) for row in observed["invalid_polygons"]}
    rows = [
        ("features", observed["features"], run.report["summary"]["features"]),
        (
            "invalid polygons",
            len(observed_invalid),
            f"{by_kind['invalid_geometry']} ({len(invalid_codes & observed_invalid)} the same)",
        ),
        ("overlapping pairs", observed["overlapping_pairs"], by_kind["overlap"]),
        ("overlap area, m2", f"~{observed['overlap_area_deg2'] * m2_per_deg2:,.0f}", f"{overlap_m2:,.0f}"),
        (
            "features with invalid edges",
            observed["polygons_with_invalid_edges"],
            f"{len(edge_features)} (overlap or edge_mismatch)",
        ),
        ("holes / gaps", observed["union_interior_holes"], f"{len(gaps)} (gaps of >= 1 m2)"),
        ("  of them < 1e-6 deg2", observed["union_holes_smaller_than_1e-6_deg2"], small),
        ("gap area, m2", f"~{observed['union_holes_area_deg2'] * m2_per_deg2:,.0f}", f"{gap_m2:,.0f}"),
        (
            "largest gap, m2",
            f"~{observed['largest_hole_area_deg2'] * m2_per_deg2:,.0f}",
            f"{max((p['area_m2'] or 0.0 for p in gaps), default=0.0):,.0f}",
        ),
    ]
    print(f"\n--- {run.file.name}: GEOS (observed_topology_geos.json) vs gridmap")
    print(f"{'':30}{'GEOS':>18}  gridmap")
    for label, geos, ours in rows:
        print(f"{label:30}{geos!s:>18}  {ours}")
    largest = sorted(overlaps, key=lambda p: -(p["area_m2"] or 0.0))[:5]
    ours_named = [frozenset(run.names.get(c, c) for c in p["codes"]) for p in largest]
    geos_named = [frozenset(row[:2]) for row in observed["largest_overlaps"]]
    common = len(set(ours_named) & set(geos_named))
    print(f"largest 5 overlaps, GEOS:    {', '.join('/'.join(sorted(pair)) for pair in geos_named)}")
    print(f"largest 5 overlaps, gridmap: {', '.join('/'.join(sorted(pair)) for pair in ours_named)}")
    print(f"  {common} of 5 pairs in common")


def prepare(name: str, folder: Path) -> Path:
    """The file to check: the shared file itself, or a gunzipped copy in `folder`."""
    source = DATA / FILES[name]
    if source.suffix != ".gz":
        return source
    target = folder / source.stem
    with gzip.open(source, "rb") as packed, target.open("wb") as plain:
        shutil.copyfileobj(packed, plain)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(FILES), action="append", help="check only this file (repeatable)")
    parser.add_argument("--memory-limit-gib", type=float, default=8.0, help="address-space limit of the check")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a check is killed")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"{DATA} is absent: nothing to check")
        return
    observed = json.loads((DATA / OBSERVED).read_text(encoding="utf-8"))["results"]
    limit = int(args.memory_limit_gib * 2**30)
    command = [*gridmap_command(), "check", "FILE", "--crs", "gcj02", "--code-field", "adcode", *flat_options()]
    print(f"command: {' '.join(command)} --format json")
    print(f"memory limit {args.memory_limit_gib:g} GiB, timeout {args.timeout:.0f} s")
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.only or list(FILES):
            path = prepare(name, Path(folder))
            run = run_check(path, limit, args.timeout)
            run.names, run.mean_lat = read_names(path)
            print_run(run)
            print_comparison(run, observed[FILES[name].removesuffix(".gz")])
            runs.append(run)
    print("\n=== summary")
    for run in runs:
        status = "ok" if run.report is not None else f"FAILED (exit {run.exit_code})"
        kinds = run.report["summary"]["problems"] if run.report else {}
        print(f"{run.file.name:40} {run.seconds:7.1f} s {run.peak_bytes / 2**30:6.2f} GiB  {status}  {kinds}")


if __name__ == "__main__":
    main()
