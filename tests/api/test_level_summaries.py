"""Each level's count and extent, as GET /collections/{id}?version=N answers them: a published version's are read
from the store once per process, a draft's on every request."""

from __future__ import annotations

from typing import Any, cast

from gridmap.geo.hierarchy import Level
from gridmap.services.level_summaries import LevelSummaries
from gridmap.services.version_cache import VersionCache
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import VersionStore
from tests.api.conftest import TestClient


class CountedReads:
    """The store, counting the reads a summary makes (features and extent)."""

    def __init__(self, store: BoundaryStore) -> None:
        self.store = store
        self.reads = 0

    def features(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return self.store.features(*args, **kwargs)

    def extent(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return self.store.extent(*args, **kwargs)


def test_a_published_versions_summaries_are_read_once(client: TestClient) -> None:
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    published = VersionCache(store).default()
    counted = CountedReads(store)
    summaries = LevelSummaries(cast(VersionStore, counted))
    summaries.prepare(published)
    reads = counted.reads
    assert reads > 0
    for level in (*Level, None):
        summary = summaries.summary(published, level)
        assert summary.count == store.features(published.id, level=level).number_matched > 0
        assert summary.extent == store.extent(published.id, level=level)
    assert counted.reads == reads  # every answer was kept


def test_a_drafts_summaries_are_read_each_time(client: TestClient) -> None:
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    published = VersionCache(store).default()
    draft = store.import_version("default", store.version_frame(published.id), who="test", why="draft")
    counted = CountedReads(store)
    summaries = LevelSummaries(cast(VersionStore, counted))
    first = summaries.summary(draft, Level.GRID)
    reads = counted.reads
    assert summaries.summary(draft, Level.GRID) == first
    assert counted.reads == 2 * reads  # a draft changes with each edit: never kept
    assert first.count == store.features(draft.id, level=Level.GRID).number_matched
