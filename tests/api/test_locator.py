"""The in-memory lookup the API uses for published versions gives the store's answers, point for point."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from gridmap.services.locator import LocatorCache, VersionLocator
from gridmap.services.version_cache import VersionCache
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import Location
from tests.api.conftest import TestClient
from tests.boundary_builders import LAT0, LON0, STEP


def summary(location: Location) -> tuple[object, ...]:
    nearest = location.nearest
    return (
        tuple((f.feature_id, f.code, f.level) for f in location.chain),
        None if nearest is None else (nearest.feature.code, round(nearest.distance_m, 6)),
    )


def probe_points() -> list[tuple[float, float]]:
    """Points on every vertex and edge of the test cells, inside them, and around the region."""
    steps = np.arange(-2.0, 6.01, 0.25)  # quarter cells: vertices, edge midpoints, microgrid borders
    lattice = [(LON0 + i * STEP, LAT0 + j * STEP) for i in steps for j in np.arange(-1.0, 3.01, 0.25)]
    rng = np.random.default_rng(7)
    scattered = list(zip(LON0 + rng.uniform(-2, 6, 200) * STEP, LAT0 + rng.uniform(-1, 3, 200) * STEP, strict=True))
    return [(float(x), float(y)) for x, y in lattice + scattered]


def test_memory_lookups_equal_the_stores(client: TestClient) -> None:
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    version = VersionCache(store).default()
    locator = VersionLocator(store.features(version.id).features)
    points = probe_points()
    assert len(points) > 500
    differences = [
        (lon, lat)
        for lon, lat in points
        if summary(locator.locate(lon, lat)) != summary(store.locate(version.id, lon, lat))
    ]
    assert differences == []
    assert sum(1 for p in points if locator.locate(*p).nearest is not None) > 50  # outside points were tried


def test_drafts_are_looked_up_in_the_store(client: TestClient, planner_headers: dict[str, str]) -> None:
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    published = VersionCache(store).default()
    features = store.version_frame(published.id)
    draft = store.import_version("default", features, who="test", why="draft")
    cache = LocatorCache(store)
    lon, lat = LON0 + 0.5 * STEP, LAT0 + 0.5 * STEP
    assert summary(cache.locate(draft, lon, lat)) == summary(store.locate(draft.id, lon, lat))
    assert draft.id not in cache.held_versions()  # drafts may still change: never kept
    cache.prepare(published)
    assert cache.held_versions() == (published.id,)


def test_version_cache_renews_after_its_ttl(client: TestClient) -> None:
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    now = [0.0]
    cache = VersionCache(store, ttl_s=1.0, clock=lambda: now[0])
    try:
        first = cache.default()
        assert cache.default() is first  # within the TTL: no new lookup
        cache.invalidate()
        assert cache.default() is not first and cache.default().id == first.id
        with pytest.raises(Exception, match="no boundary version 999"):
            cache.get(999)
    finally:
        cache.close()


def test_closing_the_version_cache_waits_for_a_renewal_under_way(client: TestClient) -> None:
    """The store is closed right after the cache: a renewal still reading would open a connection nothing closes."""
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    now = [0.0]
    reading, release = threading.Event(), threading.Event()

    def slow_clock() -> float:
        if threading.current_thread().name.startswith("gridmap-versions"):
            reading.set()
            release.wait(timeout=30)
        return now[0]

    cache = VersionCache(store, ttl_s=1.0, clock=slow_clock)
    cache.default()
    now[0] = 5.0
    cache.default()  # due: renewed on the cache's thread, which now waits in the clock
    assert reading.wait(timeout=30)
    closing = threading.Thread(target=cache.close)
    closing.start()
    closing.join(timeout=0.5)
    assert closing.is_alive()  # close waits for the renewal under way ...
    release.set()
    closing.join(timeout=30)
    assert not closing.is_alive()  # ... and returns once it is done
