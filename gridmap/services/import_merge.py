"""Three sides of an imported row: the feature as exported (its base), as the draft holds it now, as the file holds it.

The export writes the base into each row, in the `gm_base` field (gridmap.io.draft_files.BASE_FIELD): the
feature's properties as exported and a fingerprint of its geometry. Comparing the draft's feature and the file's
row with the base tells who changed what since the export: a row only the draft changed keeps the draft's
feature, a row only the file changed is applied, and a row both changed differently is a conflict. The base
holds content, not revision numbers, so a change the draft made and undid since is no change.

The fingerprint is of the shape (rings normalised, a single-part MultiPolygon as its Polygon, 2D) with
coordinates rounded to `FINGERPRINT_DECIMALS` places of a degree (about 1 cm): a row QGIS did not touch, or a
trip through a projected CRS and back, keeps it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import parse_level
from gridmap.store.version_store import EDITABLE_PROPERTIES

FINGERPRINT_DECIMALS = 7
GEOMETRY = "geometry"  # a geometry change, among the properties a side changed
DELETED = "deleted"  # the draft deleted the feature


@dataclass(frozen=True)
class FeatureState:
    """One side's feature: its comparable properties (see `comparable_properties`) and its geometry."""

    properties: Mapping[str, Any]
    geometry: BaseGeometry


@dataclass(frozen=True)
class Base:
    """A feature as exported: its comparable properties, the fingerprint of its geometry, and the draft's edit
    sequence at the export (None in files written before it was recorded)."""

    properties: Mapping[str, Any]
    geometry: str
    draft_seq: int | None = None


@dataclass(frozen=True)
class Sides:
    """What the file and the draft each changed since the export (None: unknown, the row has no base)."""

    file_changed: tuple[str, ...] | None
    draft_changed: tuple[str, ...] | None

    @property
    def only_draft(self) -> bool:
        """True when the file leaves the feature as exported: the draft's stays."""
        return self.file_changed == ()

    @property
    def only_file(self) -> bool:
        """True when the draft's feature is as exported and the file's row is not."""
        return self.draft_changed == () and bool(self.file_changed)


def base_texts(
    properties: Sequence[Mapping[str, Any]], geometries: Sequence[BaseGeometry], *, draft_seq: int
) -> list[str]:
    """The bases of features being exported (their properties, their geometries) from a draft at edit sequence
    `draft_seq`, as texts of `gm_base` fields."""
    return [
        json.dumps(
            {"properties": comparable_properties(values), "geometry": fingerprint, "draft_seq": draft_seq},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        for values, fingerprint in zip(properties, geometry_fingerprints(geometries), strict=True)
    ]


def parse_base(text: object) -> Base | None:
    """A row's `gm_base` field as a Base; None when absent or not one gridmap wrote (judged on revisions then)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        document = json.loads(text)
        properties, geometry = document["properties"], document["geometry"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(properties, dict) or not isinstance(geometry, str):
        return None
    draft_seq = document.get("draft_seq")
    return Base(comparable_properties(properties), geometry, draft_seq if isinstance(draft_seq, int) else None)


def exported_at(bases: Sequence[Base | None]) -> int | None:
    """The draft's edit sequence when the rows were exported: the earliest their bases name (rows pasted in from
    a later export make it no later), None when no row's base names one."""
    seqs = [b.draft_seq for b in bases if b is not None and b.draft_seq is not None]
    return min(seqs) if seqs else None


def sides(base: Base | None, *, draft: FeatureState | None, file: FeatureState) -> Sides:
    """What each side changed since the base (draft None: deleted in the draft since the export)."""
    if base is None:
        return Sides(None, None)
    draft_changed = (DELETED,) if draft is None else changed_since(base, draft)
    return Sides(changed_since(base, file), draft_changed)


def changed_since(base: Base, state: FeatureState) -> tuple[str, ...]:
    """The properties a state changed since the base, `geometry` first when its shape moved."""
    named = tuple(name for name in EDITABLE_PROPERTIES if base.properties[name] != state.properties[name])
    return (GEOMETRY, *named) if geometry_fingerprint(state.geometry) != base.geometry else named


def geometry_fingerprint(geometry: BaseGeometry) -> str:
    """A short hash of a polygonal shape that vertex order, start point, Multi- wrapping and noise below 1 cm keep."""
    return geometry_fingerprints([geometry])[0]


def geometry_fingerprints(geometries: Sequence[BaseGeometry]) -> list[str]:
    """`geometry_fingerprint` of many shapes at once."""
    shapes = np.asarray(
        [g.geoms[0] if isinstance(g, shapely.MultiPolygon) and len(g.geoms) == 1 else g for g in geometries],
        dtype=object,
    )
    rounded = shapely.transform(shapely.force_2d(shapes), lambda xy: np.round(xy, FINGERPRINT_DECIMALS))
    wkbs = shapely.to_wkb(shapely.normalize(rounded), output_dimension=2, byte_order=1)
    return [hashlib.sha256(wkb).hexdigest()[:20] for wkb in wkbs]


def comparable_properties(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Editable properties as stored values: empty text and missing numbers are None (a name ""), levels are text."""
    values = {name: None if is_missing(row.get(name)) else row.get(name) for name in EDITABLE_PROPERTIES}
    level = parse_level(str(values["level"])) if values["level"] else None
    return {
        "code": str(values["code"] or ""),
        "name": str(values["name"] or ""),
        "level": None if level is None else level.value,
        "parent": str(values["parent"]) if values["parent"] else None,
        "worker": str(values["worker"]) if values["worker"] else None,
        "households_target": None if values["households_target"] is None else int(values["households_target"]),
    }


def is_missing(value: object) -> bool:
    """True for None, NA, NaN and blank text: a field another program left empty."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
