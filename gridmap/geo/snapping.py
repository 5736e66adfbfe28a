"""Nearest point on the nearest line for many points at once: bucket grids of segments, numpy throughout.

Every straight segment of every line is registered in each cell of a square grid (cells a fraction of `r`
wide) that its bounding box, grown by `r`, touches and that is near enough to hold a point within `r` of
it. A point then only looks at the segments registered in its own cell: any segment within `r` of the
point is among them, so when the nearest of them lies within `r` it is the nearest of all. Distances and
projections are computed in numpy on (point, segment) pairs laid out point by point, so that the minimum
per point is a `reduceat`: no Python loop per point.

`r` is chosen per query from the exact distances of a sample of its points: about 95 % of them lie within
`r` of a street, and settle among a handful of segments each (`r` is rounded up to a power of two metres,
so one grid serves similar queries, and kept under the network's area over its length, beyond which cells
hold too many segments). The points left over, farther than `r` from every street (in a park, on the water,
outside the network), and queries of fewer than 2,000 points go to shapely's STRtree.query_nearest, which
is exact too but about a hundred times slower per point, with every tied edge, and are projected the same
way. Ties are broken alike on both paths: the lowest edge index, then the smallest offset along it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
GeometryArray = npt.NDArray[np.object_]

_CHUNK = 200_000  # points whose candidate pairs are held in memory at once
_SETTLED = 1.0 - 1e-9  # a nearest distance below this share of the reach cannot hide a nearer segment
_GRID_FROM = 2_000  # fewer points go to the tree alone: building a grid would cost more
_SAMPLE = 256  # points whose exact distances choose the grid's reach
_SETTLE_SHARE = 0.95  # of the points, the grid should settle about this share
_FINEST = 4.0  # the finest reach is the widest over this

# columns of the segment table: start x, y; vector x, y; 1 / squared length (0 for none); length; metres
# along the edge to the start; edge index. One gather of a row brings everything a pair needs.
_SX, _SY, _VX, _VY, _INV, _LENGTH, _BEFORE, _EDGE = range(8)
_GEOMETRY = 5  # the first five columns: all the distance itself needs
_CELLS_PER_REACH = 4  # cells are this much smaller than the reach: fewer segments per cell, more cells
_CELLS_PER_SEGMENT = 32  # at most this many grid cells per segment (a province's grid stays small)


@dataclass(frozen=True)
class Nearest:
    """Per point: nearest edge (-1: none), metres along it to the nearest point, and metres to that point."""

    edge: IndexArray
    offset: FloatArray
    distance: FloatArray


class SegmentIndex:
    """The straight segments of `edges` (metric LineStrings), for exact nearest-edge queries in bulk."""

    def __init__(self, edges: GeometryArray) -> None:
        self.edges = edges
        coords, owner = shapely.get_coordinates(edges, return_index=True)
        same = owner[1:] == owner[:-1]
        start, vector = coords[:-1][same], (coords[1:] - coords[:-1])[same]
        self.edge = owner[:-1][same].astype(np.intp)
        squared = vector[:, 0] * vector[:, 0] + vector[:, 1] * vector[:, 1]
        length = np.sqrt(squared)
        # metres along the edge to each segment's start: the running length, restarted at each edge
        running = np.r_[0.0, np.cumsum(length)]
        first = np.r_[0, np.flatnonzero(np.diff(self.edge)) + 1] if len(self.edge) else np.zeros(0, dtype=np.intp)
        before = running[:-1] - np.repeat(running[first], np.diff(np.r_[first, len(self.edge)]))
        inverse = np.divide(1.0, squared, out=np.zeros_like(squared), where=squared > 0)
        self.table = np.column_stack([start, vector, inverse, length, before, self.edge.astype(np.float64)])
        low, high = (coords.min(axis=0), coords.max(axis=0)) if len(coords) else (np.zeros(2), np.zeros(2))
        span = float(np.hypot(*(high - low)))
        area = max(float(np.prod(high - low)), span**2 * 1e-3)
        self.widest_reach = max(area / max(float(length.sum()), 1e-9), 1e-3)
        """The largest grid reach used: the network's area over its length (half a lattice's block)."""
        self._grids: dict[float, _Grid] = {}  # by reach, built when first needed
        self._tree: shapely.STRtree | None = None

    def nearest(self, xy: FloatArray, *, max_distance: float | None = None) -> Nearest:
        """The nearest edge of each point (rows of `xy`; NaN rows get none), exact, with ties broken."""
        n = len(xy)
        edge, offset, distance = np.full(n, -1, dtype=np.intp), np.zeros(n), np.full(n, np.inf)
        open_points = np.flatnonzero(~np.isnan(xy).any(axis=1))
        limit = np.inf if max_distance is None else max_distance
        if len(self.edge) and len(open_points) >= _GRID_FROM:
            grid = self._grid(self._reach_for(xy[open_points]))
            for begin in range(0, len(open_points), _CHUNK):
                chunk = open_points[begin : begin + _CHUNK]
                found = grid.nearest(xy[chunk], self.table)
                settled = found.distance < grid.reach * _SETTLED
                done = chunk[settled]
                edge[done], offset[done] = found.edge[settled], found.offset[settled]
                distance[done] = found.distance[settled]
            open_points = open_points[edge[open_points] < 0]
            if grid.reach * _SETTLED > limit:
                open_points = open_points[:0]  # no edge within the limit for the rest
        if len(self.edge) and len(open_points):
            found = self._from_tree(xy[open_points], max_distance)
            edge[open_points], offset[open_points], distance[open_points] = found.edge, found.offset, found.distance
        far = distance > limit
        edge[far], offset[far], distance[far] = -1, 0.0, np.inf
        return Nearest(edge, offset, distance)

    def _reach_for(self, xy: FloatArray) -> float:
        """A grid reach that settles about 95 % of these points: from a sample's exact distances, by the tree.

        Rounded up to a power of two metres so that similar point sets share one grid; never above
        `widest_reach`, as a wider one would put more segments in every cell than the tree costs, nor below
        a quarter of it, where long segments would fill too many cells.
        """
        sample = xy[:: max(1, len(xy) // _SAMPLE)]
        quantile = float(np.quantile(self._from_tree(sample, None).distance, _SETTLE_SHARE))
        reach = float(2.0 ** np.ceil(np.log2(max(quantile, 1e-3) * 1.05)))
        return min(max(reach, self.widest_reach / _FINEST), self.widest_reach)

    def _grid(self, reach: float) -> _Grid:
        """The bucket grid of a reach, built on first use."""
        if reach not in self._grids:
            self._grids[reach] = _Grid(self.table, reach)
        return self._grids[reach]

    def _from_tree(self, xy: FloatArray, max_distance: float | None) -> Nearest:
        """Nearest by STRtree over whole edges (every tied edge), then the same projection and tie-break."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.edges)
        point, edge = self._tree.query_nearest(shapely.points(xy), max_distance=max_distance, all_matches=True)
        order = np.lexsort((edge, point))
        point, edge = point[order], edge[order]
        # every segment of every candidate edge, laid out point by point
        lo = np.searchsorted(self.edge, edge, side="left")
        per_edge = np.searchsorted(self.edge, edge, side="right") - lo
        rows = np.arange(int(per_edge.sum())) + np.repeat(lo - (np.cumsum(per_edge) - per_edge), per_edge)
        count = np.bincount(np.repeat(point, per_edge), minlength=len(xy))
        return _best(xy, self.table[rows, :_GEOMETRY], rows, count, self.table)


