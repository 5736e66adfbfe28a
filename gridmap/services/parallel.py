"""Independent pieces of one check run in worker processes (`gridmap check --jobs N`), results in their order.

The workers are forked, so the pieces' shared input (a level's geometries) is inherited, not pickled, and
nothing is imported again; only each piece (a tile: a box and indices) and its result cross between processes.
The pieces never depend on the number of processes, so every `--jobs` gives the same report. A few large calls
into GEOS or numpy, which run without Python's lock, go side by side in threads of the process instead
(`side_by_side`): nothing to fork, and their results need no pickling.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

Shared = TypeVar("Shared")
Piece = TypeVar("Piece")
Result = TypeVar("Result")

# maps function(shared, piece) over pieces somewhere (a Dask cluster: gridmap.services.dask_cluster.DaskPieces),
# the results in the pieces' order
PieceMap = Callable[[Callable[[Any, Any], Any], Any, Sequence[Any]], list[Any]]

_work: tuple[Callable[[Any, Any], Any], Any] | None = None  # the function and shared input the forked workers inherit


def usable_cores() -> int:
    """The processor cores this process may run on (its affinity), at least 1."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def map_pieces(
    function: Callable[[Shared, Piece], Result], shared: Shared, pieces: Sequence[Piece], jobs: int
) -> list[Result]:
    """`function(shared, piece)` for every piece, in `jobs` forked processes (here when 1), in the pieces' order."""
    global _work
    workers = min(jobs, len(pieces))
    if workers <= 1:
        return [function(shared, piece) for piece in pieces]
    import multiprocessing  # by the runs that may fork: a small file's check starts without it

    if "fork" not in multiprocessing.get_all_start_methods():
        return [function(shared, piece) for piece in pieces]
    _work = (function, shared)
    gc.freeze()  # the workers' garbage collections skip what they inherit: no pass touches (and copies) its pages
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # one piece at a time: pieces differ in cost (a tile on a coast, a county of slivers), and a worker
            # handed the default's runs of len/4N pieces could be left with the last costly run alone
            return pool.map(_run_piece, pieces, chunksize=1)
    finally:
        gc.unfreeze()
        _work = None


def side_by_side(calls: Sequence[Callable[[], Result]], jobs: int) -> list[Result]:
    """Every call's result, in their order: with `jobs` > 1 all at once in threads of this process, one after the
    other here otherwise. Meant for a few large calls into GEOS or numpy, which release Python's lock (three
    coverage validations of a country cost 1.2 s each: on 2 cores, 1.9 s side by side instead of 3.6 s)."""
    if jobs <= 1 or len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(len(calls)) as threads:
        running = [threads.submit(call) for call in calls]
        return [call.result() for call in running]


def in_background(call: Callable[[], Result], jobs: int) -> Future[Result]:
    """`call`'s coming result: with `jobs` > 1 worked out in a thread while this one goes on, here and now otherwise.
    For a call mostly in GEOS or numpy whose result is needed a little later (a country's input-space geometries,
    built beside its first coverage searches)."""
    if jobs > 1:
        thread = ThreadPoolExecutor(1)
        try:
            return thread.submit(call)
        finally:
            thread.shutdown(wait=False)  # the thread ends with the call
    done: Future[Result] = Future()
    done.set_result(call())
    return done


def _run_piece(piece: Any) -> Any:
    """One piece in a worker, with the function and shared input inherited from the parent."""
    assert _work is not None
    function, shared = _work
    return function(shared, piece)


JSON_ITEMS_PER_PIECE = 4096  # list items encoded per piece: a country's 77,000 problems in 19 pieces


def json_text(
    document: dict[str, Any], listed: str, items_json: Callable[[Sequence[Any]], list[Any]], jobs: int
) -> str:
    """`json.dumps(document, ensure_ascii=False)` with `document[listed]` mapped to JSON by `items_json`, byte for
    byte, the long list built and written in pieces in `jobs` forked processes (a country's 77,000 problems, 1.6
    million floats to format). `items_json` must map a list item by item, so that the pieces join as one."""
    keys = list(document)
    position = keys.index(listed)
    before = json.dumps({key: document[key] for key in keys[:position]}, ensure_ascii=False)[:-1]
    after = json.dumps({key: document[key] for key in keys[position + 1 :]}, ensure_ascii=False)[1:]
    items = document[listed]
    pieces = [(start, start + JSON_ITEMS_PER_PIECE) for start in range(0, len(items), JSON_ITEMS_PER_PIECE)]
    encoded = ", ".join(map_pieces(_json_items, (items, items_json), pieces, jobs))
    return f"{before}{', ' if position else ''}{json.dumps(listed)}: [{encoded}]{', ' if after != '}' else ''}{after}"


def _json_items(shared: tuple[Sequence[Any], Callable[[Sequence[Any]], list[Any]]], piece: tuple[int, int]) -> str:
    """The items `piece` (start, stop) of a list as their JSON, written as json.dumps writes it inside the brackets."""
    items, items_json = shared
    start, stop = piece
    return json.dumps(items_json(items[start:stop]), ensure_ascii=False)[1:-1]
