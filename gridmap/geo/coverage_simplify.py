"""Simplified outlines of a coverage for display at low zoom, with shared borders kept shared.

Simplifying each polygon on its own moves the two sides of a shared border differently, which opens slivers
and overlaps on screen. GEOS's coverage simplification (`shapely.coverage_simplify`) simplifies each shared
edge once for both sides. It runs in local metres (`LocalMetres`, an affine map that keeps every shared vertex
identical both ways) so that the tolerance is in metres whatever the latitude.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import LocalMetres

MAX_TOLERANCE_M = 1_000.0  # beyond this the outlines say nothing a planner could use


def simplify_coverage(
    geometries: Sequence[BaseGeometry], tolerance_m: float, *, groups: Sequence[object] | None = None
) -> list[BaseGeometry]:
    """The WGS-84 polygons simplified with `tolerance_m`, in the same order.

    `groups` (one label per geometry, e.g. the level) says which geometries form one coverage: each group is
    simplified on its own, since the levels overlap each other by design. A polygon never disappears: one that
    the simplification would empty is returned as it was.
    """
    if not 0.0 <= tolerance_m <= MAX_TOLERANCE_M:
        msg = f"the simplification tolerance must be between 0 and {MAX_TOLERANCE_M:g} m, not {tolerance_m:g}"
        raise ValueError(msg)
    result = list(geometries)
    if not result or tolerance_m == 0.0:
        return result
    labels = np.asarray(groups if groups is not None else [None] * len(result), dtype=object)
    originals = np.asarray(result, dtype=object)
    local = LocalMetres(*(float(b) for b in shapely.total_bounds(originals)))
    for label in dict.fromkeys(labels.tolist()):
        members = np.flatnonzero(labels == label)
        simplified = local.to_wgs84(shapely.coverage_simplify(local.to_local(originals[members]), tolerance_m))
        for index, geometry in zip(members.tolist(), simplified, strict=True):
            if geometry is not None and not geometry.is_empty:
                result[index] = geometry
    return result
