"""The face engine behind line and area edits: node, polygonize, hand faces to owners, rebuild.

The borders of the features an edit involves (every level) and the drawn lines are noded together and
polygonized into faces, each owned per level by the feature containing it. An operation gives faces new
owners; each feature whose set of faces changed is rebuilt as the union of its faces, so that neighbours
built from the same faces share their new border exactly. A rebuilt ring then loses the vertices that are
collinear artefacts of another level (a vertex lying on the original border of a feature of its own level
without being a vertex of one): kept are drawn vertices, vertices of its level, and vertices of brand-new
stretches of border (children's corners a split follows). Last, every feature whose border runs through a
new vertex gets it too, so that no neighbour is left with a T-junction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.editing.model import EditFeature, EditOutcome, FeatureChange
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.editing.rings import ON_BORDER_M, FloatArray, insert_on_border, map_rings
from gridmap.geo.hierarchy import Level
from gridmap.geo.metric import areas_m2

GeometryArray = npt.NDArray[np.object_]
Owners = npt.NDArray[np.object_]  # per face: a feature id or None
_ON_LINE_DEG = 1e-9  # degrees (0.1 mm): a noded vertex this close to a drawn line is one of its vertices


@dataclass
class Faces:
    """The faces of the noded borders and lines, with their owners per level before and after the edit."""

    polygons: GeometryArray
    before: dict[Level | None, Owners]
    after: dict[Level | None, Owners]
    area_m2: FloatArray
    drawn: set[tuple[float, float]]  # vertices of the noded drawn lines
    created: dict[str, EditFeature] = field(default_factory=dict)
    changes: dict[str, dict[str, object]] = field(default_factory=dict)  # feature id -> property changes

    def of(self, level: Level | None, feature_id: str, *, after: bool = False) -> npt.NDArray[np.bool_]:
        """Which faces the feature owns (before the edit, or after)."""
        owners = (self.after if after else self.before).get(level)
        return np.zeros(len(self.polygons), dtype=bool) if owners is None else owners == feature_id

    def union(self, mask: npt.NDArray[np.bool_]) -> BaseGeometry:
        """The union of the selected faces."""
        return shapely.coverage_union_all(self.polygons[mask])

    def add_changes(self, changes: Iterable[FeatureChange]) -> None:
        """Record property changes; a later change to the same property wins."""
        for change in changes:
            self.changes.setdefault(change.feature_id, {}).update(change.properties)


def build_faces(members: Sequence[EditFeature], lines: Sequence[BaseGeometry]) -> Faces:
    """Faces of the members' borders noded with the drawn lines, owned per level by the members."""
    linework = [shapely.boundary(f.geometry) for f in members] + list(lines)
    noded = shapely.unary_union(np.asarray(linework, dtype=object))
    polygons = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))), dtype=object)
    inside = shapely.point_on_surface(polygons)
    before: dict[Level | None, Owners] = {}
    for level in {f.level for f in members}:
        at_level = [f for f in members if f.level == level]
        owners = np.full(len(polygons), None, dtype=object)
        point_index, feature_index = shapely.STRtree([f.geometry for f in at_level]).query(inside, "within")
        owners[point_index] = np.asarray([at_level[i].feature_id for i in feature_index], dtype=object)
        before[level] = owners
    owned = np.any([o != None for o in before.values()], axis=0)  # noqa: E711 (elementwise)
    polygons = polygons[owned]
    before = {k: v[owned] for k, v in before.items()}
    drawn_xy = np.zeros((0, 2))
    if lines:
        xy = shapely.get_coordinates(noded)
        on_line = shapely.dwithin(shapely.points(xy), shapely.union_all(list(lines)), _ON_LINE_DEG)
        drawn_xy = xy[on_line]
    return Faces(
        polygons=polygons,
        before=before,
        after={k: v.copy() for k, v in before.items()},
        area_m2=areas_m2(list(polygons)) if len(polygons) else np.zeros(0),
        drawn={(float(x), float(y)) for x, y in drawn_xy.tolist()},
    )


def new_feature(faces: Faces, hood: Neighbourhood, parent_code: str | None, level: Level, code: str = "") -> str:
    """A new feature (fresh uuid4) at `level` under `parent_code` with a free code; its geometry comes later."""
    feature_id = str(uuid.uuid4())
    code = code or (hood.free_code(parent_code, level) if parent_code else hood.free_code("", level))
    faces.created[feature_id] = EditFeature(feature_id, code, level, parent_code, shapely.Polygon())
    return feature_id