class _Grid:
    """Segments registered in every cell their bounding box grown by `reach` touches, if it can hold a point in reach.

    Any cell size is right (a segment within `reach` of a point is registered in the point's cell); cells
    a quarter of the reach wide hold fewer segments each, and the cell count is bounded so the dense CSR stays small.
    """

    def __init__(self, table: FloatArray, reach: float) -> None:
        self.reach = reach
        start = table[:, [_SX, _SY]]
        end = start + table[:, [_VX, _VY]]
        corners = np.vstack([start, end])
        extent = np.ptp(corners, axis=0) + 4 * reach
        # cells smaller than the reach hold fewer segments; but no more cells than _CELLS_PER_SEGMENT per segment
        self.cell = max(reach / _CELLS_PER_REACH, float(np.sqrt(np.prod(extent) / (_CELLS_PER_SEGMENT * len(table)))))
        self.origin = corners.min(axis=0) - reach - self.cell  # a spare cell against rounding
        low, high = np.minimum(start, end) - reach, np.maximum(start, end) + reach
        column, row = self._cell(low)
        last_column, last_row = self._cell(high)
        width = last_column - column + 1
        count = width * (last_row - row + 1)
        segment = np.repeat(np.arange(len(count)), count)
        within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        self.shape = (int(last_column.max(initial=0)) + 1, int(last_row.max(initial=0)) + 1)
        cell_column = column[segment] + within % width[segment]
        cell_row = row[segment] + within // width[segment]
        # of the cells the grown box touches, keep those whose centre lies within reach + half a cell's
        # diagonal of the segment: a point of the cell within reach of the segment lies within that of the centre
        centre = self.origin + (np.column_stack([cell_column, cell_row]) + 0.5) * self.cell
        near = _distance_to_segments(centre, table[segment, :_GEOMETRY]) <= reach + self.cell * np.sqrt(0.5)
        segment, keys = segment[near], (cell_row * self.shape[0] + cell_column)[near]
        order = np.argsort(keys, kind="stable")
        # CSR over every cell of the grid's extent (cells outside it hold nothing)
        self.indptr = np.r_[0, np.cumsum(np.bincount(keys, minlength=self.shape[0] * self.shape[1]))]
        self.segment = segment[order]
        self.geometry = table[self.segment, :_GEOMETRY]  # per registration, what the distance needs

    def _cell(self, xy: FloatArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Grid column and row of coordinates."""
        cell = np.floor((xy - self.origin) / self.cell).astype(np.int64)
        return cell[:, 0], cell[:, 1]

    def nearest(self, xy: FloatArray, table: FloatArray) -> Nearest:
        """Nearest among the segments registered in each point's cell (edge -1 where the cell has none)."""
        column, row = self._cell(xy)
        inside = (column >= 0) & (column < self.shape[0]) & (row >= 0) & (row < self.shape[1])
        key = np.where(inside, row * self.shape[0] + column, 0)
        lo = self.indptr[key]
        count = np.where(inside, self.indptr[key + 1] - lo, 0)
        # the registered rows lo .. lo + count - 1 of each point, one after the other
        rows = np.arange(int(count.sum())) + np.repeat(lo - (np.cumsum(count) - count), count)
        return _best(xy, self.geometry[rows], self.segment[rows], count, table)


def _distance_to_segments(xy: FloatArray, segments: FloatArray) -> FloatArray:
    """Distance from each point to the segment on its row (rows of the table's first columns)."""
    dx, dy = xy[:, 0] - segments[:, _SX], xy[:, 1] - segments[:, _SY]
    t = np.clip((dx * segments[:, _VX] + dy * segments[:, _VY]) * segments[:, _INV], 0.0, 1.0)
    return np.asarray(np.hypot(dx - segments[:, _VX] * t, dy - segments[:, _VY] * t))


def _best(xy: FloatArray, pairs: FloatArray, segment: IndexArray, count: IndexArray, table: FloatArray) -> Nearest:
    """Per point, the nearest of its segments, given as (point, segment) pairs in point order, `count` per point.

    `pairs` holds each pair's segment geometry (the table's first columns), `segment` its row of `table`.
    Ties go to the lowest edge index, then to the smallest offset along that edge.
    """
    n = len(xy)
    edge, offset, distance = np.full(n, -1, dtype=np.intp), np.zeros(n), np.full(n, np.inf)
    has = np.flatnonzero(count > 0)
    if not len(has):
        return Nearest(edge, offset, distance)
    dx = np.repeat(xy[:, 0], count) - pairs[:, _SX]
    dy = np.repeat(xy[:, 1], count) - pairs[:, _SY]
    vx, vy = pairs[:, _VX], pairs[:, _VY]
    t = (dx * vx + dy * vy) * pairs[:, _INV]
    np.clip(t, 0.0, 1.0, out=t)
    dx -= vx * t
    dy -= vy * t
    squared = dx * dx + dy * dy
    best = np.minimum.reduceat(squared, (np.cumsum(count) - count)[has])
    # the pairs at the smallest distance (one per point but for ties), still in point order
    tied = np.flatnonzero(squared == np.repeat(best, count[has]))
    owner = np.repeat(np.arange(len(has)), count[has])[tied]  # position in `has`
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    rows = table[segment[tied]]
    pair_edge = rows[:, _EDGE]
    best_edge = np.minimum.reduceat(pair_edge, first)
    lowest = pair_edge == np.repeat(best_edge, np.diff(np.r_[first, len(tied)]))
    along = rows[:, _BEFORE] + t[tied] * rows[:, _LENGTH]
    edge[has] = best_edge.astype(np.intp)
    offset[has] = np.minimum.reduceat(np.where(lowest, along, np.inf), first)
    distance[has] = np.sqrt(best)
    return Nearest(edge, offset, distance)
