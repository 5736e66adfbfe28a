"""Simplified outlines of a coverage for display at low zoom, with shared borders kept shared.

Simplifying each polygon on its own moves the two sides of a shared border differently, which opens slivers
and overlaps on screen. GEOS's coverage simplification (`shapely.coverage_simplify`) simplifies each shared
edge once for both sides. It runs in local metres (`LocalMetres`, an affine map that keeps every shared vertex
identical both ways) so that the tolerance is in metres whatever the latitude.

A coverage that keeps changing (a draft being edited) is simplified by tiles (`CoverageTiles`): each feature
belongs to the square tile holding a point of its surface, and each tile's features are simplified together with
the outline of the group kept as it is, so that a border between two tiles stays shared without simplifying
them together. After an edit only the tiles of the features it changed are simplified again, and the result is
the one simplifying every tile afresh would give. The price: borders between tiles, and the coverage's outer
border, keep every vertex.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


TILE_FEATURES = 1_000  # features per tile, on average, when tiles are laid over a coverage
TileKey = tuple[int, int]


@dataclass(frozen=True)
class CoverageTiles:
    """Square tiles of `size_deg` degrees aligned on multiples of it, and the local metre map they all share."""

    size_deg: float
    local: LocalMetres

    @classmethod
    def over(cls, geometries: Sequence[BaseGeometry], features_per_tile: int = TILE_FEATURES) -> CoverageTiles:
        """Tiles holding about `features_per_tile` of the geometries each: a power-of-two size in degrees and a map
        on the tile-aligned extent, so that a few features more or less lay the same tiles."""
        if not geometries:
            msg = "no geometries to lay tiles over"
            raise ValueError(msg)
        min_x, min_y, max_x, max_y = (float(b) for b in shapely.total_bounds(np.asarray(geometries, dtype=object)))
        extent = max((max_x - min_x) * (max_y - min_y), 1e-12)
        size = 2.0 ** round(math.log2(math.sqrt(extent * features_per_tile / len(geometries))))
        aligned = (
            math.floor(min_x / size) * size,
            math.floor(min_y / size) * size,
            math.ceil(max_x / size) * size,
            math.ceil(max_y / size) * size,
        )
        return cls(size, LocalMetres(*aligned))

    def keys(self, geometries: Sequence[BaseGeometry]) -> list[TileKey]:
        """The tile of each geometry: the one holding a point on its surface."""
        if not geometries:
            return []
        xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(geometries, dtype=object)))
        cells = np.floor(xy / self.size_deg).astype(np.int64)
        return [(int(x), int(y)) for x, y in cells.tolist()]

    def simplify(self, geometries: Sequence[BaseGeometry], tolerance_m: float) -> list[BaseGeometry]:
        """One tile's features simplified together within `tolerance_m` metres, the outline of the group kept as
        it is (see the module docstring); a polygon the simplification would empty is returned as it was."""
        if not geometries or tolerance_m == 0.0:
            return list(geometries)
        originals = np.asarray(geometries, dtype=object)
        local = self.local.to_local(originals)
        simplified = self.local.to_wgs84(shapely.coverage_simplify(local, tolerance_m, simplify_boundary=False))
        return [
            original if geometry is None or geometry.is_empty else geometry
            for original, geometry in zip(originals, simplified, strict=True)
        ]
