"""What changed between two versions: features matched by their stable `feature_id`."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import shapely

from gridmap.geo.metric import areas_m2
from gridmap.store.version_store import Feature, PropertyChange, Reshape, VersionComparison, VersionDiff

# Vertices that moved less than this (degrees, about 0.1 mm) have not moved: writing a file and reading it
# back (GeoJSON keeps 15 significant digits) shifts coordinates by far less.
SAME_SHAPE_TOLERANCE_DEG = 1e-9


def same_shape(before: Sequence[object], after: Sequence[object]) -> list[bool]:
    """Pairwise: is each geometry the same shape as its partner (vertex order, start and noise aside)?"""
    if not before:
        return []
    apart = shapely.hausdorff_distance(np.asarray(before, dtype=object), np.asarray(after, dtype=object))
    return [bool(d <= SAME_SHAPE_TOLERANCE_DEG) for d in apart]


def diff_features(
    from_version: int,
    to_version: int,
    before: Sequence[Feature],
    after: Sequence[Feature],
    *,
    reshaped: Collection[str] | None = None,
) -> VersionDiff:
    """Features added, removed, reshaped (with area before and after in m2) and with changed properties; the ids
    of the reshaped ones may be given when known (their shapes are then not compared again)."""
    old = {f.feature_id: f for f in before}
    new = {f.feature_id: f for f in after}
    kept = sorted(old.keys() & new.keys(), key=lambda fid: new[fid].code)
    if reshaped is None:
        unchanged_shape = same_shape([old[fid].geometry for fid in kept], [new[fid].geometry for fid in kept])
        reshaped_ids = [fid for fid, same in zip(kept, unchanged_shape, strict=True) if not same]
    else:
        reshaped_ids = [fid for fid in kept if fid in reshaped]
    # Both sides measured in one CRS, so that an unchanged area reads as no change.
    areas = areas_m2([old[fid].geometry for fid in reshaped_ids] + [new[fid].geometry for fid in reshaped_ids])
    area_before, area_after = areas[: len(reshaped_ids)], areas[len(reshaped_ids) :]
    changed: list[PropertyChange] = []
    for fid in kept:
        a, b = old[fid].properties(), new[fid].properties()
        changes = {name: (a[name], b[name]) for name in a if a[name] != b[name]}
        if changes:
            changed.append(PropertyChange(feature_id=fid, code=new[fid].code, changes=changes))
    return VersionDiff(
        from_version=from_version,
        to_version=to_version,
        added=sorted((f for fid, f in new.items() if fid not in old), key=lambda f: f.code),
        removed=sorted((f for fid, f in old.items() if fid not in new), key=lambda f: f.code),
        reshaped=[
            Reshape(feature_id=fid, code=new[fid].code, area_before_m2=float(a0), area_after_m2=float(a1))
            for fid, a0, a1 in zip(reshaped_ids, area_before, area_after, strict=True)
        ],
        changed=changed,
    )


def updated_comparison(
    earlier: VersionComparison, moved: Collection[str], comparison_of_moved: VersionComparison
) -> VersionComparison:
    """`earlier` (a comparison of the same two versions) brought up to date: the features with the `moved` ids
    as `comparison_of_moved` (a comparison of those features alone) finds them, every other one as it was."""
    before = sorted(
        [f for f in earlier.before if f.feature_id not in moved] + comparison_of_moved.before, key=lambda f: f.code
    )
    after = sorted(
        [f for f in earlier.after if f.feature_id not in moved] + comparison_of_moved.after, key=lambda f: f.code
    )
    reshaped = {r.feature_id for r in earlier.diff.reshaped if r.feature_id not in moved}
    reshaped |= {r.feature_id for r in comparison_of_moved.diff.reshaped}
    diff = diff_features(earlier.diff.from_version, earlier.diff.to_version, before, after, reshaped=reshaped)
    return VersionComparison(diff, before, after)
