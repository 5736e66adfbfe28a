"""The desk's queues on 200,000 incidents: server time of each queue request as /desk sends it, SQLite and PostGIS.

Fills a store (SQLite; PostGIS too with --postgis) with the sample region and `--incidents` sample incidents
(`gridmap_demo.incidents.generate_incidents`, stored with `import_incidents`), each open one with the due time of
its current stage (the shipped time limits on the working calendar, from its last step, as the desk's clock sets
it). A filled store is kept by size, seed and schema revision (a SQLite file in `--cache`, a PostGIS database
named by the key) and each run works on a copy of it, its due times moved on by the time since it was filled
(so "overdue" and "due soon" match as on the day of filling; a PostGIS copy is then vacuumed and analysed, as
autovacuum would after such an update). Then, in process through the whole app (token, scope, query, count,
JSON), it sends every request of every queue of a grid worker and of a dispatcher as web/js/desk/queues.js
makes them (limit 200, sorted by due time) `--runs` times, and prints per request the p50 and p95 of the server's
time and the matched count, the two backends side by side, and the ratio of the worst p95 to the target (100 ms);
then the p50 of the CPU time each request cost the app's process and, on PostGIS, the database server's backends
(their /proc schedstat), which a loaded machine does not inflate as it does wall time.

Run: .venv/bin/python benchmarks/desk_speed.py [--incidents 200000] [--runs 30] [--postgis] [--seed 350924]
     [--cache DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from fastapi.testclient import TestClient
from incident_map_speed import DEFAULT_CACHE, kept_postgis_database
from locate_speed import postgis_database
from sqlalchemy import bindparam, create_engine, select, update
from sqlalchemy.engine import make_url

from gridmap.api.app import create_app
from gridmap.errors import CalendarNotCovered
from gridmap.incidents import deadlines
from gridmap.incidents.model import Incident
from gridmap.services.demo import load_demo_region
from gridmap.settings import Settings
from gridmap.store import migrate, open_store, upgrade_database
from gridmap.store.account_store import Role
from gridmap.store.tables import IncidentRow
from gridmap_demo.incidents import DEFAULT_INCIDENT_SEED, generate_incidents

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 100.0
# The sample is taken now (the routes measure "overdue" and "due soon" against the clock), over the year before.
NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=365)
LIMIT = 200
DUE_SOON_H = 8
# The queues of web/js/desk/queues.js, each request's own parameters (the page adds limit and sort).
QUEUES: dict[str, list[tuple[str, dict[str, str]]]] = {
    "worker": [
        ("new reports", {"status": "reported"}),
        ("my work: dispatched", {"status": "dispatched"}),
        ("my work: in progress", {"status": "in_progress"}),
        ("overdue", {"overdue": "true"}),
        ("due soon", {"due_within_hours": str(DUE_SOON_H)}),
        ("all", {}),
    ],
    "planner": [
        ("to file", {"status": "reported"}),
        ("to dispatch", {"status": "accepted"}),
        ("to check", {"status": "resolved"}),
        ("overdue", {"overdue": "true"}),
        ("due soon", {"due_within_hours": str(DUE_SOON_H)}),
        ("all", {}),
        ("search by words", {"q": "垃圾"}),
    ],
}


def with_due_time(incident: Incident, limits: deadlines.TimeLimits) -> Incident:
    """The incident with its current stage's due time, counted from its last step (none once final)."""
    try:
        return deadlines.start_stage(incident, limits, incident.state.updated_at)
    except CalendarNotCovered:  # a year the calendar does not know: stored without a due time, as the app does
        return replace(incident, due_at=None)


@dataclass(frozen=True)
class Sample:
    """What a filled store holds: the busiest grids' worker, how many incidents are routed to them, and when the
    sample was taken (its due times are relative to that moment)."""

    worker: str
    in_grids: int
    taken_at: str  # ISO 8601


