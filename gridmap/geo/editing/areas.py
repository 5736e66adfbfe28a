"""Edits that hand whole areas around: merge, delete, transfer of a drawn area, create on a gap."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import shapely

from gridmap.geo.editing.drawn import prepared, with_landings
from gridmap.geo.editing.faces import build_faces, new_feature, outcome
from gridmap.geo.editing.follow import follow_down, follow_up
from gridmap.geo.editing.lines import involved, level_of, same_level, touching_length
from gridmap.geo.editing.model import (
    Create,
    Delete,
    EditFeature,
    EditOutcome,
    EditRefused,
    FeatureChange,
    Merge,
    Transfer,
)
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.hierarchy import code_problem


def merge(op: Merge, hood: Neighbourhood) -> EditOutcome:
    """`absorbed` joins `kept`; its children move under `kept` with free codes there."""
    kept, absorbed = hood.get(op.kept), hood.get(op.absorbed)
    level = same_level(kept, absorbed)
    if kept.parent != absorbed.parent:
        msg = f"{kept.code} and {absorbed.code} have different parents; move the border instead"
        raise EditRefused(msg)
    if touching_length(hood, kept.geometry, absorbed.geometry) == 0:
        msg = f"{level}s {kept.code} and {absorbed.code} share no border"
        raise EditRefused(msg)
    faces = build_faces([kept, absorbed], [])
    faces.after[level][faces.of(level, absorbed.feature_id)] = kept.feature_id
    for child in hood.children(absorbed):
        faces.add_changes(hood.reparent(child, kept))
    properties, choices = merged_properties(kept, absorbed)
    faces.add_changes([FeatureChange(kept.feature_id, properties=properties)])
    notes = [f"{absorbed.code} merged into {kept.code}; {len(hood.children(absorbed))} children moved", *choices]
    return outcome(faces, hood, level, notes)


def merged_properties(kept: EditFeature, absorbed: EditFeature) -> tuple[dict[str, object], list[str]]:
    """The properties `kept` takes on when `absorbed` joins it, and each choice made, in words.

    Name and worker: kept where both agree or `absorbed` has none, taken from `absorbed` when `kept` has none, and
    `kept`'s where they differ (a choice the notes report, without the worker's name). Household target: the two
    targets added up, since the merged grid holds both grids' households; one missing is reported.
    """
    properties: dict[str, object] = {}
    choices: list[str] = []
    for name, what in (("name", "name"), ("worker", "grid worker")):
        mine, theirs = getattr(kept, name) or None, getattr(absorbed, name) or None
        if theirs is None or mine == theirs:
            continue
        if mine is None:
            properties[name] = theirs
            choices.append(f"{kept.code} had no {what}: it takes {absorbed.code}'s")
        else:
            choices.append(f"the {what}s of {kept.code} and {absorbed.code} differ: {kept.code}'s is kept")
    targets = [t for t in (kept.households_target, absorbed.households_target) if t is not None]
    if targets:
        properties["households_target"] = sum(targets)
        if len(targets) == 1:
            lacking = kept if kept.households_target is None else absorbed
            choices.append(f"{lacking.code} has no household target: the merged one is the other's, {sum(targets)}")
        else:
            choices.append(f"household targets added up: {kept.households_target} + {absorbed.households_target}")
    return properties, choices


def delete(op: Delete, hood: Neighbourhood) -> EditOutcome:
    """Remove a feature; each child (or its whole area) goes to the neighbour sharing the longest border."""
    feature = hood.get(op.feature)
    level = level_of(feature)
    neighbours = [
        f
        for f in hood
        if f.level is level
        and f.parent == feature.parent
        and f.feature_id != feature.feature_id
        and touching_length(hood, f.geometry, feature.geometry) > 0
    ]
    if not neighbours:
        msg = f"{level} {feature.code} has no neighbour in its parent to take its area: deleting it would leave a gap"
        raise EditRefused(msg, feature.geometry)
    children = hood.children(feature)
    faces = build_faces([feature, *neighbours, *children], [])
    mine = faces.of(level, feature.feature_id)
    heir = {n.feature_id: n.geometry for n in neighbours}
    default = max(neighbours, key=lambda n: touching_length(hood, n.geometry, feature.geometry))
    faces.after[level][mine] = default.feature_id
    notes: list[str] = []
    waiting = list(children)
    while waiting:
        length, child, taker = max(
            ((touching_length(hood, c.geometry, g), c, n) for c in waiting for n, g in heir.items()),
            key=lambda t: t[0],
        )
        if length == 0:
            msg = f"{len(waiting)} children of {feature.code} touch no neighbour: deleting it would leave them orphaned"
            raise EditRefused(msg, shapely.union_all([c.geometry for c in waiting]))
        waiting.remove(child)
        heir[taker] = shapely.union(heir[taker], child.geometry)
        faces.after[level][faces.of(level.child_level, child.feature_id)] = taker
        faces.add_changes(hood.reparent(child, hood.get(taker)))
        notes.append(f"{child.code} went to {hood.get(taker).code}")
    notes.insert(0, f"{level} {feature.code} deleted")
    return outcome(faces, hood, level, notes)


def transfer(op: Transfer, hood: Neighbourhood, snap_m: float) -> EditOutcome:
    """The part of `source` inside the area goes to its neighbour `target`; children follow."""
    area, drawn_hood = prepared(hood, op.area, snap_m)
    source, target = drawn_hood.get(op.source), drawn_hood.get(op.target)
    level = same_level(source, target)
    if touching_length(drawn_hood, source.geometry, target.geometry) == 0:
        msg = f"{level}s {source.code} and {target.code} are not neighbours"
        raise EditRefused(msg)
    faces = build_faces(involved(drawn_hood, source, target), [area.boundary])
    moving = shapely.within(shapely.point_on_surface(faces.polygons), area) & faces.of(level, source.feature_id)
    if not moving.any():
        msg = f"the area does not overlap {level} {source.code}"
        raise EditRefused(msg, area)
    if moving.sum() == faces.of(level, source.feature_id).sum():
        msg = f"the area covers all of {source.code}: merge it instead"
        raise EditRefused(msg, area)
    if touching_length(drawn_hood, faces.union(moving), target.geometry) == 0:
        msg = f"the part of {source.code} in the area does not touch {target.code}"
        raise EditRefused(msg, faces.union(moving))
    faces.after[level][moving] = target.feature_id
    follow_up(faces, drawn_hood, level)
    notes = follow_down(faces, drawn_hood, level)
    result = outcome(faces, drawn_hood, level, notes)
    result.notes.insert(0, f"{result.area_moved_m2:.0f} m² moved from {source.code} to {target.code}")
    return with_landings(result, hood, drawn_hood)


def create(op: Create, hood: Neighbourhood, snap_m: float) -> EditOutcome:
    """A new feature on the part of the area inside the parent that its level does not cover yet."""
    area, drawn_hood = prepared(hood, op.area, snap_m)
    parent = drawn_hood.by_code.get(op.parent or "")
    if op.parent and parent is None:
        msg = f"parent {op.parent} is not in this version"
        raise EditRefused(msg)
    if op.code:
        problem = code_problem(op.code, op.level, op.parent) or (
            f"code {op.code} is already in use" if op.code in drawn_hood.codes else None
        )
        if problem:
            raise EditRefused(problem)
    covering = [f for f in drawn_hood if f.level is op.level and shapely.intersects(f.geometry, area)]
    outline = EditFeature("", "", None, None, area)  # the drawing, so that faces outside every feature count
    members = [outline, *covering, *([parent] if parent is not None else [])]
    faces = build_faces(members, [area.boundary])
    level_owners = faces.before.setdefault(op.level, np.full(len(faces.polygons), None, dtype=object))
    faces.after.setdefault(op.level, level_owners.copy())
    free = faces.of(None, "") & (level_owners == None)  # noqa: E711 (elementwise)
    if parent is not None:
        free &= faces.of(parent.level, parent.feature_id)
    if not free.any():
        msg = f"the area holds no uncovered ground{' inside ' + op.parent if op.parent else ''}"
        raise EditRefused(msg, area)
    faces.before.pop(None)
    faces.after.pop(None)
    created = new_feature(faces, drawn_hood, op.parent, op.level, op.code or "")
    faces.created[created] = replace(faces.created[created], name=op.name)
    faces.after[op.level][free] = created
    result = outcome(faces, drawn_hood, op.level, [f"{op.level} {faces.created[created].code} created"])
    return with_landings(result, hood, drawn_hood)
