"""Point lookup from memory for versions that no longer change (published and retired ones).

A database round trip per lookup costs milliseconds; the same answer from an STRtree per level, built once
per version and process, costs tens of microseconds (PERFORMANCE.md: 2,700-3,100 req/s against 200-400).
Drafts can still be edited, so they are always looked up in the store.

The rule is the store's (`VersionStore.locate`), and tests hold the two to the same answers: a feature
covers the points of its boundary; among features of one level covering a point the smallest code wins;
outside every feature, the nearest grid (any feature when there are no grids) in metres, ties to the
smallest code.
"""

from __future__ import annotations

import gc
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import LEVELS, Level
from gridmap.geo.metric import degree_window_factor, degrees_reaching, distances_m
from gridmap.store.version_store import Feature, Location, Nearest, VersionInfo, VersionStatus, VersionStore

# Versions whose trees a process keeps (about 100 MB for 40,000 features); the least recently used goes.
MAX_CACHED_VERSIONS = 4

# Distances in metres from (lon, lat) to each geometry: gridmap.geo.metric.distances_m or a stand-in.
MeasureFn = Callable[[Sequence[BaseGeometry], float, float], npt.NDArray[np.float64]]


class _MeasuringThread:
    """The one thread of the process on which metres are measured.

    pyproj sets up a context (and opens its database) the first time each thread uses it: 50-200 ms of CPU, and the
    request thread pool has dozens of threads. Every LocatorCache therefore measures on this thread, so that a
    process making many apps (as the tests do) pays for that set-up once. A forked child starts a thread of its own:
    the parent's does not run there.
    """

    def __init__(self) -> None:
        self._start()
        os.register_at_fork(after_in_child=self._start)

    def _start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridmap-metres")

    def measure(self, geometries: Sequence[BaseGeometry], lon: float, lat: float) -> npt.NDArray[np.float64]:
        """distances_m, run on the measuring thread."""
        return self._executor.submit(distances_m, geometries, lon, lat).result()


_METRES = _MeasuringThread()


@dataclass(frozen=True)
class _Index:
    """Features of one level sorted by code, and an STRtree over their geometries (same order)."""

    features: tuple[Feature, ...]
    geometries: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def of(cls, features: Sequence[Feature]) -> _Index:
        ordered = tuple(sorted(features, key=lambda f: f.code))
        geometries = np.asarray([f.geometry for f in ordered], dtype=object)
        return cls(ordered, geometries, shapely.STRtree(geometries))


class VersionLocator:
    """Point lookups over one version's features, held in memory."""

    def __init__(self, features: Sequence[Feature], *, measure: MeasureFn = distances_m) -> None:
        self._measure = measure
        by_level: dict[Level | None, list[Feature]] = {}
        for feature in features:
            by_level.setdefault(feature.level, []).append(feature)
        # Top level first, features without a level last: the order of a lookup chain.
        order = [*LEVELS, None]
        self._levels = [(level, _Index.of(by_level[level])) for level in order if by_level.get(level)]
        grids = by_level.get(Level.GRID)
        # A point of the version (the first feature's bounding-box centre), e.g. to warm things up with.
        self.anchor: tuple[float, float] | None = None
        if features:
            min_x, min_y, max_x, max_y = features[0].geometry.bounds
            self.anchor = ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0)
        self._nearest_index = _Index.of(grids) if grids else (_Index.of(features) if features else None)

    def locate(self, lon: float, lat: float) -> Location:
        """The chain of features covering the point, or the nearest grid and its distance."""
        point = shapely.Point(lon, lat)
        chain = []
        for _level, index in self._levels:
            hits = index.tree.query(point, predicate="covered_by")
            if len(hits):
                chain.append(index.features[int(hits.min())])  # sorted by code: the smallest index wins
        if chain:
            return Location(lon=lon, lat=lat, chain=tuple(chain))
        return Location(lon=lon, lat=lat, chain=(), nearest=self.nearest(lon, lat))

    def nearest(self, lon: float, lat: float) -> Nearest | None:
        """The nearest grid in metres: candidates within the nearest distance in degrees, widened for latitude."""
        index = self._nearest_index
        if index is None:
            return None
        point = shapely.Point(lon, lat)
        _, degrees = index.tree.query_nearest(point, return_distance=True, all_matches=False)
        reach = float(degrees[0]) * degree_window_factor(lat)
        candidates = np.sort(index.tree.query(point, predicate="dwithin", distance=reach))
        metres = self._measure(list(index.geometries[candidates]), lon, lat)
        # Candidates are in code order, so the first of the smallest distances has the smallest code.
        best = int(candidates[int(np.argmin(metres))])
        return Nearest(feature=index.features[best], distance_m=float(metres.min()))

    def grids_within(self, lon: float, lat: float, metres: float) -> list[tuple[str, float]]:
        """The grids within `metres` of the point (code, metres), nearest (then smallest code) first."""
        index = self._nearest_index
        if index is None or index.features[0].level is not Level.GRID:
            return []
        reach = degrees_reaching(metres, lat)
        candidates = np.sort(index.tree.query(shapely.Point(lon, lat), predicate="dwithin", distance=reach))
        if not len(candidates):
            return []
        distances = self._measure(list(index.geometries[candidates]), lon, lat)
        near = [
            (index.features[int(c)].code, float(d)) for c, d in zip(candidates, distances, strict=True) if d <= metres
        ]
        return sorted(near, key=lambda found: (found[1], found[0]))