def code_of(faces: Faces, hood: Neighbourhood, feature_id: str) -> str:
    """The code a feature (existing or new) has after the edit."""
    if feature_id in faces.created:
        return faces.created[feature_id].code
    changed = faces.changes.get(feature_id, {}).get("code")
    return str(changed) if changed else hood.get(feature_id).code


def outcome(faces: Faces, hood: Neighbourhood, moved_level: Level | None, notes: list[str]) -> EditOutcome:
    """Rebuild every feature whose faces changed, heal its neighbours, and say what changed."""
    rebuilt: dict[str, BaseGeometry] = {}
    deleted: list[str] = []
    for level, after in faces.after.items():
        before = faces.before[level]
        for feature_id in {*after.tolist(), *before.tolist()} - {None}:
            mine = after == feature_id
            if np.array_equal(mine, before == feature_id):
                continue
            if not mine.any():
                deleted.append(feature_id)
                continue
            rebuilt[feature_id] = _cleaned(faces.union(mine), level, hood, faces.drawn)
    rebuilt.update(_healed(hood, rebuilt, deleted))
    created = [replace(f, geometry=rebuilt.pop(i)) for i, f in faces.created.items() if i in rebuilt]
    changed_ids = (set(rebuilt) | set(faces.changes)) - set(faces.created) - set(deleted)
    changed = [FeatureChange(i, geometry=rebuilt.get(i), properties=faces.changes.get(i, {})) for i in changed_ids]
    moved = faces.after.get(moved_level)
    area = float(faces.area_m2[moved != faces.before[moved_level]].sum()) if moved is not None else 0.0
    return EditOutcome(changed=changed, created=created, deleted=deleted, area_moved_m2=area, notes=notes)


def _cleaned(
    geometry: BaseGeometry, level: Level | None, hood: Neighbourhood, drawn: set[tuple[float, float]]
) -> BaseGeometry:
    """The rebuilt geometry without vertices that only another level's borders put on its level's borders."""
    same_level = [f.geometry for f in hood if f.level == level]
    own = {tuple(v) for v in shapely.get_coordinates(same_level).tolist()}
    borders = shapely.union_all(shapely.boundary(np.asarray(same_level, dtype=object)))
    tolerance = ON_BORDER_M / hood.metres.kx

    def clean(ring: FloatArray) -> FloatArray:
        foreign = np.array([(x, y) not in own and (x, y) not in drawn for x, y in ring.tolist()], dtype=bool)
        if not foreign.any():
            return ring
        on_old_border = shapely.dwithin(shapely.points(ring[foreign]), borders, tolerance)
        drop = np.zeros(len(ring), dtype=bool)
        drop[np.nonzero(foreign)[0][on_old_border]] = True
        return ring[~drop]

    return map_rings(geometry, clean)


def _healed(hood: Neighbourhood, rebuilt: dict[str, BaseGeometry], deleted: list[str]) -> dict[str, BaseGeometry]:
    """Features (rebuilt or untouched) whose border runs through a vertex the edit created, with it inserted."""
    known = {tuple(v) for v in shapely.get_coordinates([f.geometry for f in hood]).tolist()}
    new = np.asarray(
        [v for v in {tuple(v) for v in shapely.get_coordinates(list(rebuilt.values())).tolist()} if v not in known],
        dtype=np.float64,
    ).reshape(-1, 2)
    if not len(new):
        return {}
    healed: dict[str, BaseGeometry] = {}
    points = shapely.points(new)
    current = {f.feature_id: rebuilt.get(f.feature_id, f.geometry) for f in hood if f.feature_id not in deleted}
    current.update({i: g for i, g in rebuilt.items() if i not in current})
    ids = list(current)
    geometries = np.asarray([current[i] for i in ids], dtype=object)
    tolerance = ON_BORDER_M / hood.metres.kx
    point_index, feature_index = shapely.STRtree(geometries).query(points, "dwithin", distance=tolerance)
    for index in np.unique(feature_index).tolist():
        near = new[point_index[feature_index == index]]
        inserted = insert_on_border(geometries[index], near, hood.metres)
        if inserted is not None:
            healed[ids[index]] = inserted
    return healed
