"""Simplified outlines of a whole level of a version, computed once and remembered, for display at low zoom.

Simplifying each page of features on its own costs seconds per page on a city of 10,000 grids, and borders
between features on different pages come out differently (slivers on screen). Simplifying a level's whole
coverage once per version, level and tolerance keeps every shared border shared across pages, and a page is then
a lookup. A published or retired version never changes; a draft changes with each edit, undo and redo, so its
outlines are keyed by its edit sequence. A simplified outline is used only for the revision it was made from:
a feature changed meanwhile is answered at full resolution. The least recently used outlines go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from gridmap.geo.coverage_simplify import simplify_coverage
from gridmap.geo.hierarchy import Level
from gridmap.store.edit_store import VersionEditStore
from gridmap.store.version_store import Feature, FeaturePage, VersionStatus

# Levels x tolerances x versions kept per process: 100,000 microgrids simplified hold about 100 MB.
MAX_CACHED_OUTLINES = 8

# (version id, its creation time, its edit sequence (None unless a draft), level, tolerance in metres)
_Key = tuple[int, datetime, int | None, Level, float]
# feature id -> (the revision simplified, its simplified outline)
_Outlines = Mapping[str, tuple[int, BaseGeometry]]


class SimplifiedOutlines:
    """Each level's simplified coverage per version state and tolerance, least recently used forgotten."""

    def __init__(self, store: VersionEditStore, *, max_entries: int = MAX_CACHED_OUTLINES) -> None:
        self._store = store
        self._max_entries = max_entries
        self._held: OrderedDict[_Key, _Outlines] = OrderedDict()
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
        once per state (concurrent requests wait for the one computing them)."""
        key = self._key(version_id, level, tolerance_m)
        with self._lock:
            held = self._held.get(key)
            if held is not None:
                self._held.move_to_end(key)
                return held
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                held = self._held.get(key)
            if held is not None:
                return held
            outlines = self._simplify(version_id, level, tolerance_m)
            unchanged = self._key(version_id, level, tolerance_m) == key
            with self._lock:
                self._computing.pop(key, None)
                if unchanged:  # an edit while reading: answer this request, remember nothing
                    self._held[key] = outlines
                    while len(self._held) > self._max_entries:
                        self._held.popitem(last=False)
            return outlines

    def _key(self, version_id: int, level: Level, tolerance_m: float) -> _Key:
        draft = self._store.draft_info(version_id)
        version = draft.version
        edit_seq = draft.edit_seq if version.status is VersionStatus.DRAFT else None
        return (version.id, version.created_at, edit_seq, level, float(tolerance_m))

    def _simplify(self, version_id: int, level: Level, tolerance_m: float) -> _Outlines:
        features: list[Feature] = self._store.features(version_id, level=level).features
        simplified = simplify_coverage([f.geometry for f in features], tolerance_m)
        return {f.feature_id: (f.revision, g) for f, g in zip(features, simplified, strict=True)}