class LocatorCache:
    """Lookups for any version: from memory for published and retired ones, from the store for drafts."""

    def __init__(self, store: VersionStore, *, max_versions: int = MAX_CACHED_VERSIONS) -> None:
        self._store = store
        self._max_versions = max_versions
        self._locators: OrderedDict[int, VersionLocator] = OrderedDict()
        self._lock = threading.Lock()

    def locate(self, version: VersionInfo, lon: float, lat: float) -> Location:
        """Where (lon, lat) in WGS-84 falls in `version`."""
        if version.status is VersionStatus.DRAFT:
            return self._store.locate(version.id, lon, lat)
        return self._locator(version.id).locate(lon, lat)

    def grids_within(self, version: VersionInfo, lon: float, lat: float, metres: float) -> list[tuple[str, float]]:
        """The grids of `version` within `metres` of (lon, lat) and their distances, nearest first."""
        if version.status is VersionStatus.DRAFT:
            reach = degrees_reaching(metres, lat)
            box = (lon - reach, lat - reach, lon + reach, lat + reach)
            grids = self._store.features(version.id, bbox=box, level=Level.GRID).features
            return VersionLocator(grids, measure=_METRES.measure).grids_within(lon, lat, metres) if grids else []
        return self._locator(version.id).grids_within(lon, lat, metres)

    def held_versions(self) -> tuple[int, ...]:
        """Ids of the versions whose lookups are in memory, least recently used first."""
        with self._lock:
            return tuple(self._locators)

    def prepare(self, version: VersionInfo) -> None:
        """Build the lookup of `version` ahead of its first use (nothing to do for a draft)."""
        if version.status is not VersionStatus.DRAFT:
            locator = self._locator(version.id)
            if locator.anchor is not None:
                # pyproj's set-up for this area (and, first in the process, for the thread) out of any request's way.
                _METRES.measure([shapely.Point(locator.anchor)], *locator.anchor)

    def _locator(self, version_id: int) -> VersionLocator:
        with self._lock:
            locator = self._locators.get(version_id)
            if locator is None:
                # Built under the lock: concurrent first lookups wait for one build instead of each making one.
                locator = VersionLocator(self._store.features(version_id).features, measure=_METRES.measure)
                self._locators[version_id] = locator
                # Tens of thousands of long-lived objects: out of the collector's full passes (see app.py).
                gc.freeze()
                while len(self._locators) > self._max_versions:
                    self._locators.popitem(last=False)
            else:
                self._locators.move_to_end(version_id)
            return locator
