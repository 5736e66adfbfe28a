"""Server time of the boundary editor's operations on drafts of 1,000 and 10,000 grids, side by side.

For each size it builds a three-level coverage (by default check_speed's Voronoi model: about 10 microgrids per
grid and 5 grids per community, so 10,000 grids come with 100,000 microgrids; `--generator lattice` takes the
sample region's lattice of `generate_region` instead, about 5 grids and 16 microgrids per community), stores
and publishes it in a fresh SQLite store (and a PostGIS database with `--postgis`), starts a draft from it
(`services.editing.start_draft`, timed) and times `--edits` random valid edits of each operation as the API
route does them: `set_version` then `services.editing.apply_edit` with If-Match revisions, the store round
trip included (neighbourhood load, geometry, before/after check, write, history). Each edit is drawn from the
draft as it is then (read from the store, not timed):

  move_vertex     a vertex two grids share, moved 1-3 m in a random direction     target < 200 ms
  reshape_border  a line between two points 10-30 m apart on the border of two
                  sibling grids, bulging 2-5 m to one side                        target < 200 ms
  split           a grid cut by a straight line through it, border to border     target < 500 ms
  merge           a grid and an adjacent sibling grid                             target < 500 ms

The table gives the median and p95 of the edits the server stored (refusals are counted beside them; the
draws aim for valid edits, a refusal means the engine judged one invalid) at each size, the time of
start_draft, and the process's peak resident memory while editing (target < 1 GiB). No timing is asserted
anywhere; `--profile` prints the largest cumulative costs per operation under cProfile (slower).

After the edits, `--households` households at random over the region and `--incidents` generated incidents are
stored, and the editor's live panels' read is timed: `services.draft_status.draft_status` on the edited draft
(target < 1 s CPU), best of `--status-runs`, each from scratch. Then as the app asks it, with a `StatusMemory`:
a first status (from scratch, remembering its changed-area check), and one after each of `--following` more edits
(the operations in turn), which re-checks only the families around what changed since; the last is compared with
a from-scratch status. Beside them, side by side on the same store, the whole-version reads the status used to
make: both versions' frames read feature by feature (`store.features`, then `frame_from_features`, as
`version_frame` did) against `version_frame`, and the diff of every feature of both
versions (`diff_features` over `store.features`) against `store.diff`; each with its ratio.

Run: .venv/bin/python benchmarks/edit_speed.py [--grids 1000 10000] [--edits 200] [--seed 7]
     [--generator voronoi|lattice] [--postgis [URL]] [--profile] [--households 100000] [--incidents 2000]
     [--status-runs 3] [--following 8]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry.base import BaseGeometry

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_speed import CELLS_PER_GRID, build_frame
from locate_speed import DEFAULT_PG_URL, backend_url, describe, load, region_frame
from timing import Timing, peak_memory_bytes, reset_peak_memory

from gridmap.errors import GridmapError
from gridmap.geo.editing.model import EditOperation, Merge, MoveVertex, ReshapeBorder, Split
from gridmap.geo.hierarchy import Level
from gridmap.services import boundaries as boundary_service
from gridmap.services import editing
from gridmap.services.draft_status import DraftStatus, DraftStatusStore, StatusMemory, draft_status
from gridmap.store import open_store
from gridmap.store.diff import diff_features
from gridmap.store.edit_store import VersionEditStore
from gridmap.store.frames import frame_from_features
from gridmap.store.household_store import HouseholdRecord
from gridmap.store.version_store import Feature
from gridmap_demo.incidents import generate_incidents

OPS = ("move_vertex", "reshape_border", "split", "merge")
TARGET_MS = {"move_vertex": 200.0, "reshape_border": 200.0, "split": 500.0, "merge": 500.0}
MEMORY_TARGET_BYTES = 1024**3
STATUS_TARGET_CPU_S = 1.0
METRES_PER_DEGREE = 111_320.0
DRAW_ATTEMPTS = 50  # draws of one edit before giving up on finding a valid one (e.g. no sibling neighbour left)


@dataclass
class OpTimes:
    """Server times (s) of the stored edits of one operation, and what the server refused."""

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)  # this process's CPU time of the same edits
    refused: list[str] = field(default_factory=list)
    undrawn: int = 0  # edits for which no valid draw was found

    def median_ms(self, *, cpu: bool = False) -> float:
        seconds = self.cpu_seconds if cpu else self.seconds
        return 1000 * statistics.median(seconds) if seconds else math.nan

    def p95_ms(self, *, cpu: bool = False) -> float:
        seconds = self.cpu_seconds if cpu else self.seconds
        if not seconds:
            return math.nan
        ordered = sorted(seconds)
        return 1000 * ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class SizeResult:
    """Everything measured on one version size and backend."""

    label: str
    start_draft_s: float = math.nan
    start_draft_peak: int = -1
    edit_peak: int = -1
    ops: dict[str, OpTimes] = field(default_factory=lambda: {op: OpTimes() for op in OPS})
    status: dict[str, Timing] = field(default_factory=dict)  # the draft-status step and its baselines
    following: FollowingStatus | None = None  # the draft status with the app's memory


@dataclass
class FollowingStatus:
    """The draft status as the app asks it (with a StatusMemory): the first one, then one after each further edit."""

    first_seconds: float
    first_cpu_seconds: float
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    same_as_scratch: bool = False  # the last status equals the one found without the memory


class EditDraws:
    """Random valid edits drawn from the draft as it is now (store reads only; never timed)."""

    def __init__(self, store: VersionEditStore, version_id: int, rng: np.random.Generator) -> None:
        self.store = store
        self.version_id = version_id
        self.rng = rng
        self.grid_ids = sorted(f.feature_id for f in store.features(version_id, level=Level.GRID).features)
        self.kx = METRES_PER_DEGREE * math.cos(math.radians(27.45))

    def forget(self, result: editing.EditResult) -> None:
        """Follow the grids an edit created and deleted."""
        deleted = set(result.deleted)
        known = set(self.grid_ids) - deleted
        self.grid_ids = sorted(known | {f.feature_id for f in result.features if f.level is Level.GRID})

    def _grid(self) -> Feature:
        return self.store.feature(self.version_id, self.grid_ids[int(self.rng.integers(len(self.grid_ids)))])

    def _metres(self, dx_m: float, dy_m: float) -> tuple[float, float]:
        return dx_m / self.kx, dy_m / METRES_PER_DEGREE

    def _neighbours(self, grid: Feature, *, siblings: bool) -> list[tuple[Feature, BaseGeometry]]:
        """Grids sharing a border of 10 m or more with `grid` (of the same parent when `siblings`)."""
        near = self.store.features(self.version_id, bbox=grid.geometry.bounds, level=Level.GRID).features
        found: list[tuple[Feature, BaseGeometry]] = []
        for other in near:
            if other.feature_id == grid.feature_id or (siblings and other.parent != grid.parent):
                continue
            shared = shapely.line_merge(shapely.intersection(grid.geometry.boundary, other.geometry.boundary))
            parts = [p for p in shapely.get_parts(shared) if isinstance(p, shapely.LineString)]
            longest = max(parts, key=lambda p: p.length, default=None)
            if longest is not None and longest.length * self.kx >= 10.0:
                found.append((other, longest))
        return found

    def move_vertex(self) -> tuple[EditOperation, list[Feature]] | None:
        grid = self._grid()
        neighbours = self._neighbours(grid, siblings=False)
        if not neighbours:
            return None
        other, shared = neighbours[int(self.rng.integers(len(neighbours)))]
        vertices = shapely.get_coordinates(shared)
        x, y = vertices[int(self.rng.integers(len(vertices)))]
        angle, distance = self.rng.uniform(0, 2 * math.pi), self.rng.uniform(1.0, 3.0)
        dx, dy = self._metres(distance * math.cos(angle), distance * math.sin(angle))
        return MoveVertex(at=(float(x), float(y)), to=(float(x + dx), float(y + dy))), [grid, other]

    def reshape_border(self) -> tuple[EditOperation, list[Feature]] | None:
        grid = self._grid()
        neighbours = self._neighbours(grid, siblings=True)
        if not neighbours:
            return None
        other, shared = neighbours[int(self.rng.integers(len(neighbours)))]
        length_m = shared.length * self.kx
        span_m = min(self.rng.uniform(10.0, 30.0), length_m * 0.8)
        start_m = self.rng.uniform(0.1 * length_m, length_m * 0.9 - span_m) if length_m * 0.8 > span_m else 0.1
        first, middle, last = (
            shared.interpolate((start_m + k * span_m / 2) / self.kx) for k in (0, 1, 2)
        )  # metres along the border taken at the longitude scale: only roughly metres, enough for random draws
        tx, ty = (last.x - first.x) * self.kx, (last.y - first.y) * METRES_PER_DEGREE
        norm = math.hypot(tx, ty) or 1.0
        bulge = self.rng.uniform(2.0, 5.0) * self.rng.choice([-1.0, 1.0])
        dx, dy = self._metres(-ty / norm * bulge, tx / norm * bulge)
        line = shapely.LineString([(first.x, first.y), (middle.x + dx, middle.y + dy), (last.x, last.y)])
        return ReshapeBorder(first=grid.feature_id, second=other.feature_id, line=line), [grid, other]

    def split(self) -> tuple[EditOperation, list[Feature]] | None:
        grid = self._grid()
        centre = grid.geometry.point_on_surface()
        min_x, min_y, max_x, max_y = grid.geometry.bounds
        reach = 2 * math.hypot(max_x - min_x, max_y - min_y)
        angle = self.rng.uniform(0, math.pi)
        across = shapely.LineString(
            [
                (centre.x - reach * math.cos(angle), centre.y - reach * math.sin(angle)),
                (centre.x + reach * math.cos(angle), centre.y + reach * math.sin(angle)),
            ]
        )
        line = shapely.intersection(across, grid.geometry)
        if not isinstance(line, shapely.LineString):  # the grid is not convex along it: it would cut 3 pieces
            return None
        return Split(feature=grid.feature_id, line=line), [grid]

    def merge(self) -> tuple[EditOperation, list[Feature]] | None:
        grid = self._grid()
        neighbours = self._neighbours(grid, siblings=True)
        if not neighbours:
            return None
        other, _ = neighbours[int(self.rng.integers(len(neighbours)))]
        return Merge(kept=grid.feature_id, absorbed=other.feature_id), [grid, other]

    def draw(self, op: str) -> tuple[EditOperation, list[Feature]] | None:
        """An edit of kind `op` and the features whose revisions it is based on, or None when none was found."""
        draw: Callable[[], tuple[EditOperation, list[Feature]] | None] = getattr(self, op)
        for _ in range(DRAW_ATTEMPTS):
            drawn = draw()
            if drawn is not None:
                return drawn
        return None


def timed_edit(
    store: editing.EditingStore, version_id: int, op: EditOperation, based_on: list[Feature]
) -> tuple[float, float, editing.EditResult | GridmapError]:
    """Wall and CPU seconds of what the API route does for one edit (the set lookup and the service), and its
    result (CPU time beside wall time: on a loaded machine the wall time also counts waiting for a core)."""
    expected = {f.feature_id: f.revision for f in based_on}
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        boundary_service.set_version(store=store, set_name=boundary_service.DEFAULT_SET, version_id=version_id)
        result: editing.EditResult | GridmapError = editing.apply_edit(
            store, version_id, op, who="benchmark", why="benchmark", expected=expected
        )
    except GridmapError as refused:
        result = refused
    return time.perf_counter() - started, time.process_time() - cpu_started, result


def measure(url: str, frame: gpd.GeoDataFrame, label: str, args: argparse.Namespace) -> SizeResult:
    """Store the frame, start a draft (timed) and time the edits of every operation."""
    print(f"  {label}: storing and publishing ...", flush=True)
    print(f"  {label}: stored and published in {load(url, frame):.1f} s", flush=True)
    result = SizeResult(label)
    store = open_store(url)
    try:
        gc.collect()
        reset_peak_memory()
        started = time.perf_counter()
        draft = editing.start_draft(store, boundary_service.DEFAULT_SET, who="benchmark", why="benchmark")
        result.start_draft_s = time.perf_counter() - started
        result.start_draft_peak = peak_memory_bytes()
        print(f"  {label}: start_draft {result.start_draft_s:.2f} s", flush=True)
        draws = EditDraws(store, draft.version.id, np.random.default_rng(args.seed))
        reset_peak_memory()
        for op in OPS:
            profile = cProfile.Profile() if args.profile else None
            times = result.ops[op]
            for _ in range(args.edits):
                drawn = draws.draw(op)
                if drawn is None:
                    times.undrawn += 1
                    continue
                if profile is not None:
                    profile.enable()
                seconds, cpu_seconds, outcome = timed_edit(store, draft.version.id, *drawn)
                if profile is not None:
                    profile.disable()
                if isinstance(outcome, GridmapError):
                    times.refused.append(f"{type(outcome).__name__}: {outcome}"[:160])
                else:
                    times.seconds.append(seconds)
                    times.cpu_seconds.append(cpu_seconds)
                    draws.forget(outcome)
            print(
                f"  {label}: {op:<15} median {times.median_ms():7.1f} ms  p95 {times.p95_ms():7.1f} ms  "
                f"(CPU {times.median_ms(cpu=True):.1f} / {times.p95_ms(cpu=True):.1f} ms)  "
                f"({len(times.seconds)} stored, {len(times.refused)} refused, {times.undrawn} not drawn)",
                flush=True,
            )
            for reason in sorted(set(times.refused))[:3]:
                print(f"      refused: {reason}")
            if profile is not None:
                text = io.StringIO()
                pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(25)
                print(text.getvalue())
        result.edit_peak = peak_memory_bytes()
        fill_register(store, frame, args)
        result.status = time_status(store, draft.version.id, args)
        print_status(label, result.status)
        result.following = time_following(store, draws, draft.version.id, args)
        print_following(label, result.following)
    finally:
        store.close()
    return result


def fill_register(store: DraftStatusStore, frame: gpd.GeoDataFrame, args: argparse.Namespace) -> None:
    """Households at random over the region and generated incidents (many of them open): the status's impact."""
    rng = np.random.default_rng(args.seed)
    min_x, min_y, max_x, max_y = (float(v) for v in frame.total_bounds)
    points = zip(rng.uniform(min_x, max_x, args.households), rng.uniform(min_y, max_y, args.households), strict=True)
    store.add_households(
        [HouseholdRecord(f"h{i}", f"户{i}", float(x), float(y), people=1) for i, (x, y) in enumerate(points)]
    )
    if args.incidents:
        store.import_incidents(generate_incidents(frame, count=args.incidents, seed=args.seed, id_prefix="edit-"))


