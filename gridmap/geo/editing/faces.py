"""The face engine behind line and area edits: node, polygonize, hand faces to owners, rebuild.

The borders of the features an edit involves (every level) and the drawn lines are noded together and
polygonized into faces, each owned per level by the feature containing it. An operation gives faces new
owners; each feature whose set of faces changed is rebuilt as the union of its faces, so that neighbours
built from the same faces share their new border exactly. A rebuilt ring then loses the vertices that are
collinear artefacts of another level (a vertex lying on the original border of a feature of its own level
without being a vertex of one): kept are drawn vertices, vertices of its level, and vertices of brand-new
stretches of border (children's corners a split follows). Last, every feature whose border runs through a
new vertex gets it too, so that no neighbour is left with a T-junction.

A feature cut out of another (a split's new part, a child cut in two) keeps the grid worker of the feature it
came from, and the two share that feature's household target in proportion to their areas: a target counts the
households a grid is planned to hold (`shared/DOMAIN.md`: 150 to 500 per grid), which a cut divides between the
parts, so that the parts' targets add up to the whole's again.
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
    cut_from: dict[str, str] = field(default_factory=dict)  # created feature id -> the feature it was cut out of

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


def new_feature(
    faces: Faces,
    hood: Neighbourhood,
    parent_code: str | None,
    level: Level,
    code: str = "",
    *,
    cut_from: str | None = None,
) -> str:
    """A new feature (fresh uuid4) at `level` under `parent_code` with a free code; its geometry comes later.

    One `cut_from` another feature keeps that feature's worker and takes its share of the household target.
    """
    feature_id = str(uuid.uuid4())
    code = code or (hood.free_code(parent_code, level) if parent_code else hood.free_code("", level))
    worker = None if cut_from is None else hood.get(cut_from).worker
    faces.created[feature_id] = EditFeature(feature_id, code, level, parent_code, shapely.Polygon(), worker=worker)
    if cut_from is not None:
        faces.cut_from[feature_id] = cut_from
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
    notes = notes + _shared_targets(faces, hood)
    created = [replace(f, geometry=rebuilt.pop(i)) for i, f in faces.created.items() if i in rebuilt]
    changed_ids = (set(rebuilt) | set(faces.changes)) - set(faces.created) - set(deleted)
    changed = [FeatureChange(i, geometry=rebuilt.get(i), properties=faces.changes.get(i, {})) for i in changed_ids]
    moved = faces.after.get(moved_level)
    area = float(faces.area_m2[moved != faces.before[moved_level]].sum()) if moved is not None else 0.0
    return EditOutcome(changed=changed, created=created, deleted=deleted, area_moved_m2=area, notes=notes)


def _shared_targets(faces: Faces, hood: Neighbourhood) -> list[str]:
    """Divide the household target of each feature something was cut out of among it and its cut-out parts, in
    proportion to their areas after the edit (whole households, adding up to the target); notes in words."""
    notes: list[str] = []
    for origin_id in dict.fromkeys(faces.cut_from.values()):
        origin = hood.get(origin_id)
        if origin.households_target is None:
            continue
        parts = [origin_id, *(i for i, source in faces.cut_from.items() if source == origin_id)]
        owners = faces.after[origin.level]
        areas = np.asarray([faces.area_m2[owners == part].sum() for part in parts])
        shares = _whole_shares(origin.households_target, areas)
        faces.add_changes([FeatureChange(origin_id, properties={"households_target": shares[0]})])
        for part, share in zip(parts[1:], shares[1:], strict=True):
            faces.created[part] = replace(faces.created[part], households_target=share)
        listed = ", ".join(f"{code_of(faces, hood, p)} {s}" for p, s in zip(parts, shares, strict=True))
        notes.append(f"household target {origin.households_target} of {origin.code} shared by area: {listed}")
    return notes


def _whole_shares(total: int, weights: FloatArray) -> list[int]:
    """`total` divided in proportion to `weights` in whole numbers adding up to it (largest remainders first)."""
    exact = total * weights / weights.sum() if weights.sum() > 0 else np.full(len(weights), total / len(weights))
    shares = np.floor(exact).astype(int)
    shares[np.argsort(shares - exact, kind="stable")[: total - int(shares.sum())]] += 1
    return [int(s) for s in shares]


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