def fill(url: str, count: int, seed: int) -> Sample:
    """The sample region and `count` incidents with due times, taken now."""
    limits = deadlines.load_time_limits()
    store = open_store(url)
    try:
        version = load_demo_region(store, REPO / "data")
        frame = store.version_frame(version.id)
        started = time.perf_counter()
        incidents = [
            with_due_time(incident, limits)
            for incident in generate_incidents(
                frame, count=count, start=START, end=NOW, now=NOW, seed=seed, id_prefix="desk-"
            )
        ]
        generated = time.perf_counter() - started
        store.import_incidents(incidents)
        by_worker: dict[str, int] = {}
        for incident in incidents:
            if incident.worker:
                by_worker[incident.worker] = by_worker.get(incident.worker, 0) + 1
        worker = max(by_worker, key=lambda name: by_worker[name])
        open_count = sum(incident.due_at is not None for incident in incidents)
        stored = time.perf_counter() - started - generated
        print(
            f"  {count:,} incidents ({open_count:,} open with a due time) generated in {generated:.0f} s,"
            f" stored in {stored:.0f} s"
        )
        return Sample(worker, by_worker[worker], NOW.isoformat())
    finally:
        store.close()


def cache_key(count: int, seed: int) -> str:
    """What a kept store is named by: size, seed and the schema's revision (a new migration fills again)."""
    return f"desk_{count}_seed{seed}_rev{migrate.head_revision()}"


@contextlib.contextmanager
def desk_store(backend: str, count: int, seed: int, cache: Path, folder: Path) -> Iterator[tuple[str, Sample] | None]:
    """A copy of the kept store of `count` incidents (filled first when there is none) and its sample; None when
    PostGIS is not there. The copy's due times are moved on by the time since the sample was taken."""
    key = cache_key(count, seed)
    cache.mkdir(parents=True, exist_ok=True)
    about = cache / f"{key}_{backend}.json"
    if backend == "sqlite":
        kept = cache / f"{key}.db"
        if not (kept.exists() and about.exists()):
            partial = cache / f"{key}.filling.db"
            partial.unlink(missing_ok=True)
            upgrade_database(f"sqlite:///{partial}")
            print(f"  filling {kept} (once)", flush=True)
            about.write_text(json.dumps(asdict(fill(f"sqlite:///{partial}", count, seed))))
            partial.rename(kept)
        shutil.copyfile(kept, folder / "desk.db")
        url = f"sqlite:///{folder / 'desk.db'}"
        yield url, moved_on(url, about)
        return
    with kept_postgis_database(f"gridmap_bench_{key}") as (kept_url, fresh):
        if kept_url is not None and fresh:
            upgrade_database(kept_url)
            print(f"  filling PostGIS database gridmap_bench_{key} (once)", flush=True)
            about.write_text(json.dumps(asdict(fill(kept_url, count, seed))))
        elif kept_url is not None and not about.exists():
            msg = f"{about} is gone: drop database gridmap_bench_{key} to fill it again"
            raise SystemExit(msg)
    if kept_url is None:
        yield None
        return
    with postgis_copy(f"gridmap_bench_{key}", about) as copied:
        yield copied


@contextlib.contextmanager
def postgis_copy(kept: str, about: Path) -> Iterator[tuple[str, Sample]]:
    """A copy of kept PostGIS database `kept`, its due times moved on, vacuumed and analysed as autovacuum leaves a
    database soon after such writes (the moved rows' old versions gone, the visibility map and the planner's
    statistics current), and its sample; dropped afterwards."""
    with postgis_database(template=kept) as url:
        if url is None:
            msg = f"the PostGIS server holding {kept} does not answer"
            raise SystemExit(msg)
        sample = moved_on(url, about)
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
        yield url, sample


def moved_on(url: str, about: Path) -> Sample:
    """The sample of a copied store, its due times and holds moved on by the time since it was taken."""
    sample = Sample(**json.loads(about.read_text()))
    by = NOW - datetime.fromisoformat(sample.taken_at)
    if by <= timedelta(0):
        return sample
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            rows = connection.execute(
                select(IncidentRow.id, IncidentRow.due_at, IncidentRow.held_since).where(
                    IncidentRow.due_at.is_not(None)
                )
            ).all()
            moves = [
                {"key": key, "due": due + by, "held": None if held is None else held + by} for key, due, held in rows
            ]
            if moves:
                statement = (
                    update(IncidentRow.__table__)
                    .where(IncidentRow.id == bindparam("key"))
                    .values(due_at=bindparam("due"), held_since=bindparam("held"))
                )
                connection.execute(statement, moves)
    finally:
        engine.dispose()
    print(f"  a store filled {by.days} days ago: {len(moves):,} due times moved on by as much")
    return sample


