"""Edits by a drawn line: reshaping the border between two neighbours, splitting a feature in two."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.editing.drawn import prepared, with_landings
from gridmap.geo.editing.faces import build_faces, new_feature, outcome
from gridmap.geo.editing.follow import follow_down, follow_up
from gridmap.geo.editing.model import EditFeature, EditOutcome, EditRefused, ReshapeBorder, Split
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.editing.rings import ON_BORDER_M
from gridmap.geo.hierarchy import Level


def split(op: Split, hood: Neighbourhood, snap_m: float) -> EditOutcome:
    """Cut a feature in two along the line; the larger piece keeps the id, the other gets a new code (both keep
    the worker and share the household target by area)."""
    line, drawn_hood = prepared(hood, op.line, snap_m)
    feature = drawn_hood.get(op.feature)
    level = level_of(feature)
    faces = build_faces([feature, *drawn_hood.descendants(feature)], [line])
    pieces = [
        p
        for p in shapely.get_parts(
            shapely.polygonize(shapely.get_parts(shapely.unary_union([feature.geometry.boundary, line])))
        )
        if feature.geometry.contains(p.point_on_surface())
    ]
    if len(pieces) != 2:
        msg = (
            f"the line cuts {level} {feature.code} into {len(pieces)} pieces: draw one that cuts it in two"
            if len(pieces) > 2
            else f"the line does not cut {level} {feature.code}: draw it across, from border to border"
        )
        raise EditRefused(msg, line)
    inside = shapely.point_on_surface(faces.polygons)
    side = np.where(shapely.within(inside, pieces[0]), 0, 1)
    mine = faces.of(level, feature.feature_id)
    notes: list[str] = []
    if not op.split_children and level.child_level in faces.before:
        children = faces.before[level.child_level]
        for child_id in sorted({*children[mine].tolist()} - {None}):
            held = children == child_id
            side[held] = int(faces.area_m2[held & (side == 1)].sum() > faces.area_m2[held & (side == 0)].sum())
    larger = int(faces.area_m2[mine & (side == 1)].sum() > faces.area_m2[mine & (side == 0)].sum())
    if not (mine & (side != larger)).any():
        msg = f"every child of {level} {feature.code} lies on one side of the line: nothing would be left on the other"
        raise EditRefused(msg, line)
    created = new_feature(faces, drawn_hood, feature.parent, level, cut_from=feature.feature_id)
    faces.after[level][mine & (side != larger)] = created
    notes.append(f"{level} {feature.code} split; the new part is {faces.created[created].code}")
    notes += follow_down(faces, drawn_hood, level, cut=op.split_children)
    return with_landings(outcome(faces, drawn_hood, level, notes), hood, drawn_hood)


def reshape_border(op: ReshapeBorder, hood: Neighbourhood, snap_m: float) -> EditOutcome:
    """Replace the border between two neighbours by the line; the area between old and new border changes hands."""
    line, drawn_hood = prepared(hood, op.line, snap_m)
    first, second = drawn_hood.get(op.first), drawn_hood.get(op.second)
    level = same_level(first, second)
    shared = shapely.line_merge(shapely.intersection(first.geometry.boundary, second.geometry.boundary))
    if drawn_hood.length_m(shared) == 0:
        msg = f"{level}s {first.code} and {second.code} are not neighbours"
        raise EditRefused(msg)
    ends = shapely.MultiPoint([line.coords[0], line.coords[-1]]) if isinstance(line, shapely.LineString) else line
    if drawn_hood.distance_m(ends, shared) > ON_BORDER_M or len(shapely.get_parts(ends)) != 2:
        msg = f"the line must start and end on the border between {first.code} and {second.code}"
        raise EditRefused(msg, ends)
    union = shapely.union(first.geometry, second.geometry)
    if drawn_hood.length_m(shapely.difference(line, union)) > snap_m:
        msg = f"the line leaves {first.code} and {second.code}"
        raise EditRefused(msg, shapely.difference(line, union))
    faces = build_faces(involved(drawn_hood, first, second), [line])
    regions = [
        r
        for r in shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.unary_union([line, shared]))))
        if drawn_hood.length_m(shapely.intersection(r.boundary, line)) > 0
    ]
    between = shapely.within(shapely.point_on_surface(faces.polygons), shapely.union_all(regions))
    owners = faces.before[level]
    faces.after[level][between & (owners == first.feature_id)] = second.feature_id
    faces.after[level][between & (owners == second.feature_id)] = first.feature_id
    if not (faces.after[level] != owners).any():
        msg = "the line follows the present border: nothing changes hands"
        raise EditRefused(msg, line)
    for feature in (first, second):
        if not (faces.after[level] == feature.feature_id).any():
            msg = f"the new border would leave nothing of {level} {feature.code}"
            raise EditRefused(msg, line)
    follow_up(faces, drawn_hood, level)
    notes = follow_down(faces, drawn_hood, level)
    result = outcome(faces, drawn_hood, level, notes)
    result.notes.insert(0, f"{result.area_moved_m2:.0f} m² changed hands between {first.code} and {second.code}")
    return with_landings(result, hood, drawn_hood)


def involved(hood: Neighbourhood, *features: EditFeature) -> list[EditFeature]:
    """The features, their descendants, and their ancestors when they have different parents."""
    members = {f.feature_id: f for f in features}
    for feature in features:
        members.update((d.feature_id, d) for d in hood.descendants(feature))
    if len({f.parent for f in features}) > 1:
        for feature in features:
            parent = hood.parent_of(feature)
            while parent is not None:
                members[parent.feature_id] = parent
                parent = hood.parent_of(parent)
    return list(members.values())


def level_of(feature: EditFeature) -> Level:
    """The feature's level, or a refusal for features without one."""
    if feature.level is None:
        msg = f"feature {feature.code} has no level; only grid-model features can be edited this way"
        raise EditRefused(msg)
    return feature.level


def same_level(first: EditFeature, second: EditFeature) -> Level:
    """The level both features are at, or a refusal."""
    if first.level != second.level:
        msg = f"{first.code} is a {first.level} and {second.code} a {second.level}: both must be at one level"
        raise EditRefused(msg)
    return level_of(first)


def touching_length(hood: Neighbourhood, first: BaseGeometry, second: BaseGeometry) -> float:
    """Length in metres of the border two features share."""
    return hood.length_m(shapely.intersection(shapely.boundary(first), shapely.boundary(second)))
