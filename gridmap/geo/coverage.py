"""The coverage engine: overlaps, gaps, nesting, edge matching, slivers and cleaning.

Every function takes geometries in a metric CRS (areas in m2, widths in m) as numpy arrays of shapely
geometries and is vectorised: the expensive exact work is done only for features that a cheap test flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]

# m: unmatched edges this close to a neighbour's are mismatched, not merely touching. A vertex digitised "on" a
# neighbour's edge is almost never exactly on it in floating point, and a straight edge of a projected file
# bends by up to millimetres on its way through lon/lat; GEOS's exact test then sees two features that touch
# at one point and calls the border valid, leaving a wedge between them that nothing reports.
EDGE_TOLERANCE_M = 0.01


@dataclass(frozen=True)
class Overlap:
    """Two features of one level whose interiors intersect."""

    first: int
    second: int
    geometry: BaseGeometry
    area_m2: float


@dataclass(frozen=True)
class Region:
    """A polygonal region tied to one feature (the parent of a gap, the child reaching outside)."""

    owner: int
    geometry: BaseGeometry
    area_m2: float


def polygonal_parts(geometry: BaseGeometry, min_area: float) -> list[BaseGeometry]:
    """The polygons inside `geometry` (of any type) with at least `min_area`."""
    parts = shapely.get_parts(geometry)
    polygons = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    if not len(polygons):
        nested = parts[shapely.get_type_id(parts) == shapely.GeometryType.GEOMETRYCOLLECTION]
        return [p for g in nested for p in polygonal_parts(g, min_area)]
    return list(polygons[(shapely.area(polygons) >= min_area) & ~shapely.is_empty(polygons)])


def flagged_edges(geometries: GeometryArray, tolerance: float = 0.0) -> GeometryArray:
    """Per feature, the boundary linework that does not match its neighbours (empty when it all does).

    With a `tolerance` (the check uses EDGE_TOLERANCE_M), unmatched edges running within it of a neighbour's
    are flagged too: GEOS's exact test misses a vertex that lies a hair outside the edge it was put on.
    """
    edges: GeometryArray = shapely.coverage_invalid_edges(geometries, gap_width=tolerance)
    return edges


def overlap_pairs(geometries: GeometryArray, candidates: IndexArray) -> IndexArray:
    """The pairs (rows of first < second) of intersecting features involving a feature in `candidates`, sorted.

    Candidates are queried against every feature: when one polygon lies inside another, GEOS flags only
    the inner one, so pairs among flagged features alone would miss the overlap.
    """
    if not len(candidates) or len(geometries) < 2:
        return np.empty((0, 2), dtype=np.intp)
    tree = shapely.STRtree(geometries)
    local, other = tree.query(geometries[candidates], predicate="intersects")
    first, second = candidates[local], other
    pairs = np.unique(np.column_stack([np.minimum(first, second), np.maximum(first, second)]), axis=0)
    distinct: IndexArray = pairs[pairs[:, 0] != pairs[:, 1]]
    return distinct


def pair_overlaps(geometries: GeometryArray, pairs: IndexArray, min_area: float) -> list[Overlap]:
    """The `pairs` (rows of two feature indices) whose overlap covers at least `min_area`, in their order: each
    pair's answer is its own, so blocks of pairs can be searched apart."""
    intersections = shapely.intersection(geometries[pairs[:, 0]], geometries[pairs[:, 1]])
    overlaps = []
    for (a, b), shape in zip(pairs.tolist(), intersections, strict=True):
        parts = polygonal_parts(shape, min_area)
        if parts:
            merged = shapely.union_all(parts)
            overlaps.append(Overlap(int(a), int(b), merged, float(merged.area)))
    return overlaps


def union_holes(union: BaseGeometry) -> list[BaseGeometry]:
    """Every hole of a level's union, as a polygon (a gap whatever its width).

    Besides the parts' own holes, an area that several parts enclose together while touching each other only at
    points (a cell whose shared corner moved inwards, pinched off from the outline at both ends) is a hole too:
    GEOS returns such a union as separate parts around an uncovered area, not as a polygon with a hole.
    """
    parts = shapely.get_parts(union)
    holes: list[BaseGeometry] = [shapely.Polygon(ring) for polygon in parts for ring in polygon.interiors]
    if len(parts) > 1:
        holes += _enclosed_between(parts)
    return holes


def _enclosed_between(parts: GeometryArray) -> list[BaseGeometry]:
    """Faces of the parts' noded outlines that no part's outline encloses: areas shut in between parts."""
    outlines = shapely.get_exterior_ring(parts)
    filled: GeometryArray = np.asarray(shapely.polygons(outlines), dtype=object)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(outlines))))
    if not len(faces):
        return []
    enclosed = set(shapely.STRtree(filled).query(shapely.point_on_surface(faces), "covered_by")[0].tolist())
    return [face for k, face in enumerate(faces) if k not in enclosed]


