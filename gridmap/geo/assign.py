"""Points into grids: which polygon covers each point, with one deterministic answer on shared edges."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]


def covering_polygon(points: GeometryArray, polygons: GeometryArray, codes: npt.ArrayLike) -> IndexArray:
    """For each point, the index of the polygon covering it, or -1.

    Boundary-inclusive (covers): a point on an edge shared by several polygons goes to the one with the
    smallest code, so every method in gridmap gives the same single answer.
    """
    result = np.full(len(points), -1, dtype=np.intp)
    if not len(points) or not len(polygons):
        return result
    rank = np.argsort(np.asarray(codes), kind="stable")
    tree = shapely.STRtree(polygons[rank])
    point_idx, ranked_idx = tree.query(points, predicate="covered_by")
    # among several covering polygons keep the best-ranked (smallest code) one: write in reverse rank order
    order = np.argsort(-ranked_idx, kind="stable")
    result[point_idx[order]] = rank[ranked_idx[order]]
    return result
