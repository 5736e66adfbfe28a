"""Stored rows as the values the interface hands out, the point lookup rule, and IN lists of any length."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Select, select

from gridmap.geo.hierarchy import LEVELS, Level
from gridmap.store.frames import FRAME_COLUMNS
from gridmap.store.tables import GridFeature, geometry_wkb
from gridmap.store.version_store import Feature

_VALUE_COLUMNS = ("feature_id", "version_id", "revision", *FRAME_COLUMNS)  # a Feature's values but its geometry
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


def feature_columns() -> Select[Any]:
    """A feature's values as columns (the geometry as WKB, last), for `features_from_columns`."""
    columns = GridFeature.__table__.c
    return select(*(columns[name] for name in _VALUE_COLUMNS), geometry_wkb(columns.geometry))


def features_from_columns(rows: Sequence[Sequence[Any]]) -> list[Feature]:
    """Features from rows of `feature_columns()`: the same values as `feature_from_row` gives, every geometry
    converted in one call rather than an ORM object and a conversion per row."""
    geometries = shapely.from_wkb(np.array([row[-1] for row in rows], dtype=object))
    features = []
    for row, geometry in zip(rows, geometries, strict=True):
        values = dict(zip(_VALUE_COLUMNS, row[:-1], strict=True))
        level = values.pop("level")
        features.append(Feature(**values, level=None if level is None else Level(level), geometry=geometry))
    return features


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
