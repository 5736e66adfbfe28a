"""Simplified outlines of a whole level of a version, computed once and remembered, for display at low zoom.

Simplifying each page of features on its own costs seconds per page on a city of 10,000 grids, and borders
between features on different pages come out differently (slivers on screen). Simplifying a level's whole
coverage once per version, level and tolerance keeps every shared border shared across pages, and a page is then
a lookup. A published or retired version never changes; a draft changes with each edit, undo and redo, so its
outlines are keyed by its edit sequence. A simplified outline is used only for the revision it was made from:
a feature changed meanwhile is answered at full resolution. The least recently used outlines go first.

An edit changes a few features of a draft: the outlines of its next state are made from those of the last one
held, simplifying again only the tiles (`gridmap.geo.coverage_simplify.CoverageTiles`) of the features whose
revision changed, were added or were deleted, which gives what simplifying every tile afresh would.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from gridmap.geo.coverage_simplify import TILE_FEATURES, CoverageTiles, TileKey, simplify_coverage
from gridmap.geo.hierarchy import Level
from gridmap.store.edit_store import VersionEditStore
from gridmap.store.version_store import Feature, FeaturePage, VersionStatus

# Levels x tolerances x versions kept per process: 100,000 microgrids simplified hold about 100 MB.
MAX_CACHED_OUTLINES = 8

# (version id, its creation time, its edit sequence (None unless a draft), level, tolerance in metres)
_Key = tuple[int, datetime, int | None, Level, float]
# feature id -> (the revision simplified, its simplified outline)
_Outlines = Mapping[str, tuple[int, BaseGeometry]]


@dataclass(frozen=True)
class _LevelOutlines:
    """A level's simplified outlines in one state, with the tiles they were simplified by."""

    tiles: CoverageTiles | None  # None for a level without features
    tile_of: Mapping[str, TileKey]  # feature id -> its tile
    outlines: _Outlines


class SimplifiedOutlines:
    """Each level's simplified coverage per version state and tolerance, least recently used forgotten."""

    def __init__(
        self,
        store: VersionEditStore,
        *,
        max_entries: int = MAX_CACHED_OUTLINES,
        features_per_tile: int = TILE_FEATURES,
    ) -> None:
        self._store = store
        self._max_entries = max_entries
        self._features_per_tile = features_per_tile
        self._held: OrderedDict[_Key, _LevelOutlines] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[_Key, threading.Lock] = {}

    def page(self, version_id: int, page: FeaturePage, tolerance_m: float) -> FeaturePage:
        """The page with each feature's outline simplified within `tolerance_m` metres as part of its level's
        whole coverage; features without a level are simplified together within the page."""
        by_level: dict[Level, _Outlines] = {}
        for level in dict.fromkeys(f.level for f in page.features if f.level is not None):
            by_level[level] = self.outlines(version_id, level, tolerance_m)
        loose = [f for f in page.features if f.level is None]
        loose_outlines = dict(
            zip((f.feature_id for f in loose), simplify_coverage([f.geometry for f in loose], tolerance_m), strict=True)
        )
        features = []
        for feature in page.features:
            if feature.level is None:
                features.append(replace(feature, geometry=loose_outlines[feature.feature_id]))
                continue
            held = by_level[feature.level].get(feature.feature_id)
            current = held is not None and held[0] == feature.revision
            features.append(replace(feature, geometry=held[1]) if current and held else feature)
        return FeaturePage(features, page.number_matched)

    def outlines(self, version_id: int, level: Level, tolerance_m: float) -> _Outlines:
        """The level's outlines in the version's current state, simplified within `tolerance_m` metres: computed
        once per state (concurrent requests wait for the one computing them), from the last state held when there
        is one."""
        key = self._key(version_id, level, tolerance_m)
        with self._lock:
            held = self._held.get(key)
            if held is not None:
                self._held.move_to_end(key)
                return held.outlines
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                held = self._held.get(key)
                earlier = self._earlier(key)
            if held is not None:
                return held.outlines
            made = self._simplify(version_id, level, tolerance_m, earlier)
            unchanged = self._key(version_id, level, tolerance_m) == key
            with self._lock:
                self._computing.pop(key, None)
                if unchanged:  # an edit while reading: answer this request, remember nothing
                    for older in self._other_states(key):  # an earlier state is never asked for again
                        del self._held[older]
                    self._held[key] = made
                    while len(self._held) > self._max_entries:
                        self._held.popitem(last=False)
            return made.outlines

    def _other_states(self, key: _Key) -> list[_Key]:
        """The keys held of other states of the same draft, level and tolerance (under the lock)."""
        version_id, created_at, edit_seq, level, tolerance = key
        if edit_seq is None:
            return []
        return [k for k in self._held if k[:2] == (version_id, created_at) and k[3:] == (level, tolerance) and k != key]

    def _earlier(self, key: _Key) -> _LevelOutlines | None:
        """The latest outlines held of another state of the same draft, level and tolerance (under the lock)."""
        others = self._other_states(key)
        return self._held[max(others, key=lambda k: k[2] or 0)] if others else None

    def _key(self, version_id: int, level: Level, tolerance_m: float) -> _Key:
        draft = self._store.draft_info(version_id)
        version = draft.version
        edit_seq = draft.edit_seq if version.status is VersionStatus.DRAFT else None
        return (version.id, version.created_at, edit_seq, level, float(tolerance_m))

    def _simplify(
        self, version_id: int, level: Level, tolerance_m: float, earlier: _LevelOutlines | None
    ) -> _LevelOutlines:
        """The level's outlines now: every tile simplified, or from `earlier` only the tiles whose features changed."""
        features: list[Feature] = self._store.features(version_id, level=level).features
        if not features:
            return _LevelOutlines(None, {}, {})
        if earlier is None or earlier.tiles is None:
            tiles = CoverageTiles.over([f.geometry for f in features], self._features_per_tile)
            tile_of = dict(
                zip((f.feature_id for f in features), tiles.keys([f.geometry for f in features]), strict=True)
            )
            outlines: dict[str, tuple[int, BaseGeometry]] = {}
            redo = set(tile_of.values())
        else:
            tiles = earlier.tiles
            changed = [f for f in features if earlier.outlines.get(f.feature_id, (None,))[0] != f.revision]
            now = {f.feature_id for f in features}
            moved = dict(zip((f.feature_id for f in changed), tiles.keys([f.geometry for f in changed]), strict=True))
            tile_of = {fid: tile for fid, tile in earlier.tile_of.items() if fid in now} | moved
            redo = set(moved.values()) | {t for fid, t in earlier.tile_of.items() if fid in moved or fid not in now}
            outlines = {fid: o for fid, o in earlier.outlines.items() if fid in now and tile_of[fid] not in redo}
        by_tile: dict[TileKey, list[Feature]] = {}
        for feature in features:
            if tile_of[feature.feature_id] in redo:
                by_tile.setdefault(tile_of[feature.feature_id], []).append(feature)
        for members in by_tile.values():
            simplified = tiles.simplify([f.geometry for f in members], tolerance_m)
            outlines.update((f.feature_id, (f.revision, g)) for f, g in zip(members, simplified, strict=True))
        return _LevelOutlines(tiles, tile_of, outlines)
