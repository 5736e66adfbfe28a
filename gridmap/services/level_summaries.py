"""How many features a level of a version has and where they are, remembered per published or retired version.

A map opening a version asks first how many features each level has and where they are (GET /collections/{id}
?version=N): that decides which levels it loads by view and frames the map. Counting and bounding a province's
313,040 microgrids takes tens of milliseconds per level, on every page opened. A published or retired version
never changes, so its answers are worked out once per process (the published version's at start-up) and kept; a
draft's are worked out on each request, for it changes with every edit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from gridmap.geo.hierarchy import Level
from gridmap.store.version_store import VersionInfo, VersionStatus, VersionStore

Bbox = tuple[float, float, float, float]

# Versions whose summaries are kept per process (each a handful of numbers per level); the oldest go first.
MAX_VERSIONS = 64

# (version id, its creation time, level or None for every level)
_Key = tuple[int, datetime, Level | None]


@dataclass(frozen=True)
class LevelSummary:
    """A level of a version: how many features it has, and a WGS-84 box holding them (None when it has none)."""

    count: int
    extent: Bbox | None


class LevelSummaries:
    """Each level's summary per published or retired version, worked out once; a draft's each time."""

    def __init__(self, store: VersionStore, *, max_versions: int = MAX_VERSIONS) -> None:
        self._store = store
        self._max_keys = max_versions * (len(Level) + 1)
        self._held: dict[_Key, LevelSummary] = {}
        self._lock = threading.Lock()

    def summary(self, version: VersionInfo, level: Level | None) -> LevelSummary:
        """The features of `version` of `level` (every level when None): their count and extent."""
        key = (version.id, version.created_at, level)
        held = self._held.get(key)
        if held is not None:
            return held
        found = LevelSummary(
            count=self._store.features(version.id, level=level, limit=1).number_matched,
            extent=self._store.extent(version.id, level=level),
        )
        if version.status is not VersionStatus.DRAFT:
            with self._lock:
                # A new dict rather than a change in place: readers never see one half-made. Insertion order is
                # the age: when full, the oldest entry goes.
                kept = self._held if len(self._held) < self._max_keys else dict(list(self._held.items())[1:])
                self._held = {**kept, key: found}
        return found

    def prepare(self, version: VersionInfo) -> None:
        """Work out every level's summary of `version` now (the published one's at start-up, before any page)."""
        for level in (*Level, None):
            self.summary(version, level)
