"""Stored rows as the values the interface hands out, the point lookup rule, and IN lists of any length."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from gridmap.geo.hierarchy import LEVELS, Level
from gridmap.store.tables import GridFeature
from gridmap.store.version_store import Feature

IN_BATCH = 50_000  # values per IN (...): a province version has more codes than SQLite takes parameters


def feature_from_row(row: GridFeature) -> Feature:
    """The interface's Feature for a stored row."""
    return Feature(
        feature_id=row.feature_id,
        version_id=row.version_id,
        revision=row.revision,
        code=row.code,
        name=row.name,
        level=None if row.level is None else Level(row.level),
        parent=row.parent,
        worker=row.worker,
        households_target=row.households_target,
        geometry=row.geometry,
    )


def lookup_chain(covering: Sequence[Feature]) -> tuple[Feature, ...]:
    """From the features covering a point: one per level, the smallest code winning, top level first.

    Features without a level (a flat coverage) come last.
    """
    best: dict[Level | None, Feature] = {}
    for feature in covering:
        held = best.get(feature.level)
        if held is None or feature.code < held.code:
            best[feature.level] = feature
    return tuple(sorted(best.values(), key=lambda f: len(LEVELS) if f.level is None else f.level.rank))


def in_batches(values: Sequence[Any], size: int | None = None) -> Iterator[Sequence[Any]]:
    """`values` in runs of at most `size` (default IN_BATCH), for IN (...) lists a database accepts at any size of
    version."""
    step = size or IN_BATCH
    for start in range(0, len(values), step):
        yield values[start : start + step]
