"""Topological vertex edits: a vertex shared by several features (at any level) moves or goes for all of them."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.editing.model import (
    DeleteVertex,
    EditFeature,
    EditOutcome,
    EditRefused,
    FeatureChange,
    InsertVertex,
    MoveVertex,
    Point,
)
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.editing.rings import (
    FloatArray,
    has_vertex,
    insert_on_border,
    map_rings,
    nearest_border_point,
    nearest_vertex,
    open_rings,
    without_repeats,
)


def move_vertex(op: MoveVertex, hood: Neighbourhood, snap_m: float) -> EditOutcome:
    """Move the vertex nearest `at` to `to` in every feature that holds it."""
    vertex = _vertex_at(op.at, hood, snap_m)
    geometries = _moved(hood, vertex, op.to, _through(hood, vertex))
    return EditOutcome(
        changed=[FeatureChange(i, geometry=g) for i, g in geometries.items()],
        notes=[f"moved a vertex shared by {len(geometries)} features"],
    )


def insert_vertex(op: InsertVertex, hood: Neighbourhood, snap_m: float) -> EditOutcome:
    """Add a vertex where the border runs at `at` in every feature whose border runs there; move it to `to`."""
    point = nearest_border_point((f.geometry for f in hood), op.at, hood.metres, snap_m)
    if point is None:
        msg = f"no border runs within {snap_m:g} m of the point"
        raise EditRefused(msg, shapely.Point(op.at))
    inserted = {
        f.feature_id: g for f in hood if (g := insert_on_border(f.geometry, np.array([point]), hood.metres)) is not None
    }
    if op.to is None:
        return EditOutcome(
            changed=[FeatureChange(i, geometry=g) for i, g in inserted.items()],
            notes=[f"added a vertex to {len(inserted)} features"],
        )
    moved = _moved(hood, point, op.to, {**inserted, **_through(hood, point, inserted)})
    return EditOutcome(
        changed=[FeatureChange(i, geometry=moved.get(i, g)) for i, g in {**inserted, **moved}.items()],
        notes=[f"added a vertex to {len(inserted)} features and moved it"],
    )


def delete_vertex(op: DeleteVertex, hood: Neighbourhood, snap_m: float) -> EditOutcome:
    """Remove the vertex nearest `at` from every feature that holds it, unless a ring would collapse."""
    vertex = _vertex_at(op.at, hood, snap_m)
    holders = [f for f in hood if has_vertex(f.geometry, vertex)]
    _refuse_corner(holders, vertex)
    where = shapely.Point(vertex)

    def drop(ring: FloatArray) -> FloatArray:
        kept: FloatArray = ring[~((ring[:, 0] == vertex[0]) & (ring[:, 1] == vertex[1]))]
        if len(np.unique(kept, axis=0)) < 3:
            msg = "removing this vertex would leave a border with fewer than three corners"
            raise EditRefused(msg, where)
        return kept

    changed = [FeatureChange(f.feature_id, geometry=_valid(f, map_rings(f.geometry, drop), where)) for f in holders]
    return EditOutcome(changed=changed, notes=[f"removed a vertex shared by {len(changed)} features"])


def _vertex_at(at: Point, hood: Neighbourhood, snap_m: float) -> Point:
    """The vertex nearest `at` within the snap distance, or a refusal."""
    vertex = nearest_vertex((f.geometry for f in hood), at, hood.metres, snap_m)
    if vertex is None:
        msg = f"no vertex lies within {snap_m:g} m of the point"
        raise EditRefused(msg, shapely.Point(at))
    return vertex


def _through(
    hood: Neighbourhood, vertex: Point, current: dict[str, BaseGeometry] | None = None
) -> dict[str, BaseGeometry]:
    """Every feature whose border runs through `vertex`, noded so that moving the vertex moves them together.

    A feature whose edge passes through the vertex gets it inserted; and every vertex of the neighbourhood
    lying on an edge that ends at it (a microgrid corner on its grid's edge, say) becomes a vertex of that
    edge's feature, so that the edge bends there with the features beside it instead of cutting across them.
    """
    current = current or {}
    point = np.array([vertex])
    through: dict[str, BaseGeometry] = {}
    for feature in hood:
        geometry = current.get(feature.feature_id, feature.geometry)
        if not has_vertex(geometry, vertex):
            noded = insert_on_border(geometry, point, hood.metres)
            if noded is None:
                continue
            geometry = noded
        through[feature.feature_id] = geometry
    ends = np.array([end for g in through.values() for end in _neighbours_of(g, vertex)] + [vertex])
    low, high = ends.min(axis=0), ends.max(axis=0)
    vertices = np.unique(shapely.get_coordinates([current.get(f.feature_id, f.geometry) for f in hood]), axis=0)
    inside = vertices[((vertices >= low) & (vertices <= high)).all(axis=1)]
    for feature_id, geometry in through.items():
        noded = insert_on_border(geometry, inside, hood.metres)
        if noded is not None:
            through[feature_id] = noded
    return through


def _neighbours_of(geometry: BaseGeometry, vertex: Point) -> list[FloatArray]:
    """The vertices before and after `vertex` on every ring of `geometry` that holds it."""
    found: list[FloatArray] = []
    for ring in open_rings(geometry):
        for index in np.nonzero((ring[:, 0] == vertex[0]) & (ring[:, 1] == vertex[1]))[0].tolist():
            found += [ring[index - 1], ring[(index + 1) % len(ring)]]
    return found


def _moved(
    hood: Neighbourhood, vertex: Point, to: Point, current: dict[str, BaseGeometry] | None = None
) -> dict[str, BaseGeometry]:
    """New geometries of the features holding `vertex` (as in `current` when given), with it moved to `to`."""
    current = current or {}
    target = (float(to[0]), float(to[1]))

    def move(ring: FloatArray) -> FloatArray:
        ring = ring.copy()
        ring[(ring[:, 0] == vertex[0]) & (ring[:, 1] == vertex[1])] = target
        return without_repeats(ring)

    where = shapely.Point(target)
    moved: dict[str, BaseGeometry] = {}
    for feature in hood:
        geometry = current.get(feature.feature_id, feature.geometry)
        if has_vertex(geometry, vertex):
            moved[feature.feature_id] = _valid(feature, map_rings(geometry, move), where)
    return moved


def _valid(feature: EditFeature, geometry: BaseGeometry, where: BaseGeometry) -> BaseGeometry:
    """`geometry` when it is a valid polygon, else a refusal naming the feature."""
    if not shapely.is_valid(geometry) or any(len(r) < 3 for r in open_rings(geometry)):
        msg = f"the border of {feature.level or 'feature'} {feature.code} would cross itself"
        raise EditRefused(msg, where)
    return geometry


def _refuse_corner(holders: list[EditFeature], vertex: Point) -> None:
    """Refuse removing a vertex where borders of one level branch: the area there would have no owner."""
    around: dict[object, set[frozenset[Point]]] = {}
    for feature in holders:
        for ring in open_rings(feature.geometry):
            for index in np.nonzero((ring[:, 0] == vertex[0]) & (ring[:, 1] == vertex[1]))[0].tolist():
                before, after = ring[index - 1], ring[(index + 1) % len(ring)]
                pair = frozenset({(float(before[0]), float(before[1])), (float(after[0]), float(after[1]))})
                around.setdefault(feature.level, set()).add(pair)
    if any(len(pairs) > 1 for pairs in around.values()):
        msg = "this vertex is a corner where borders meet; removing it would leave a gap or an overlap"
        raise EditRefused(msg, shapely.Point(vertex))
