"""The features an edit works on, indexed by id, code and parent, with a metre scale for tolerances.

Codes of new and re-parented features are free numbers under their parent: the number after the highest in
use there (so that a number freed by a merge or delete, which old door plates may still show, is not handed to
another area at once), or the lowest free one when that no longer fits in the level's digits. Numbers are
never shuffled to restore the west-to-east, north-to-south order: codes are printed on doors, and a planner
renumbers deliberately with the `attributes` operation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.editing.model import EditFeature, EditRefused, FeatureChange
from gridmap.geo.editing.rings import MetreScale
from gridmap.geo.hierarchy import Level, child_code


class Neighbourhood:
    """The neighbourhood of an edit: features by id and code, children by parent, codes in use."""

    def __init__(self, features: Sequence[EditFeature], codes_in_use: Collection[str] = ()) -> None:
        self.features: dict[str, EditFeature] = {f.feature_id: f for f in features}
        self.by_code: dict[str, EditFeature] = {f.code: f for f in features}
        self.codes: set[str] = set(codes_in_use) | set(self.by_code)
        bounds = shapely.total_bounds(np.asarray([f.geometry for f in features], dtype=object))
        self.metres = MetreScale.at_latitude(float((bounds[1] + bounds[3]) / 2.0) if np.isfinite(bounds[1]) else 0.0)

    def __iter__(self) -> Iterator[EditFeature]:
        return iter(self.features.values())

    def get(self, feature_id: str) -> EditFeature:
        """The feature with this id, or a refusal naming the missing id."""
        try:
            return self.features[feature_id]
        except KeyError:
            msg = f"feature {feature_id} is not in this version"
            raise EditRefused(msg) from None

    def parent_of(self, feature: EditFeature) -> EditFeature | None:
        """The feature's parent, when the neighbourhood holds it."""
        return self.by_code.get(feature.parent) if feature.parent else None

    def children(self, feature: EditFeature) -> list[EditFeature]:
        """The features one level down whose parent is this feature."""
        below = feature.level.child_level if feature.level is not None else None
        if below is None:
            return []
        return [f for f in self if f.level is below and f.parent == feature.code]

    def descendants(self, feature: EditFeature) -> list[EditFeature]:
        """Children, their children, and so on, top level first."""
        found: list[EditFeature] = []
        layer = self.children(feature)
        while layer:
            found.extend(layer)
            layer = [c for f in layer for c in self.children(f)]
        return found

    def length_m(self, geometry: BaseGeometry) -> float:
        """Length in metres of a WGS-84 line (local scale: for comparing shared borders)."""
        return float(shapely.length(self.metres.to_local(geometry)))

    def distance_m(self, first: BaseGeometry, second: BaseGeometry) -> float:
        """Distance in metres between two WGS-84 geometries (local scale)."""
        return float(shapely.distance(self.metres.to_local(first), self.metres.to_local(second)))

    def free_code(self, parent_code: str, level: Level) -> str:
        """A code under `parent_code` at `level` that nobody uses yet, and mark it used."""
        prefix_length = len(parent_code)
        used = {
            int(code[prefix_length:])
            for code in self.codes
            if len(code) == level.code_length and code.startswith(parent_code) and code[prefix_length:].isdigit()
        }
        width = level.code_length - prefix_length
        number = max(used, default=0) + 1
        if number >= 10**width:
            number = next((n for n in range(1, 10**width) if n not in used), 0)
        if number == 0:
            msg = f"no free {level} number is left under {parent_code}"
            raise EditRefused(msg)
        code = child_code(parent_code, level, number)
        self.codes.add(code)
        return code

    def recode(self, feature: EditFeature, new_code: str, new_parent: str | None) -> list[FeatureChange]:
        """Property changes giving `feature` a new code (and parent), its descendants' codes re-prefixed."""
        changes = [FeatureChange(feature.feature_id, properties=_changed(feature, new_code, new_parent))]
        for descendant in self.descendants(feature):
            code = new_code + descendant.code[len(feature.code) :]
            parent = new_code + (descendant.parent or "")[len(feature.code) :]
            changes.append(FeatureChange(descendant.feature_id, properties=_changed(descendant, code, parent)))
            self.codes.add(code)
        self.codes.add(new_code)
        return [c for c in changes if c.properties]

    def reparent(self, feature: EditFeature, new_parent: EditFeature | None) -> list[FeatureChange]:
        """Changes moving `feature` (and its subtree) under `new_parent`, with a free code there."""
        parent_code = new_parent.code if new_parent is not None else None
        if parent_code == feature.parent or feature.level is None:
            return []
        code = self.free_code(parent_code or "", feature.level) if parent_code else feature.code
        return self.recode(feature, code, parent_code)


def _changed(feature: EditFeature, code: str, parent: str | None) -> dict[str, str | None]:
    """The code and parent properties that differ from the feature's."""
    values: dict[str, str | None] = {}
    if code != feature.code:
        values["code"] = code
    if parent != feature.parent:
        values["parent"] = parent
    return values
