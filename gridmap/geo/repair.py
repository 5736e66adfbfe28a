"""Safe coverage repair inside one parent: clip children to it, clean them, fill what narrow gaps remain."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.coverage import clean_coverage, polygonal_parts

GeometryArray = npt.NDArray[np.object_]


def repair_children(
    children: GeometryArray,
    parent: BaseGeometry | None,
    *,
    gap_width: float,
    snapping_distance: float,
    merge_strategy: str,
    min_area: float,
) -> tuple[GeometryArray, list[BaseGeometry]]:
    """Cleaned children (same order) and the gaps too wide to fill, all in metres.

    Without a parent (the top level) the children are only cleaned among themselves.
    """
    cleaned = clean_coverage(
        children, snapping_distance=snapping_distance, gap_width=gap_width, merge_strategy=merge_strategy
    )
    if parent is None:
        return cleaned, []
    clipped = np.array([_polygonal(shapely.intersection(c, parent)) for c in cleaned], dtype=object)
    covered = shapely.union_all(clipped)
    wide: list[BaseGeometry] = []
    for gap in polygonal_parts(shapely.difference(parent, covered), min_area):
        if not shapely.is_empty(shapely.buffer(gap, -gap_width / 2.0)):
            wide.append(gap)
            continue
        shared = shapely.length(shapely.intersection(shapely.boundary(clipped), gap.boundary))
        if len(shared) and float(np.max(shared)) > 0:
            best = int(np.argmax(shared))
            clipped[best] = _polygonal(shapely.union(clipped[best], gap))
        else:
            wide.append(gap)
    return clipped, wide


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygonal part of an overlay result (edges and points where shapes touch are dropped)."""
    parts = polygonal_parts(geometry, 0.0)
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)
