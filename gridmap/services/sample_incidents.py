"""Sample incidents for the demo server and for demos and benchmarks on any store.

`ensure_sample_incidents` loads `sample/incidents.geojson` (written by `gridmap sample`) into a store that
serves the sample region and holds no incidents yet, as `boundaries.ensure_sample` does for the region.
`generate_into_store` makes new incidents in the grids of a store's published version and imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

from gridmap.errors import InvalidInput
from gridmap.io.incidents import read_incidents
from gridmap.sample.incidents import (
    DEFAULT_INCIDENT_SEED,
    INCIDENTS_FILE,
    SAMPLE_END,
    SAMPLE_START,
    generate_incidents,
)
from gridmap.services.boundaries import DEFAULT_SET, SAMPLE_AUTHOR, published_version
from gridmap.store.interface import BoundaryStore, IncidentFilter


def ensure_sample_incidents(store: BoundaryStore, *, sample_dir: Path, set_name: str = DEFAULT_SET) -> int:
    """Import the sample incidents when the store serves the sample region and has no incidents; how many."""
    path = sample_dir / INCIDENTS_FILE
    if not path.is_file() or set_name not in {s.name for s in store.list_sets()}:
        return 0
    version = store.published_version(set_name)
    # Only onto the sample region itself: the incidents are routed to its grids.
    if version is None or version.created_by != SAMPLE_AUTHOR:
        return 0
    if store.list_incidents(IncidentFilter(), limit=1).matched:
        return 0
    return store.import_incidents(read_incidents(path))


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
