"""Generated incidents into a store, for demos and benchmarks on any store (`python -m gridmap_demo incidents
generate`): new incidents in the grids of the store's published version, near its households when it has some.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np

from gridmap.errors import InvalidInput
from gridmap.services.boundaries import DEFAULT_SET, published_version
from gridmap.store.interface import BoundaryStore
from gridmap_demo.incidents import DEFAULT_INCIDENT_SEED, SAMPLE_END, SAMPLE_START, generate_incidents


def generate_into_store(
    store: BoundaryStore,
    *,
    count: int,
    seed: int = DEFAULT_INCIDENT_SEED,
    start: datetime = SAMPLE_START,
    end: datetime = SAMPLE_END,
    set_name: str = DEFAULT_SET,
    id_prefix: str = "sample-",
    near_homes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Generate `count` incidents in the grids of the set's published version and import them; how many.

    Reports are placed near the store's households when it has some (`near_homes`). Conflict when an id
    (`id_prefix` and a running number) is taken: give another prefix to add more.
    """
    if count < 1:
        msg = f"count is {count}; generate at least one incident"
        raise InvalidInput(msg)
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        msg = "the period needs a start before its end"
        raise InvalidInput(msg)
    version = published_version(store, set_name)
    boundaries = store.version_frame(version.id)
    homes = None
    if near_homes:
        located = [(p.lon, p.lat) for p in store.household_points() if p.lon is not None and p.lat is not None]
        homes = np.array(located) if located else None
    try:
        incidents = generate_incidents(
            boundaries, count=count, seed=seed, start=start, end=end, homes=homes, id_prefix=id_prefix
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    return store.import_incidents(incidents, progress=progress)
