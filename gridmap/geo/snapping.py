"""Nearest point on the nearest line for many points at once: square blocks and cells of segments, numpy throughout.

For a reach `r`, a grid registers every segment in the square blocks (about `r` wide) that its bounding box,
grown by `r`, touches: a CSR over the blocks, built with one radix sort. A point looks at the segments of its
own block (about ten on a street lattice): any segment within `r` of the point is among them, so when the
nearest of them lies within `r` it is the nearest of all. The grid's cells (an eighth of `r` wide or more) hold
only the segments that can be nearest to one of their points, two to five on real streets; a cell is filled
from its block when a point first falls in it, so queries cost what they touch, not the area of a province.
A grid's first large query is answered from the blocks, with nothing filled (a network's first snap, which a
command-line run pays, costs a third to a half of filling the cells a point apiece), unless its points crowd
two or more to a cell (a small town's households), where filling is cheaper; every later query and every
small one is answered from the cells (a second large query pays for filling them, the ones after it read two
to five segments per point). Distances and projections are computed in numpy on (point, segment) pairs laid
out point by point: no Python loop per point.

`r` is chosen per large query from the exact distances of a sample of its points (from the last grid used
when it settles the sample, else from the tree): about 95 % of them lie within `r` of a street (`r` is
rounded up to a power of two metres, so one grid serves similar queries, and kept under the network's area
over its length, beyond which blocks hold too many segments). Queries of fewer than 2,000 points ask the
cells of the last grid used (building one would cost more than they save). The points left over, farther
than `r` from every street (in a park, on the water, outside the network), and small queries before any grid
exists go to shapely's STRtree.query_nearest, which is exact too but about a hundred times slower per point,
with every tied edge, and are projected the same way. Ties (within a nanometre) are broken alike on every
path: the lowest edge index, then the smallest offset along it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
GeometryArray = npt.NDArray[np.object_]

_CHUNK = 8_192  # points whose candidate pairs are held in memory at once: a few MB, reused chunk after chunk
# (more at once had the kernel hand out fresh pages for every query, as costly as the arithmetic)
_SETTLED = 1.0 - 1e-9  # a nearest distance below this share of the reach cannot hide a nearer segment
_GRID_FROM = 2_000  # fewer points go to the tree alone: building a grid would cost more
_SAMPLE = 256  # points whose exact distances choose the grid's reach
_SETTLE_SHARE = 0.95  # of the points, the grid should settle about this share
_FINEST = 4.0  # the finest reach is the widest over this

# the segments' two tables, a row per segment. `geometry`, all a pair's distance reads (one gather of a row):
# start x, y; vector x, y; 1 / squared length (0 for none). `along`, read for the nearest pairs alone: length;
# metres along the edge to the start; edge index.
_SX, _SY, _VX, _VY, _INV = range(5)
_LENGTH, _BEFORE, _EDGE = range(3)
_CELLS_PER_REACH = 8  # cells are this much smaller than the reach: fewer segments per cell, more cells
_CELLS_PER_SEGMENT = 32  # at most this many grid cells per segment (a province's grid stays small)
_CELLS_ANYWAY = 2**20  # but this many are allowed to any network
_ROUNDING = 1e-6  # metres: room for rounding in distances and in which cell a point falls
_TIE = 1e-9  # metres: edges this close to the nearest distance are tied with it
_BLOCK_PER_REACH = 1.0  # block side over the reach (larger: more pairs per point; smaller: more blocks per segment)
_FILL_BATCH = 100_000  # cells filled at once: their (cell, candidate) pairs are held in memory together
_CROWDED = 2.0  # points per touched cell from which filling the cells costs less than reading the blocks


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
        self.geometry = np.column_stack([start, vector, inverse])
        self.along = np.column_stack([length, before, self.edge.astype(np.float64)])
        low, high = (coords.min(axis=0), coords.max(axis=0)) if len(coords) else (np.zeros(2), np.zeros(2))
        span = float(np.hypot(*(high - low)))
        area = max(float(np.prod(high - low)), span**2 * 1e-3)
        self.widest_reach = max(area / max(float(length.sum()), 1e-9), 1e-3)
        """The largest grid reach used: the network's area over its length (half a lattice's block)."""
        self._grids: dict[float, _Grid] = {}  # by reach, built when first needed
        self._last_grid: _Grid | None = None  # the grid of the last large query: small ones ask it first
        self._tree: shapely.STRtree | None = None

    def nearest(self, xy: FloatArray, *, max_distance: float | None = None) -> Nearest:
        """The nearest edge of each point (rows of `xy`; NaN rows get none), exact, with ties broken."""
        n = len(xy)
        open_points = np.flatnonzero(~(np.isnan(xy[:, 0]) | np.isnan(xy[:, 1])))
        limit = np.inf if max_distance is None else max_distance
        edge, offset, distance = np.full(n, -1, dtype=np.intp), np.zeros(n), np.full(n, np.inf)
        grid = self._grid_for(xy, open_points) if len(self.edge) and len(open_points) else None
        # a grid's first large query from its blocks, with nothing filled, unless its points crowd into few cells;
        # small queries, and large ones after the first (a network asked again), from the cells
        by_cell = grid is not None and (len(open_points) < _GRID_FROM or grid.asked or grid.crowded(xy[open_points]))
        if grid is not None:
            grid.asked = True
            whole = len(open_points) == n  # every point, in order (the usual case): chunks are slices
            for begin in range(0, len(open_points), _CHUNK):
                chunk = open_points[begin : begin + _CHUNK]
                rows = slice(begin, begin + len(chunk)) if whole else chunk
                found = grid.nearest(xy[rows]) if by_cell else grid.nearest_in_blocks(xy[rows])
                settled = found.distance < grid.reach * _SETTLED
                if whole:
                    unsettled = np.flatnonzero(~settled)
                    found.edge[unsettled], found.offset[unsettled], found.distance[unsettled] = -1, 0.0, np.inf
                    edge[rows], offset[rows], distance[rows] = found.edge, found.offset, found.distance
                else:
                    done = chunk[settled]
                    edge[done], offset[done] = found.edge[settled], found.offset[settled]
                    distance[done] = found.distance[settled]
            open_points = np.flatnonzero(edge < 0) if whole else open_points[edge[open_points] < 0]
        if grid is not None and grid.reach * _SETTLED > limit:
            open_points = open_points[:0]  # no edge within the limit for the rest
        if len(self.edge) and len(open_points):
            found = self._from_tree(xy[open_points], max_distance)
            edge[open_points], offset[open_points], distance[open_points] = found.edge, found.offset, found.distance
        far = distance > limit
        edge[far], offset[far], distance[far] = -1, 0.0, np.inf
        return Nearest(edge, offset, distance)

    def _grid_for(self, xy: FloatArray, points: IndexArray) -> _Grid | None:
        """The grid to ask first for the rows `points` of `xy` (None: the tree alone).

        For `_GRID_FROM` points or more, the grid whose reach settles about 95 % of them; for fewer, the last
        such grid, if any (the few cells they touch are cheap to fill); the points it does not settle go to the
        tree. Which of the grid's blocks or cells answer is `nearest`'s choice.
        """
        if len(points) >= _GRID_FROM:
            self._last_grid = self._grid(self._reach_for(xy[points[:: max(1, len(points) // _SAMPLE)]]))
        return self._last_grid

    def _reach_for(self, sample: FloatArray) -> float:
        """A grid reach that settles about 95 % of a query, from the exact distances of a sample of its points.

        Rounded up to a power of two metres so that similar point sets share one grid; never above
        `widest_reach`, as a wider one would put more segments in every block than the tree costs, nor below
        a quarter of it, where long segments would span too many blocks. The distances come from the last
        grid when it settles the sample points that decide the quantile (its settled distances are exact,
        and the others lie beyond them), else from the tree.
        """
        distance = None
        if self._last_grid is not None:
            reach = self._last_grid.reach
            found = self._last_grid.nearest_in_blocks(sample)
            settled = found.distance < reach * _SETTLED
            # the quantile reads the two order statistics around _SETTLE_SHARE: both must be settled
            if np.count_nonzero(settled) >= int(_SETTLE_SHARE * (len(sample) - 1)) + 2:
                distance = np.where(settled, found.distance, reach)
        if distance is None:
            distance = self._from_tree(sample, None).distance
        quantile = float(np.quantile(distance, _SETTLE_SHARE))
        reach = float(2.0 ** np.ceil(np.log2(max(quantile, 1e-3) * 1.05)))
        return min(max(reach, self.widest_reach / _FINEST), self.widest_reach)

    def _grid(self, reach: float) -> _Grid:
        """The bucket grid of a reach, built on first use."""
        if reach not in self._grids:
            self._grids[reach] = _Grid(self.geometry, self.along, reach)
        return self._grids[reach]

    def _from_tree(self, xy: FloatArray, max_distance: float | None) -> Nearest:
        """Nearest by STRtree over whole edges (every edge about as near), then the same projection and tie-break."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.edges)
        points = np.asarray(shapely.points(xy), dtype=object)
        (reached, _), distance = self._tree.query_nearest(
            points, max_distance=max_distance, return_distance=True, all_matches=False
        )
        # GEOS rounds too: every edge within a rounding of the nearest, for the tie-break to see
        position, edge = self._tree.query(points[reached], predicate="dwithin", distance=distance + _ROUNDING)
        point = reached[position]
        order = np.lexsort((edge, point))
        point, edge = point[order], edge[order]
        # every segment of every candidate edge, laid out point by point
        lo = np.searchsorted(self.edge, edge, side="left")
        per_edge = np.searchsorted(self.edge, edge, side="right") - lo
        count = np.bincount(np.repeat(point, per_edge), minlength=len(xy))
        return _best(xy, _runs(lo, per_edge), count, self.geometry, self.along)