@dataclass(frozen=True)
class Timing:
    """One queue request's figures over the runs: wall p50 and p95, CPU p50 of the app and of the database server
    (ms), and the matched count."""

    p50: float
    p95: float
    app_cpu: float
    server_cpu: float
    matched: int


@contextlib.contextmanager
def server_cpu_clock(url: str) -> Iterator[Callable[[], dict[int, int]]]:
    """A reading of the CPU time (ns, by process id) of the database server's backends serving `url`'s database,
    from /proc/PID/schedstat (the server is on this machine); always empty for SQLite, which runs in process."""
    if make_url(url).get_backend_name() == "sqlite":
        yield dict
        return
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as db:

        def read() -> dict[int, int]:
            pids = db.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
            spent = {}
            for (pid,) in pids:
                with contextlib.suppress(OSError):  # a backend gone since
                    spent[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            return spent

        yield read


def measure(url: str, folder: Path, worker: str, runs: int) -> dict[tuple[str, str], Timing]:
    """The figures of each queue request, per role."""
    store = open_store(url)
    try:
        tokens = {"worker": store.add_user(worker, Role.WORKER), "planner": store.add_user("调度员", Role.PLANNER)}
    finally:
        store.close()
    settings = Settings(database_url=url, sample_dir=folder, jobs_dir=folder / "jobs", purge_interval_s=0)
    results: dict[tuple[str, str], Timing] = {}
    with TestClient(create_app(settings)) as client, server_cpu_clock(url) as server_cpu:
        for role, queues in QUEUES.items():
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            for label, params in queues:
                query = {**params, "limit": str(LIMIT), "sort": "due"}
                times, app_times, server_times = [], [], []
                matched = 0
                for _ in range(runs + 1):  # the first warms the caches and is not counted
                    server_before = server_cpu()
                    app_started = time.process_time()
                    started = time.perf_counter()
                    answer = client.get("/api/v1/incidents", params=query, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                    app_times.append((time.process_time() - app_started) * 1000)
                    server_after = server_cpu()
                    spent = sum(ns - server_before.get(pid, 0) for pid, ns in server_after.items())
                    server_times.append(spent / 1e6)
                    answer.raise_for_status()
                    matched = answer.json()["matched"]
                times = sorted(times[1:])
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                results[(role, label)] = Timing(
                    statistics.median(times),
                    p95,
                    statistics.median(app_times[1:]),
                    statistics.median(server_times[1:]),
                    matched,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgis", action="store_true", help="Also on PostGIS (GRIDMAP_TEST_PG_URL)")
    parser.add_argument("--seed", type=int, default=DEFAULT_INCIDENT_SEED)
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"where filled stores are kept ({DEFAULT_CACHE})"
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgis"] if args.postgis else ["sqlite"]
    measured: dict[str, dict[tuple[str, str], Timing]] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            print(f"{backend}:")
            with desk_store(backend, args.incidents, args.seed, args.cache, folder) as kept:
                if kept is None:
                    continue
                url, sample = kept
                print(f"  the worker of the busiest grids: {sample.in_grids:,} incidents routed to them")
                measured[backend] = measure(url, folder, sample.worker, args.runs)
    keys = [(role, label) for role, queues in QUEUES.items() for label, _ in queues]
    header = f"{'queue request (limit 200, sort=due)':<36}" + "".join(
        f"{backend + ' p50':>13}{'p95':>8}{'cpu':>7}{'server':>7}{'matched':>9}" for backend in measured
    )
    print(f"\nserver time per request, ms ({args.runs} runs, {args.incidents:,} incidents; CPU p50 of the app, server)")
    print(header)
    for role, label in keys:
        cells = "".join(
            f"{t.p50:13.1f}{t.p95:8.1f}{t.app_cpu:7.1f}{t.server_cpu:7.1f}{t.matched:9,}"
            for t in (results[(role, label)] for results in measured.values())
        )
        print(f"{role + ': ' + label:<36}{cells}")
    for backend, results in measured.items():
        worst = max(t.p95 for t in results.values())
        verdict = "meets" if worst < TARGET_MS else "misses"
        ratio = worst / TARGET_MS
        print(f"{backend}: worst p95 {worst:.1f} ms = {ratio:.2f} x the {TARGET_MS:.0f} ms target ({verdict} it)")


if __name__ == "__main__":
    main()