def time_status(store: DraftStatusStore, version_id: int, args: argparse.Namespace) -> dict[str, Timing]:
    """draft_status on the edited draft, and the whole-version reads beside the store's own, best of the runs."""
    compared = store.draft_info(version_id).based_on
    assert compared is not None
    both = (compared, version_id)
    sides = {
        "draft_status": Timing(lambda: draft_status(store, version_id)),
        "version_frame x2": Timing(lambda: [store.version_frame(v) for v in both]),
        "features -> frame x2": Timing(
            lambda: [frame_from_features(store.features(v).features, source=f"version {v}") for v in both]
        ),
        "store.diff": Timing(lambda: store.diff(*both)),
        "diff of all features": Timing(lambda: diff_features(*both, *(store.features(v).features for v in both))),
    }
    for _ in range(args.status_runs):
        for side in sides.values():
            gc.collect()
            side.run()
    return sides


STATUS_FIELDS = (
    "scope",
    "report",
    "diff",
    "geometry_after",
    "geometry_before",
    "households",
    "grid_counts",
    "incidents",
)


def _same_status(first: DraftStatus, second: DraftStatus) -> bool:
    return all(getattr(first, name) == getattr(second, name) for name in STATUS_FIELDS)


def _timed_status(store: DraftStatusStore, version_id: int, memory: StatusMemory) -> tuple[float, float, DraftStatus]:
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    status = draft_status(store, version_id, memory=memory)
    return time.perf_counter() - started, time.process_time() - cpu_started, status


