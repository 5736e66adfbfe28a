"""Which version a read is served from, remembered for a moment so that each request does not ask again.

Finding the published version takes a few database queries; a locate request must take well under a
millisecond of server time. Versions are looked up at most once a second per process (TTL); a publish
through this process forgets them at once, and other processes notice within the TTL. An answer due for
renewal is renewed on a thread of its own while requests go on with the previous one, so that requests
never wait on the database for it (only the very first asks in person).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from gridmap.errors import NotFound
from gridmap.geo.hierarchy import Level
from gridmap.services import boundaries as boundary_service
from gridmap.store.version_store import VersionInfo, VersionStatus, VersionStore

DEFAULT_TTL_S = 1.0
_MAX_REMEMBERED = 256
_DEFAULT_KEY = 0  # version ids start at 1


class VersionCache:
    """The default (published) version and versions by id, each renewed every `ttl_s` seconds."""

    def __init__(
        self, store: VersionStore, *, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._clock = clock
        self._held: dict[int, tuple[float, VersionInfo]] = {}
        self._lock = threading.Lock()
        self._renewing: set[int] = set()
        self._renewer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridmap-versions")
        self._grid_workers: dict[int, Mapping[str, frozenset[str]]] = {}

    def close(self) -> None:
        """Stop the renewing thread, waiting for a renewal under way: the store may be closed next, and a renewal
        still reading would open a new connection on it that nothing closes."""
        self._renewer.shutdown(wait=True, cancel_futures=True)

    def invalidate(self) -> None:
        """Forget everything (after a publish)."""
        with self._lock:
            self._held = {}

    def default(self) -> VersionInfo:
        """The published version readers get without `version=`: the default set's, else the first set's."""
        return self._answer(_DEFAULT_KEY, self._find_default)

    def get(self, version_id: int) -> VersionInfo:
        """Version `version_id`; NotFound when there is none."""
        return self._answer(version_id, lambda: self._store.get_version(version_id))

    def grid_workers(self, version: VersionInfo) -> Mapping[str, frozenset[str]]:
        """The codes of the grids of each worker in `version`: read once for a published or retired version (those
        never change; a worker's scope needs them on every request), each time for a draft."""
        held = self._grid_workers.get(version.id)
        if held is not None:
            return held
        grids: dict[str, set[str]] = {}
        for grid in self._store.features(version.id, level=Level.GRID).features:
            if grid.worker:
                grids.setdefault(grid.worker, set()).add(grid.code)
        workers = {worker: frozenset(codes) for worker, codes in grids.items()}
        if version.status is not VersionStatus.DRAFT:
            with self._lock:
                kept = self._grid_workers if len(self._grid_workers) < _MAX_REMEMBERED else {}
                self._grid_workers = {**kept, version.id: workers}
        return workers

    def _answer(self, key: int, find: Callable[[], VersionInfo]) -> VersionInfo:
        held = self._held.get(key)
        if held is None:
            return self._renew(key, find)
        if self._clock() - held[0] >= self._ttl_s:
            with self._lock:
                due = key not in self._renewing
                self._renewing.add(key)
            if due:
                self._renewer.submit(self._renew_quietly, key, find)
        return held[1]

    def _renew(self, key: int, find: Callable[[], VersionInfo]) -> VersionInfo:
        version = find()
        with self._lock:
            kept = self._held if len(self._held) < _MAX_REMEMBERED else {}
            # A new dict rather than a change in place: readers never see one half-made.
            self._held = {**kept, key: (self._clock(), version)}
        return version

    def _renew_quietly(self, key: int, find: Callable[[], VersionInfo]) -> None:
        try:
            self._renew(key, find)
        except Exception:
            # Gone or unreachable: forget it, so that the next request asks in person and gets the error.
            with self._lock:
                self._held = {k: v for k, v in self._held.items() if k != key}
        finally:
            with self._lock:
                self._renewing.discard(key)

    def _find_default(self) -> VersionInfo:
        sets = sorted(self._store.list_sets(), key=lambda s: (s.name != boundary_service.DEFAULT_SET, s.name))
        for boundary_set in sets:
            if boundary_set.published_version is not None:
                return self._store.get_version(boundary_set.published_version)
        msg = "no boundary version is published yet; import one and publish it (POST /api/v1/boundary-sets/...)"
        raise NotFound(msg)
