"""After faces change owner at one level, the levels above and below follow.

Below: a child whose faces all went to a new parent moves with them (re-parented, re-coded, its own children
re-prefixed). A child cut by the edit either keeps the part left with its parent and hands the rest to the
new parent's child sharing the longest border with it, or a new child when there is none (`join`), or is
split in two, the larger part keeping its id (`cut`, for a split with `split_children`). Above: the faces
moved go to the parent of their new owner, so that a border moved between features of different parents
moves the parents' border too.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from gridmap.geo.editing.faces import Faces, code_of, new_feature
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.hierarchy import LEVELS, Level

Mask = npt.NDArray[np.bool_]


def follow_down(faces: Faces, hood: Neighbourhood, level: Level, *, cut: bool = False) -> list[str]:
    """Give the faces of every level below `level` owners consistent with their new parents; notes in words."""
    notes: list[str] = []
    upper = level
    while (lower := upper.child_level) is not None and lower in faces.before:
        parent_after = faces.after[upper]
        for child_id in sorted({*faces.before[lower].tolist()} - {None}):
            mine = faces.before[lower] == child_id
            child = hood.get(child_id)
            groups = {p: mine & (parent_after == p) for p in {*parent_after[mine].tolist()} - {None}}
            original = hood.by_code.get(child.parent or "")
            staying = original.feature_id if original is not None else None
            if set(groups) <= {staying}:
                continue
            if cut or staying not in groups:
                keeper = max(groups, key=lambda p: float(faces.area_m2[groups[p]].sum()))
            else:
                keeper = staying
            if keeper != staying:
                faces.add_changes(hood.reparent(child, faces.created.get(keeper) or hood.get(keeper)))
                notes.append(f"{lower} {child.code} moved to {code_of(faces, hood, keeper)}")
            for parent_id, group in groups.items():
                if parent_id == keeper:
                    continue
                faces.after[lower][group] = (
                    new_feature(faces, hood, code_of(faces, hood, parent_id), lower, cut_from=child_id)
                    if cut
                    else _joined(faces, hood, lower, parent_id, group, child_id)
                )
                notes.append(f"part of {lower} {child.code} went to {code_of(faces, hood, parent_id)}")
        upper = lower
    return notes


def follow_up(faces: Faces, hood: Neighbourhood, level: Level) -> None:
    """Faces that changed owner at `level` go to the new owner's ancestors at the levels above."""
    for upper in reversed(LEVELS[: level.rank]):
        below = LEVELS[upper.rank + 1]
        if upper not in faces.before:
            return
        moved = faces.after[below] != faces.before[below]
        for index in np.nonzero(moved)[0].tolist():
            owner = faces.after[below][index]
            parent = hood.by_code.get(hood.get(owner).parent or "") if owner is not None else None
            if parent is not None:
                faces.after[upper][index] = parent.feature_id


def _joined(faces: Faces, hood: Neighbourhood, level: Level, parent_id: str, group: Mask, child_id: str) -> str:
    """The child of `parent_id` sharing the longest border with the faces in `group`, or a new child."""
    if parent_id in faces.created:
        return new_feature(faces, hood, code_of(faces, hood, parent_id), level, cut_from=child_id)
    parent_code = hood.get(parent_id).code
    candidates = [f for f in hood if f.level is level and f.parent == parent_code and f.feature_id != child_id]
    piece = shapely.boundary(faces.union(group))
    best, best_length = None, 0.0
    for candidate in candidates:
        length = hood.length_m(shapely.intersection(piece, shapely.boundary(candidate.geometry)))
        if length > best_length:
            best, best_length = candidate.feature_id, length
    if best is not None:
        return best
    return new_feature(faces, hood, code_of(faces, hood, parent_id), level, cut_from=child_id)