def time_following(
    store: editing.EditingStore, draws: EditDraws, version_id: int, args: argparse.Namespace
) -> FollowingStatus:
    """The status with a memory: the first, then one after each of `--following` more edits (not timed), the
    operations in turn; the last compared with a from-scratch status."""
    memory = StatusMemory()
    seconds, cpu_seconds, status = _timed_status(store, version_id, memory)
    following = FollowingStatus(seconds, cpu_seconds)
    for number in range(args.following):
        drawn = draws.draw(OPS[number % len(OPS)])
        if drawn is None:
            continue
        outcome = timed_edit(store, version_id, *drawn)[2]
        if not isinstance(outcome, GridmapError):
            draws.forget(outcome)
        seconds, cpu_seconds, status = _timed_status(store, version_id, memory)
        following.seconds.append(seconds)
        following.cpu_seconds.append(cpu_seconds)
    following.same_as_scratch = _same_status(status, draft_status(store, version_id))
    return following


def print_following(label: str, following: FollowingStatus) -> None:
    """The first status with a memory and those following an edit, against the target."""
    cpu, wall = following.cpu_seconds or [math.nan], following.seconds or [math.nan]
    print(
        f"  {label}: draft_status with a StatusMemory: first CPU {following.first_cpu_seconds:.3f} s (wall "
        f"{following.first_seconds:.3f} s); after each of {len(following.cpu_seconds)} more edits CPU median "
        f"{statistics.median(cpu):.3f} s, max {max(cpu):.3f} s (wall median {statistics.median(wall):.3f} s, max "
        f"{max(wall):.3f} s; target < {STATUS_TARGET_CPU_S:.0f} s CPU); the last "
        f"{'the same as from scratch' if following.same_as_scratch else 'DIFFERS FROM SCRATCH'}; load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )


def _same_frames(first: list[gpd.GeoDataFrame], second: list[gpd.GeoDataFrame]) -> bool:
    try:
        for a, b in zip(first, second, strict=True):
            assert_geodataframe_equal(a, b)
    except AssertionError:
        return False
    return True


def print_status(label: str, sides: dict[str, Timing]) -> None:
    """The status's CPU and wall time against its target, and each store read against its whole-version twin."""
    status = sides["draft_status"]
    found = status.result
    print(
        f"  {label}: draft_status CPU {status.cpu_seconds:.3f} s (target < {STATUS_TARGET_CPU_S:.0f} s), wall "
        f"{status.seconds:.3f} s; scope {found.scope}, {len(found.diff.added)} added, {len(found.diff.removed)} "
        f"removed, {len(found.diff.reshaped)} reshaped, {len(found.diff.changed)} changed, "
        f"{found.households.moved} households and {len(found.incidents)} incidents move; load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    pairs = (("version_frame x2", "features -> frame x2"), ("store.diff", "diff of all features"))
    for new, old in pairs:
        a, b = sides[new], sides[old]
        same = _same_frames(a.result, b.result) if new.startswith("version_frame") else a.result == b.result
        print(
            f"  {label}: {new:<17} CPU {a.cpu_seconds:7.3f} s (wall {a.seconds:7.3f})  vs {old:<21} CPU "
            f"{b.cpu_seconds:7.3f} s (wall {b.seconds:7.3f}): {b.cpu_seconds / a.cpu_seconds:5.1f}x CPU, "
            f"{b.seconds / a.seconds:5.1f}x wall; {'same answer' if same else 'ANSWERS DIFFER'}",
            flush=True,
        )


def version_frame(grids: int, generator: str, seed: int) -> gpd.GeoDataFrame:
    """A three-level coverage of about `grids` grids from the chosen generator."""
    if generator == "lattice":
        return region_frame(grids)
    return build_frame(grids * CELLS_PER_GRID, seed)


@contextmanager
def backends(args: argparse.Namespace, folder: Path) -> Iterator[list[tuple[str, str]]]:
    """(name, URL) of a fresh SQLite store per call, and a fresh PostGIS database when asked for."""
    with backend_url("sqlite", folder) as sqlite_url:
        assert sqlite_url is not None
        if args.postgis is None:
            yield [("sqlite", sqlite_url)]
            return
        os.environ["GRIDMAP_TEST_PG_URL"] = args.postgis  # the server locate_speed makes the database on
        with backend_url("postgis", folder) as postgis_url:
            yield [("sqlite", sqlite_url)] + ([("postgis", postgis_url)] if postgis_url else [])


def _gib(size: int) -> str:
    return "-" if size < 0 else f"{size / 1024**3:.2f} GiB"


def report(results: list[SizeResult], edits: int) -> None:
    """The table: one column pair per size and backend."""
    width = 22
    print(f"\nserver time per edit over {edits} random edits per operation (stored edits only):")
    print(f"{'':<16}{'target':>9}" + "".join(f"{r.label:>{width}}" for r in results))
    print(f"{'':<16}{'':>9}" + "".join(f"{'median / p95 ms':>{width}}" for _ in results))
    for op in OPS:
        cells = [f"{r.ops[op].median_ms():.0f} / {r.ops[op].p95_ms():.0f}" for r in results]
        print(f"{op:<16}{f'< {TARGET_MS[op]:.0f}':>9}" + "".join(f"{c:>{width}}" for c in cells))
        cpu = [f"CPU {r.ops[op].median_ms(cpu=True):.0f} / {r.ops[op].p95_ms(cpu=True):.0f}" for r in results]
        print(f"{'':<16}{'':>9}" + "".join(f"{c:>{width}}" for c in cpu))
        counts = [f"{len(r.ops[op].seconds)} ok, {len(r.ops[op].refused)} refused" for r in results]
        print(f"{'':<16}{'':>9}" + "".join(f"{c:>{width}}" for c in counts))
    print(f"{'start_draft':<16}{'':>9}" + "".join(f"{f'{r.start_draft_s:.2f} s':>{width}}" for r in results))
    print(f"{'peak RSS, draft':<16}{'':>9}" + "".join(f"{_gib(r.start_draft_peak):>{width}}" for r in results))
    target = f"< {MEMORY_TARGET_BYTES / 1024**3:.0f} GiB"
    print(f"{'peak RSS, edits':<16}{target:>9}" + "".join(f"{_gib(r.edit_peak):>{width}}" for r in results))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grids", type=int, nargs="+", default=[1_000, 10_000], help="version sizes in grids")
    parser.add_argument("--edits", type=int, default=200, help="random edits per operation (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the coverage and of the edits")
    parser.add_argument("--generator", choices=("voronoi", "lattice"), default="voronoi")
    parser.add_argument("--postgis", nargs="?", const=DEFAULT_PG_URL, default=None, help="also on PostGIS (server URL)")
    parser.add_argument("--profile", action="store_true", help="cProfile the edits of each operation")
    parser.add_argument("--households", type=int, default=100_000, help="households for the status (default 100,000)")
    parser.add_argument("--incidents", type=int, default=2_000, help="incidents for the status (default 2,000)")
    parser.add_argument("--status-runs", type=int, default=3, help="runs of the status step, best kept (default 3)")
    parser.add_argument("--following", type=int, default=8, help="edits each followed by a status (default 8)")
    args = parser.parse_args()
    results: list[SizeResult] = []
    for grids in args.grids:
        started = time.perf_counter()
        frame = version_frame(grids, args.generator, args.seed)
        print(f"{describe(frame)}: built in {time.perf_counter() - started:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="gridmap-bench-") as tmp, backends(args, Path(tmp)) as urls:
            for backend, url in urls:
                grid_count = int((frame["level"] == Level.GRID.value).sum())
                results.append(measure(url, frame, f"{grid_count:,} grids {backend}", args))
        del frame
    report(results, args.edits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