def open_gaps(union: BaseGeometry, near: GeometryArray | None, gap_width: float, min_area: float) -> list[BaseGeometry]:
    """Inlets open to the outside and narrower than `gap_width`, at least `min_area` each.

    Found by a morphological closing restricted to the neighbourhood of `near` (per feature, the edges
    `gap_edges` flags): closing a whole province's outline costs minutes.
    """
    if gap_width <= 0 or near is None:
        return []
    near = near[~shapely.is_empty(near) & ~shapely.is_missing(near)]
    if not len(near):
        return []
    filled = shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(union)])
    zone = shapely.union_all(shapely.buffer(near, gap_width))  # buffering one union of all edges needs GiBs
    local = shapely.intersection(filled, shapely.buffer(zone, gap_width))
    closed = shapely.buffer(
        shapely.buffer(local, gap_width / 2.0, join_style="mitre"), -gap_width / 2.0, join_style="mitre"
    )
    inlets = shapely.intersection(shapely.difference(closed, local), zone)
    return polygonal_parts(inlets, min_area)


def gap_edges(geometries: GeometryArray, gap_width: float) -> GeometryArray:
    """Per feature, the edges flagged beside gaps narrower than `gap_width` (or overlaps, or mismatches)."""
    edges: GeometryArray = shapely.coverage_invalid_edges(geometries, gap_width=gap_width)
    return edges


def level_union(geometries: GeometryArray, exact: bool) -> BaseGeometry:
    """The union of one level: the fast coverage union when the level is a valid coverage."""
    if exact:
        return shapely.coverage_union_all(geometries)
    return shapely.union_all(geometries)


def outside_parents(
    children: GeometryArray, parents: GeometryArray, parent_of: IndexArray, min_area: float
) -> list[Region]:
    """Children (with a parent, `parent_of` >= 0) whose part outside their parent is at least `min_area`."""
    has_parent = np.flatnonzero(parent_of >= 0)
    covered = shapely.covers(parents[parent_of[has_parent]], children[has_parent])
    regions = []
    for child in has_parent[~covered]:
        outside = shapely.difference(children[child], parents[parent_of[child]])
        parts = polygonal_parts(outside, min_area)
        if parts:
            merged = shapely.union_all(parts)
            regions.append(Region(int(child), merged, float(merged.area)))
    return regions


def uncovered_in_parents(
    children: GeometryArray,
    parents: GeometryArray,
    parent_of: IndexArray,
    min_area: float,
    suspects: IndexArray,
) -> list[Region]:
    """Parts of each parent not covered by its children, at least `min_area` each.

    A parent is examined exactly when its children's areas fall short of its own, or when it is in
    `suspects` (parents with overlapping or escaping children, whose areas cannot be trusted).
    """
    has_parent = parent_of >= 0
    child_area = np.bincount(parent_of[has_parent], weights=shapely.area(children[has_parent]), minlength=len(parents))
    deficit = shapely.area(parents) - child_area
    examine = np.union1d(np.flatnonzero(deficit >= min_area), suspects)
    order = np.argsort(parent_of, kind="stable")
    sorted_parents = parent_of[order]
    regions = []
    for parent in examine:
        lo, hi = np.searchsorted(sorted_parents, [parent, parent + 1])
        mine = children[order[lo:hi]]
        covered = shapely.union_all(mine) if len(mine) else shapely.Polygon()
        for part in polygonal_parts(shapely.difference(parents[parent], covered), min_area):
            regions.append(Region(int(parent), part, float(part.area)))
    return regions


def thin_features(geometries: GeometryArray, width: float) -> IndexArray:
    """Features narrower than `width` m everywhere (erosion by width/2 leaves nothing)."""
    perimeter = shapely.length(geometries)
    mean_width = np.where(perimeter > 0, 2.0 * shapely.area(geometries) / np.maximum(perimeter, 1e-12), 0.0)
    candidates = np.flatnonzero(mean_width < width)
    eroded = shapely.buffer(geometries[candidates], -width / 2.0)
    thin: IndexArray = candidates[shapely.is_empty(eroded)]
    return thin


def clean_coverage(
    geometries: GeometryArray, *, snapping_distance: float, gap_width: float, merge_strategy: str
) -> GeometryArray:
    """GEOS's coverage cleaner: overlaps merged into one neighbour, gaps narrower than gap_width filled."""
    cleaned: GeometryArray = shapely.coverage_clean(  # type: ignore[attr-defined]
        geometries, gap_width=gap_width, snapping_distance=snapping_distance, merge_strategy=merge_strategy
    )
    return cleaned
