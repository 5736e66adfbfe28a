"""Publishing a province-sized version as a user does it: `gridmap import` then `gridmap publish` (full check).

Builds the sample region scaled to about --grids grids (locate_speed.region_frame: a lattice of communities, each
cut into grids and microgrids, every level an exact coverage), writes it once as a GeoPackage under --cache, then
per backend (SQLite in a temporary file; PostGIS in a throwaway database when GRIDMAP_TEST_PG_URL or the local
default answers) runs the real command line against a new, migrated database:

  import    gridmap import FILE              (stores the draft)
  publish   gridmap publish 1                (the full check, then publishing; the target: < 60 s)

printing each command's wall time and CPU time (the command's process, from getrusage; on a shared machine the
wall time also counts waiting for a core).

Run: .venv/bin/python benchmarks/publish_speed.py [--grids 100000] [--backends sqlite postgis]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from locate_speed import backend_url, describe, region_frame, verdict  # noqa: E402

TARGET_PUBLISH_S = 60.0
GRIDMAP = Path(sys.executable).parent / "gridmap"


def region_file(cache: Path, grids: int) -> Path:
    """The region as a GeoPackage, generated once per size."""
    path = cache / f"region-{grids}.gpkg"
    if not path.is_file():
        started = time.perf_counter()
        frame = region_frame(grids)
        cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part.gpkg")
        frame.to_file(partial, driver="GPKG")
        partial.replace(path)
        print(f"region: {describe(frame)}, generated in {time.perf_counter() - started:.1f} s")
    return path


def timed_command(url: str, *arguments: str) -> tuple[float, float]:
    """Run `gridmap ARGUMENTS` on the database `url`; its wall and CPU seconds (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(GRIDMAP), *arguments],
        env={**os.environ, "GRIDMAP_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        msg = f"gridmap {' '.join(arguments)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=100_000, help="about how many grids (default 100,000)")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgis"], choices=["sqlite", "postgis"])
    parser.add_argument("--cache", type=Path, default=HERE / ".cache" / "publish_speed")
    args = parser.parse_args()

    source = region_file(args.cache, args.grids)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp:
        for backend in args.backends:
            with backend_url(backend, Path(tmp)) as url:
                if url is None:
                    continue
                import_wall, import_cpu = timed_command(url, "import", str(source), "--who", "benchmark")
                publish_wall, publish_cpu = timed_command(url, "publish", "1", "--who", "benchmark")
                ok = publish_wall < TARGET_PUBLISH_S
                failures += not ok
                print(f"\n[{backend}] {source.name}")
                print(f"  gridmap import:   {import_wall:7.1f} s wall {import_cpu:7.1f} s CPU")
                print(f"  gridmap publish:  {publish_wall:7.1f} s wall {publish_cpu:7.1f} s CPU (full check included)")
                print(f"  target publish < {TARGET_PUBLISH_S:.0f} s: {verdict(ok)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