class _Grid:
    """Blocks and cells over the segments, for nearest-segment queries within a reach.

    Blocks: squares of whole cells about a reach wide, each holding every segment whose bounding box, grown by
    the reach and half a cell's diagonal, touches it (a CSR over the blocks). Any segment within reach of a point
    is registered in the point's block, so the nearest of the block's segments, when it lies within reach, is
    the nearest of all: a grid's first large query is answered straight from the blocks (`nearest_in_blocks`),
    about ten (point, segment) pairs per point, with nothing else to build, unless its points are `crowded`.

    Cells: an eighth of the reach wide or more, each holding the segments that can be nearest to a point of it
    in reach, two to five on real streets (`nearest`): fewer pairs per point, but a cell is filled when a point
    of a query first falls in it (most cells of a province never hold one), from its block's segments: it keeps
    those within reach + half a diagonal of its centre (a point of the cell within reach of a segment lies
    within that of the centre) and of them the ones that can be nearest (no farther than the nearest + a
    diagonal). Filling a point's cell costs more than reading its block once; every query after the grid's first,
    and small ones, which touch few cells, ask the cells.
    """

    def __init__(self, geometry: FloatArray, along: FloatArray, reach: float) -> None:
        self.reach = reach
        self.geometry = geometry
        self.along = along
        start = geometry[:, [_SX, _SY]]
        end = start + geometry[:, [_VX, _VY]]
        corners = np.vstack([start, end])
        extent = np.ptp(corners, axis=0) + 4 * reach
        # cells smaller than the reach hold fewer segments; but no more cells than _CELLS_PER_SEGMENT per segment
        # (or _CELLS_ANYWAY): a cell takes 12 bytes, resident only in the pages of cells that queries touched
        most = max(_CELLS_PER_SEGMENT * len(geometry), _CELLS_ANYWAY)
        self.cell = max(reach / _CELLS_PER_REACH, float(np.sqrt(np.prod(extent) / most)))
        self.origin = corners.min(axis=0) - reach - self.cell  # a spare cell against rounding
        last_column, last_row = self._cell(np.maximum(start, end).max(axis=0, initial=0.0)[None, :] + reach)
        self.shape = (int(last_column[0]) + 1, int(last_row[0]) + 1)
        self.half_diagonal = self.cell * np.sqrt(0.5)
        # every segment in each block its grown bounding box touches, as a CSR over the blocks
        grown = reach + self.half_diagonal + _ROUNDING
        column, row = self._cell(np.minimum(start, end) - grown)
        last_column, last_row = self._cell(np.maximum(start, end) + grown)
        self.block = max(1, round(_BLOCK_PER_REACH * reach / self.cell))  # cells per side of a block
        self.block_columns = self.shape[0] // self.block + 1
        blocks = self.block_columns * (self.shape[1] // self.block + 1)
        segment, block = _box_blocks(
            column // self.block,
            row // self.block,
            last_column // self.block,
            last_row // self.block,
            self.block_columns,
        )
        self.block_indptr = np.r_[0, np.cumsum(np.bincount(block, minlength=blocks))]
        self.block_segment = segment[_block_order(block, blocks)]
        # per cell: one more than its first row in `segment` (0: not filled yet, so that the untouched pages
        # of a province's cells stay unallocated) and how many rows it has; one cell more, empty and never
        # filled, for the points outside the grid
        self.outside = self.shape[0] * self.shape[1]
        self.start = np.zeros(self.outside + 1, dtype=np.int64)
        self.count = np.zeros(self.outside + 1, dtype=np.int32)
        self.start[self.outside] = 1
        self.segment = np.zeros(0, dtype=np.int32)
        self._filling = threading.Lock()  # cells are filled by one query at a time
        self.asked = False  # whether a query has used the grid yet

    def _cell(self, xy: FloatArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Grid column and row of coordinates."""
        cell = np.floor((xy - self.origin) / self.cell).astype(np.int64)
        return cell[:, 0], cell[:, 1]

    def crowded(self, xy: FloatArray) -> bool:
        """Whether the points fall _CROWDED or more to a cell, on average over the cells they touch: then filling
        those cells and reading their few segments costs less than reading every point's block (a small town's
        50,000 households, 7.5 to a cell, against 1.1-1.4 on a city's or a lattice's)."""
        column, row = self._cell(xy)
        return len(xy) >= _CROWDED * len(np.unique(row * self.shape[0] + column))

    def _inside(self, column: npt.NDArray[np.int64], row: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Whether each cell is in the grid (unsigned, a negative column or row is out of range too)."""
        return (column.view(np.uint64) < self.shape[0]) & (row.view(np.uint64) < self.shape[1])

    def _fill(self, keys: npt.NDArray[np.int64]) -> None:
        """Find the segments of the cells `keys` (not filled yet, no repeats) and append them to `segment`."""
        if not len(keys):
            return
        found = [self.segment]
        end = len(self.segment)
        for begin in range(0, len(keys), _FILL_BATCH):
            batch = keys[begin : begin + _FILL_BATCH]
            column, row = batch % self.shape[0], batch // self.shape[0]
            block = (row // self.block) * self.block_columns + column // self.block
            lo = self.block_indptr[block]
            count = self.block_indptr[block + 1] - lo
            owner = np.repeat(np.arange(len(batch)), count)  # position in `batch` of each (cell, candidate) pair
            segment = self.block_segment[_runs(lo, count)]
            centre = self.origin + (np.column_stack([column, row])[owner] + 0.5) * self.cell
            distance = _distance_to_segments(centre, self.geometry[segment])
            distance[distance > self.reach + self.half_diagonal] = np.inf
            # every point of a cell lies within (the centre's nearest) + half a diagonal of that one segment,
            # and no nearer than (the centre's distance) - half a diagonal to any other: a segment farther
            # from the centre than the nearest + a diagonal is never the nearest to a point of the cell
            closest = np.full(len(batch), np.inf)
            has = np.flatnonzero(count)
            closest[has] = np.minimum.reduceat(distance, (np.cumsum(count) - count)[has])
            useful = np.isfinite(distance) & (distance <= closest[owner] + 2 * self.half_diagonal + _ROUNDING)
            kept = np.bincount(owner[useful], minlength=len(batch))
            self.count[batch] = kept
            self.start[batch] = 1 + end + np.cumsum(kept) - kept
            end += int(kept.sum())
            found.append(segment[useful])
        self.segment = np.concatenate(found)

    def nearest(self, xy: FloatArray) -> Nearest:
        """Nearest among the segments of each point's cell (edge -1 where the cell has none)."""
        column, row = self._cell(xy)
        key = row * self.shape[0] + column
        inside = self._inside(column, row)
        if not inside.all():
            key[~inside] = self.outside
        with self._filling:
            lo = np.take(self.start, key)
            empty = lo == 0
            if empty.any():
                self._fill(np.unique(key[empty]))
                lo = np.take(self.start, key)
            count, segments = np.take(self.count, key), self.segment
        # the rows lo .. lo + count - 1 of each point, one after the other
        return _best(xy, np.take(segments, _runs(lo - 1, count)), count, self.geometry, self.along)

    def nearest_in_blocks(self, xy: FloatArray) -> Nearest:
        """Nearest among the segments of each point's block (edge -1 outside the grid): no cell is filled."""
        column, row = self._cell(xy)
        block = (row // self.block) * self.block_columns + column // self.block
        inside = self._inside(column, row)
        if not inside.all():
            block[~inside] = 0
        lo = np.take(self.block_indptr, block)
        count = np.take(self.block_indptr, block + 1) - lo
        count[~inside] = 0
        return _best(xy, np.take(self.block_segment, _runs(lo, count)), count, self.geometry, self.along)


def _runs(lo: npt.NDArray[np.integer], count: npt.NDArray[np.integer]) -> IndexArray:
    """The positions lo .. lo + count - 1 of every run, one run after the other."""
    return np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))


def _box_blocks(
    column: npt.NDArray[np.int64],
    row: npt.NDArray[np.int64],
    last_column: npt.NDArray[np.int64],
    last_row: npt.NDArray[np.int64],
    columns: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """(box, block) for every block of every box given by its first and last column and row.

    Blocks are numbered row by row, `columns` to a row (fewer than 2**31 blocks). Each box is laid out row by
    row as runs of consecutive numbers: no division per block, and 32-bit numbers (a province registers
    millions of segments in blocks: half the memory of 64-bit ones).
    """
    height = last_row - row + 1
    first = _runs(row, height) * columns + np.repeat(column, height)  # the first block of each row of each box
    width = np.repeat(last_column - column + 1, height)
    block = np.repeat((first - (np.cumsum(width) - width)).astype(np.int32), width)
    block += np.arange(len(block), dtype=np.int32)  # as in `_runs`
    return np.repeat(np.repeat(np.arange(len(height), dtype=np.int32), height), width), block


def _block_order(block: npt.NDArray[np.int32], blocks: int) -> IndexArray:
    """The stable order of `block` (numbers below `blocks`, fewer than 2**31).

    NumPy's stable sort is a radix sort for 16-bit keys: one pass when the numbers fit in 16 bits, else two
    (the low halves, then the high halves of that order), both cheaper than a comparison sort.
    """
    if blocks <= 2**16:
        return np.argsort(block.astype(np.uint16), kind="stable")
    low = np.argsort((block & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((block[low] >> 16).astype(np.uint16), kind="stable")]


def _distance_to_segments(xy: FloatArray, segments: FloatArray) -> FloatArray:
    """Distance from each point to the segment on its row (rows of the segments' `geometry`)."""
    dx, dy = xy[:, 0] - segments[:, _SX], xy[:, 1] - segments[:, _SY]
    t = np.clip((dx * segments[:, _VX] + dy * segments[:, _VY]) * segments[:, _INV], 0.0, 1.0)
    return np.asarray(np.hypot(dx - segments[:, _VX] * t, dy - segments[:, _VY] * t))


def _best(
    xy: FloatArray,
    segment: npt.NDArray[np.integer],
    count: npt.NDArray[np.integer],
    geometry: FloatArray,
    along: FloatArray,
) -> Nearest:
    """Per point, the nearest of its segments, given as (point, segment) pairs in point order, `count` per point.

    `segment` holds each pair's segment: its row of the segments' `geometry` (all the distances read) and
    `along` (read for the nearest pairs alone). Ties (within _TIE) go to the lowest edge index, then to the
    smallest offset along that edge.
    """
    n = len(xy)
    if not len(segment):
        return Nearest(np.full(n, -1, dtype=np.intp), np.zeros(n), np.full(n, np.inf))
    rows = np.take(geometry, segment, axis=0)
    owner = np.repeat(np.arange(n), count)  # the point of each pair
    dx = np.repeat(xy[:, 0], count)
    dx -= rows[:, _SX]
    dy = np.repeat(xy[:, 1], count)
    dy -= rows[:, _SY]
    vx, vy = rows[:, _VX], rows[:, _VY]
    t = dx * vx
    t += dy * vy
    t *= rows[:, _INV]
    np.clip(t, 0.0, 1.0, out=t)
    dx -= vx * t
    dy -= vy * t
    squared = dx * dx
    squared += dy * dy
    best = np.full(n, np.inf)  # points without a pair keep it: no edge, infinitely far
    np.minimum.at(best, owner, squared)
    distance = np.sqrt(best)
    # the pairs at the smallest distance (one per point but for ties), still in point order; within _TIE of it,
    # as a segment and its reverse (a duplicate way drawn backwards) round the same distance differently
    tied = np.flatnonzero(squared <= np.take((distance + _TIE) ** 2, owner))
    # each point's tied pairs are a run of `tied` (every point with a pair has one at least: its nearest);
    # `first` is each run's first, a point's only one but for ties
    tied_point = owner[tied]
    first = np.flatnonzero(np.r_[True, tied_point[1:] != tied_point[:-1]])
    has = tied_point[first]
    ties = np.diff(first, append=len(tied))
    tied_rows = np.take(along, np.take(segment, tied), axis=0)
    along = tied_rows[:, _BEFORE] + t[tied] * tied_rows[:, _LENGTH]
    pair_edge = tied_rows[:, _EDGE]
    if len(has) == n:  # every point has a pair (the usual case): no index
        edge, offset = pair_edge[first].astype(np.intp), along[first]
    else:
        edge, offset = np.full(n, -1, dtype=np.intp), np.zeros(n)
        edge[has], offset[has] = pair_edge[first].astype(np.intp), along[first]
    several = np.flatnonzero(ties > 1)  # a point at a vertex, or on duplicate edges: few
    if len(several):
        runs = ties[several]
        starts = np.cumsum(runs) - runs
        pair = _runs(first[several], runs)  # their pairs in `tied`
        best_edge = np.minimum.reduceat(pair_edge[pair], starts)
        lowest = pair_edge[pair] == np.repeat(best_edge, runs)
        edge[has[several]] = best_edge.astype(np.intp)
        offset[has[several]] = np.minimum.reduceat(np.where(lowest, along[pair], np.inf), starts)
    return Nearest(edge, offset, distance)
