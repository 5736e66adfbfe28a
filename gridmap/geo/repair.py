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
    # The cleaned children do not overlap, so what they leave of the parent has the area they miss of it: when
    # that is well under min_area no gap can reach it, and the union and difference below (the costliest steps
    # of a repair, run for every parent) would find none.
    clipped = _clipped(cleaned, children, parent)
    if float(shapely.area(parent)) - float(np.sum(shapely.area(clipped))) < min_area / 2.0:
        return clipped, []
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


def _clipped(cleaned: GeometryArray, children: GeometryArray, parent: BaseGeometry) -> GeometryArray:
    """The polygonal part of each cleaned child inside the parent.

    A child the cleaning left as it was (its vertices, from another start) and the parent covers is kept as it
    was, without an overlay: most children of most parents.
    """
    shapely.prepare(parent)
    as_was = same_shapes(cleaned, children)
    clipped = children.copy()
    for i in np.flatnonzero(~(as_was & shapely.covered_by(children, parent))).tolist():
        clipped[i] = _polygonal(shapely.intersection(cleaned[i], parent))
    return clipped


def same_shapes(first: GeometryArray, second: GeometryArray) -> npt.NDArray[np.bool_]:
    """Per pair, whether the two are the same shape (`shapely.equals`).

    Most such pairs are the same vertices from another start, in another ring order or as a one-part
    MultiPolygon, which normalising shows at a fraction of the cost of the topological test, run on the rest.
    """
    same: npt.NDArray[np.bool_] = shapely.equals_exact(_normalized(first), _normalized(second))
    rest = np.flatnonzero(~same)
    same[rest] = shapely.equals(first[rest], second[rest])
    return same


def _normalized(geometries: GeometryArray) -> GeometryArray:
    """The geometries normalised, a one-part MultiPolygon as its polygon."""
    one_part = (shapely.get_type_id(geometries) == shapely.GeometryType.MULTIPOLYGON) & (
        shapely.get_num_geometries(geometries) == 1
    )
    unwrapped = geometries.copy()
    unwrapped[one_part] = shapely.get_geometry(geometries[one_part], 0)
    normalized: GeometryArray = shapely.normalize(unwrapped)
    return normalized


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygonal part of an overlay result (edges and points where shapes touch are dropped)."""
    if shapely.get_type_id(geometry) == shapely.GeometryType.POLYGON and not shapely.is_empty(geometry):
        return geometry
    parts = polygonal_parts(geometry, 0.0)
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)
