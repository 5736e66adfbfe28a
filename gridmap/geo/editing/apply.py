"""One entry point for every edit operation: the outcome on a neighbourhood of features, or a refusal."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.editing.areas import create, delete, merge, transfer
from gridmap.geo.editing.attributes import change_attributes
from gridmap.geo.editing.lines import reshape_border, split
from gridmap.geo.editing.model import (
    DEFAULT_SNAP_M,
    Attributes,
    Create,
    Delete,
    DeleteVertex,
    EditFeature,
    EditOperation,
    EditOutcome,
    InsertVertex,
    Merge,
    MoveVertex,
    ReshapeBorder,
    Split,
    Transfer,
)
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.editing.vertices import delete_vertex, insert_vertex, move_vertex


def apply_edit(
    op: EditOperation,
    features: Sequence[EditFeature],
    *,
    snap_m: float = DEFAULT_SNAP_M,
    codes_in_use: Collection[str] = (),
) -> EditOutcome:
    """What `op` changes, creates and deletes among `features` (WGS-84); raises EditRefused when it cannot.

    `features` is the neighbourhood: every feature, at every level, near the op's targets and drawn
    geometry, with the targets' parents and children. `codes_in_use` adds codes of the version that the
    neighbourhood lacks (e.g. every sibling under a parent), so that new codes are free in the whole version.
    """
    hood = Neighbourhood(features, codes_in_use)
    match op:
        case MoveVertex():
            return move_vertex(op, hood, snap_m)
        case InsertVertex():
            return insert_vertex(op, hood, snap_m)
        case DeleteVertex():
            return delete_vertex(op, hood, snap_m)
        case ReshapeBorder():
            return reshape_border(op, hood, snap_m)
        case Split():
            return split(op, hood, snap_m)
        case Merge():
            return merge(op, hood)
        case Delete():
            return delete(op, hood)
        case Transfer():
            return transfer(op, hood, snap_m)
        case Create():
            return create(op, hood, snap_m)
        case Attributes():
            return change_attributes(op, hood)


def neighbourhood_extent(op: EditOperation, features_by_id: Mapping[str, EditFeature]) -> BaseGeometry:
    """The WGS-84 geometry around which the service should load the neighbourhood of `op`.

    The targets' geometries and the drawn geometry; vertex operations give their points. The service loads
    every feature within a few metres of it, plus the targets' parents and children.
    """
    parts: list[BaseGeometry] = []
    for name in ("feature", "first", "second", "kept", "absorbed", "source", "target"):
        feature_id = getattr(op, name, None)
        if isinstance(feature_id, str) and feature_id in features_by_id:
            parts.append(features_by_id[feature_id].geometry)
    for name in ("line", "area"):
        drawn = getattr(op, name, None)
        if isinstance(drawn, BaseGeometry):
            parts.append(drawn)
    for name in ("at", "to"):
        point = getattr(op, name, None)
        if point is not None:
            parts.append(shapely.Point(point))
    return shapely.union_all(parts) if parts else shapely.GeometryCollection()
