"""Nearest point on the nearest line for many points at once: square blocks and cells of segments, numpy throughout.

For a reach `r`, a grid registers every segment in the square blocks (about `r` wide) that its bounding box,
grown by `r`, touches: a CSR over the blocks, built with one sort in place. A point looks at the segments of its
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
than `r` from every street (in a park, on the water, outside the network), ask the nine blocks around theirs,
which hold every segment within `r` and a block's side; those still left, and small queries before any grid
exists, go to shapely's STRtree.query_nearest, which is exact too but about a hundred times slower per point,
with every tied edge, and are projected the same way. The pairs of a chunk of points are worked out in arrays
each thread keeps from chunk to chunk (fresh memory, page-faulted in, cost as much as the arithmetic). Ties
(within a nanometre) are broken alike on every path: the lowest edge index, then the smallest offset along it.
"""

from __future__ import annotations

import contextlib
import mmap
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
GeometryArray = npt.NDArray[np.object_]

_CHUNK = 8_192  # points asked of the cells at once, two to five pairs each: their pairs' arrays, a few MB, are
# the thread's scratch, reused chunk after chunk
_BLOCK_CHUNK = 2_048  # the same for points asked of the blocks and for cells filled at once, ten pairs or more
# each: as many pairs as a chunk of the cells (the scratch is first touched, page by page, by a network's first snap)
_SETTLED = 1.0 - 1e-9  # a nearest distance below this share of the reach cannot hide a nearer segment
_GRID_FROM = 2_000  # fewer points go to the tree alone: building a grid would cost more
_SAMPLE = 256  # points whose exact distances choose the grid's reach
_SETTLE_SHARE = 0.95  # of the points, the grid should settle about this share
_FINEST = 4.0  # the finest reach is the widest over this

# the segments' two tables. `geometry`, a column per segment, all a pair's distance reads (gathered column by
# column, so that the arithmetic runs on contiguous rows): start x, y; vector x, y; 1 / squared length (0 for
# none). `along`, a row per segment, read for the nearest pairs alone: length; metres along the edge to the
# start; edge index.
_SX, _SY, _VX, _VY, _INV = range(5)
_LENGTH, _BEFORE, _EDGE = range(3)
_CELLS_PER_REACH = 8  # cells are this much smaller than the reach: fewer segments per cell, more cells
_CELLS_PER_SEGMENT = 32  # at most this many grid cells per segment (a province's grid stays small)
_CELLS_ANYWAY = 2**20  # but this many are allowed to any network
_ROUNDING = 1e-6  # metres: room for rounding in distances and in which cell a point falls
_TIE = 1e-9  # metres: edges this close to the nearest distance are tied with it
_BLOCK_PER_REACH = 1.0  # block side over the reach (larger: more pairs per point; smaller: more blocks per segment)
_BOXES_AT_ONCE = 4_096  # segments' boxes laid out at once: their rows' arrays stay small
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
        self.geometry = np.vstack([start.T, vector.T, inverse])
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

        def keep(points: IndexArray, found: Nearest, settled: npt.NDArray[np.bool_]) -> None:
            # the answers of the `settled` ones of `points` (rows of `found`)
            done = points[settled]
            edge[done], offset[done] = found.edge[settled], found.offset[settled]
            distance[done] = found.distance[settled]

        grid = self._grid_for(xy, open_points) if len(self.edge) and len(open_points) else None
        # a grid's first large query from its blocks, with nothing filled, unless its points crowd into few cells;
        # small queries, and large ones after the first (a network asked again), from the cells
        by_cell = grid is not None and (len(open_points) < _GRID_FROM or grid.asked or grid.crowded(xy[open_points]))
        if grid is not None:
            grid.asked = True
            whole = len(open_points) == n  # every point, in order (the usual case): chunks are slices
            step = _CHUNK if by_cell else _BLOCK_CHUNK
            for begin in range(0, len(open_points), step):
                chunk = open_points[begin : begin + step]
                rows = slice(begin, begin + len(chunk)) if whole else chunk
                found = grid.nearest(xy[rows]) if by_cell else grid.nearest_in_blocks(xy[rows])
                settled = found.distance < grid.reach * _SETTLED
                if whole:
                    unsettled = np.flatnonzero(~settled)
                    found.edge[unsettled], found.offset[unsettled], found.distance[unsettled] = -1, 0.0, np.inf
                    edge[rows], offset[rows], distance[rows] = found.edge, found.offset, found.distance
                else:
                    keep(chunk, found, settled)
            open_points = np.flatnonzero(edge < 0) if whole else open_points[edge[open_points] < 0]
            # the points beyond the reach: the blocks around theirs settle those within a block more (nine times
            # the pairs of a point: a quarter of the points at once)
            for begin in range(0, len(open_points), _BLOCK_CHUNK // 4):
                chunk = open_points[begin : begin + _BLOCK_CHUNK // 4]
                found = grid.nearest_around(xy[chunk])
                keep(chunk, found, found.distance < grid.around * _SETTLED)
            open_points = open_points[edge[open_points] < 0]
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
    the reach, touches it (a CSR over the blocks). Any segment within reach of a point is registered in the
    point's block, so the nearest of the block's segments, when it lies within reach, is the nearest of all: a
    grid's first large query is answered straight from the blocks (`nearest_in_blocks`), about ten (point,
    segment) pairs per point, with nothing else to build, unless its points are `crowded`.

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
        start = geometry[[_SX, _SY]].T
        end = start + geometry[[_VX, _VY]].T
        corners = np.vstack([start, end])
        extent = np.ptp(corners, axis=0) + 4 * reach
        # cells smaller than the reach hold fewer segments; but no more cells than _CELLS_PER_SEGMENT per segment
        # (or _CELLS_ANYWAY): a cell takes 12 bytes, resident only in the pages of cells that queries touched
        most = max(_CELLS_PER_SEGMENT * geometry.shape[1], _CELLS_ANYWAY)
        self.cell = max(reach / _CELLS_PER_REACH, float(np.sqrt(np.prod(extent) / most)))
        self.origin = corners.min(axis=0) - reach - self.cell  # a spare cell against rounding
        last_column, last_row = self._cell(np.maximum(start, end).max(axis=0, initial=0.0)[None, :] + reach)
        self.shape = (int(last_column[0]) + 1, int(last_row[0]) + 1)
        self.half_diagonal = self.cell * np.sqrt(0.5)
        # every segment in each block its grown bounding box touches, as a CSR over the blocks
        grown = reach + _ROUNDING
        column, row = self._cell(np.minimum(start, end) - grown)
        last_column, last_row = self._cell(np.maximum(start, end) + grown)
        self.block = max(1, round(_BLOCK_PER_REACH * reach / self.cell))  # cells per side of a block
        self.block_columns, self.block_rows = self.shape[0] // self.block + 1, self.shape[1] // self.block + 1
        self.block_indptr, self.block_segment = _box_blocks(
            column // self.block,
            row // self.block,
            last_column // self.block,
            last_row // self.block,
            self.block_columns,
            self.block_columns * self.block_rows,
        )
        self.around = reach + self.block * self.cell
        """Every segment within this of a point is registered in its block or one of the eight around it."""
        # per cell: one more than its first row in `segment` (0: not filled yet, so that the untouched pages
        # of a province's cells stay unallocated) and how many rows it has; one cell more, empty and never
        # filled, for the points outside the grid
        self.outside = self.shape[0] * self.shape[1]
        self.start = _untouched_zeros(self.outside + 1, np.int64)
        self.count = _untouched_zeros(self.outside + 1, np.int32)
        self.start[self.outside] = 1
        self.segment = np.zeros(0, dtype=np.int32)  # the cells' rows, then room for more
        self.filled = 0  # rows of `segment` in use
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
        return len(xy) >= _CROWDED * len(_distinct(row * self.shape[0] + column))

    def _inside(self, column: npt.NDArray[np.int64], row: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Whether each cell is in the grid (unsigned, a negative column or row is out of range too)."""
        return (column.view(np.uint64) < self.shape[0]) & (row.view(np.uint64) < self.shape[1])

    def _fill(self, keys: npt.NDArray[np.int64]) -> None:
        """Find the segments of the cells `keys` (not filled yet, no repeats) and append them to `segment`."""
        if not len(keys):
            return
        for begin in range(0, len(keys), _BLOCK_CHUNK):
            batch = keys[begin : begin + _BLOCK_CHUNK]
            column, row = batch % self.shape[0], batch // self.shape[0]
            block = (row // self.block) * self.block_columns + column // self.block
            lo = self.block_indptr[block]
            count = self.block_indptr[block + 1] - lo
            pairs = int(count.sum())
            # position in `batch` of each (cell, candidate) pair
            owner = _runs(np.arange(len(batch)), count, step=0, out=_SCRATCH.get("owner", pairs, np.intp))
            segment = _gather_runs(self.block_segment, lo, count)
            centre = self.origin + (np.column_stack([column, row]) + 0.5) * self.cell
            squared, _ = _squared_distances(centre, owner, segment, self.geometry)
            distance = np.sqrt(squared, out=squared)
            # every point of a cell lies within (the centre's nearest) + half a diagonal of that one segment,
            # and no nearer than (the centre's distance) - half a diagonal to any other: a segment farther
            # from the centre than the nearest + a diagonal is never the nearest to a point of the cell; nor is
            # one farther than the reach + half a diagonal within reach of any
            closest = np.full(len(batch), np.inf)
            has = np.flatnonzero(count)
            closest[has] = np.minimum.reduceat(distance, (np.cumsum(count) - count)[has])
            bound = np.minimum(closest + 2 * self.half_diagonal + _ROUNDING, self.reach + self.half_diagonal)
            useful = np.less_equal(
                distance, np.take(bound, owner, out=_SCRATCH.get("bound", pairs)), out=_SCRATCH.get("kept", pairs, bool)
            )
            kept = np.bincount(owner[useful], minlength=len(batch))
            self.count[batch] = kept
            self.start[batch] = 1 + self.filled + np.cumsum(kept) - kept
            self._append(segment[useful])

    def _append(self, rows: npt.NDArray[np.int32]) -> None:
        """Append rows to `segment`, doubling its room when full: a query fills cells chunk after chunk, and
        copying every row once per chunk into fresh memory cost more than the filling."""
        end = self.filled + len(rows)
        if end > len(self.segment):
            grown = np.empty(max(2 * len(self.segment), end), dtype=np.int32)
            grown[: self.filled] = self.segment[: self.filled]
            self.segment = grown
        self.segment[self.filled : end] = rows
        self.filled = end

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
                self._fill(_distinct(key[empty]))
                lo = np.take(self.start, key)
            count, segments = np.take(self.count, key), self.segment
        # the rows lo .. lo + count - 1 of each point, one after the other
        return _best(xy, _gather_runs(segments, lo - 1, count), count, self.geometry, self.along)

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
        return _best(xy, _gather_runs(self.block_segment, lo, count), count, self.geometry, self.along)

    def nearest_around(self, xy: FloatArray) -> Nearest:
        """Nearest among the segments of each point's block and the eight around it (edge -1 outside the grid).

        A segment within `around` of a point has a point of its grown bounding box within a block's side of it:
        in one of those blocks. Nine times the pairs of `nearest_in_blocks`, for the few points beyond the reach.
        """
        column, row = self._cell(xy)
        step = np.array([-1, 0, 1])
        around_column = (column // self.block)[:, None, None] + step[None, None, :]
        around_row = (row // self.block)[:, None, None] + step[None, :, None]
        registered = (
            self._inside(column, row)[:, None, None]
            & (around_column.view(np.uint64) < self.block_columns)
            & (around_row.view(np.uint64) < self.block_rows)
        ).ravel()
        block = np.where(registered, (around_row * self.block_columns + around_column).ravel(), 0)
        lo = np.take(self.block_indptr, block)
        count = np.where(registered, np.take(self.block_indptr, block + 1) - lo, 0)
        segment = _gather_runs(self.block_segment, lo, count)  # a segment may come twice: the same answer
        return _best(xy, segment, count.reshape(-1, 9).sum(axis=1), self.geometry, self.along)


class _Scratch(threading.local):
    """One thread's work arrays, reused chunk after chunk and query after query.

    A chunk's (point, segment) pairs take a few MB: allocated afresh, the allocator hands most of it back to the
    kernel between chunks, and the next chunk's page faults cost as much as its arithmetic.
    """

    def __init__(self) -> None:
        self.arrays: dict[str, npt.NDArray[Any]] = {}

    def get(self, name: str, size: int, dtype: npt.DTypeLike = np.float64) -> npt.NDArray[Any]:
        """The first `size` elements of the work array `name` (of one dtype), grown when too small."""
        array = self.arrays.get(name)
        if array is None or len(array) < size:
            array = self.arrays[name] = np.empty(size + size // 2, dtype=dtype)  # room for the next chunk's more
        return array[:size]


_SCRATCH = _Scratch()


def _untouched_zeros(size: int, dtype: type[np.int64] | type[np.int32]) -> npt.NDArray[Any]:
    """Zeros in fresh memory of small pages, for arrays touched here and there (a province's cells).

    NumPy asks for huge pages for large arrays: each first touch then zeroes 2 MB, which took half a second
    for a few hundred cells of a province's grid.
    """
    memory = mmap.mmap(-1, max(1, size * np.dtype(dtype).itemsize))
    if hasattr(mmap, "MADV_NOHUGEPAGE"):  # Linux: small pages even where huge ones are the default
        with contextlib.suppress(OSError):  # advice only: a kernel without it keeps its pages as they are
            memory.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(memory, dtype=dtype, count=size)


def _distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values in increasing order: np.unique, by a sort (numpy's hashing unique took ten times as long)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _runs(
    first: npt.NDArray[np.integer],
    count: npt.NDArray[np.integer],
    *,
    step: int = 1,
    out: npt.NDArray[np.integer] | None = None,
) -> npt.NDArray[np.integer]:
    """first, first + step, ... (`count` values) for every run, one run after the other, into `out` if given.

    A running sum of the steps, from each run's first value: no array but the result as long as it.
    """
    if out is None:
        out = np.empty(int(count.sum()), dtype=np.intp)
    has = np.flatnonzero(count)
    if not len(has):
        return out
    width = count[has]
    # from the last value of the previous run to each run's first (wrapping round an unsigned `out`)
    jump = np.diff(first[has], prepend=0)
    jump[1:] -= (width[:-1] - 1) * step
    out.fill(step)
    out[np.cumsum(width) - width] = jump.astype(out.dtype)
    np.cumsum(out, dtype=out.dtype, out=out)
    return out


def _gather_runs(
    table: npt.NDArray[np.int32], lo: npt.NDArray[np.integer], count: npt.NDArray[np.integer]
) -> npt.NDArray[np.int32]:
    """The rows lo .. lo + count - 1 of `table` for every run, one run after the other (the thread's scratch)."""
    pairs = int(count.sum())
    position = _runs(lo, count, out=_SCRATCH.get("position", pairs, np.intp))
    return np.take(table, position, mode="wrap", out=_SCRATCH.get("segment", pairs, np.int32))


def _box_blocks(
    column: npt.NDArray[np.int64],
    row: npt.NDArray[np.int64],
    last_column: npt.NDArray[np.int64],
    last_row: npt.NDArray[np.int64],
    columns: int,
    blocks: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The boxes of every block, as a CSR (index pointer, box numbers in increasing order within each block).

    Blocks are numbered row by row, `columns` to a row (`blocks` of them, fewer than 2**31); each box is given
    by its first and last column and row. Every (block, box) pair is one integer, block * 2**bits + box (32-bit
    where it fits), written box by box, then sorted in place. Fresh memory costs as much as the arithmetic:
    the pairs are held once, and the boxes' rows are laid out a batch at a time in small arrays that the
    allocator hands back batch after batch.
    """
    bits = max(1, (len(column) - 1).bit_length())  # of a box number
    key_type = np.uint32 if blocks << bits < 2**32 else np.uint64
    height = last_row - row + 1
    width = last_column - column + 1
    box_end = np.cumsum(height * width)
    key: npt.NDArray[np.unsignedinteger] = np.empty(int(box_end[-1]) if len(box_end) else 0, dtype=key_type)
    for begin in range(0, len(column), _BOXES_AT_ONCE):
        box = np.arange(begin, min(begin + _BOXES_AT_ONCE, len(column)))
        rows = height[box]
        # each row of each box is a run of consecutive blocks: its first pair, then steps of one block
        first = np.asarray(_runs(row[box], rows), dtype=np.int64) * columns
        first += np.repeat(column[box], rows)
        first <<= bits
        first |= np.repeat(box, rows)
        _runs(
            first,
            np.repeat(width[box], rows),
            step=1 << bits,
            out=key[box_end[begin - 1] if begin else 0 : box_end[box[-1]]],
        )
    key.sort()
    block_start = (np.arange(blocks + 1, dtype=np.int64) << bits).astype(key.dtype)  # each block's first pair
    indptr = np.asarray(np.searchsorted(key, block_start), dtype=np.int64)
    key &= key_type((1 << bits) - 1)
    return indptr, key.astype(np.int32, copy=False) if key_type == np.uint64 else key.view(np.int32)


def _squared_distances(
    xy: FloatArray, owner: npt.NDArray[np.integer], segment: npt.NDArray[np.integer], geometry: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per (point, segment) pair, `owner` its row of `xy`: the squared distance from the point to the segment and
    where along it (0 to 1) the nearest point lies; in the thread's scratch, valid until its next call."""
    pairs = len(segment)
    rows = np.take(geometry, segment, axis=1, mode="wrap", out=_SCRATCH.get("rows", 5 * pairs).reshape(5, pairs))
    dx = np.take(xy[:, 0], owner, mode="wrap", out=_SCRATCH.get("dx", pairs))
    dx -= rows[_SX]
    dy = np.take(xy[:, 1], owner, mode="wrap", out=_SCRATCH.get("dy", pairs))
    dy -= rows[_SY]
    vx, vy = rows[_VX], rows[_VY]
    t = np.multiply(dx, vx, out=_SCRATCH.get("t", pairs))
    product = _SCRATCH.get("product", pairs)
    t += np.multiply(dy, vy, out=product)
    t *= rows[_INV]
    np.clip(t, 0.0, 1.0, out=t)
    dx -= np.multiply(vx, t, out=product)
    dy -= np.multiply(vy, t, out=product)
    squared = np.multiply(dx, dx, out=_SCRATCH.get("squared", pairs))
    squared += np.multiply(dy, dy, out=product)
    return squared, t


def _best(
    xy: FloatArray,
    segment: npt.NDArray[np.integer],
    count: npt.NDArray[np.integer],
    geometry: FloatArray,
    along: FloatArray,
) -> Nearest:
    """Per point, the nearest of its segments, given as (point, segment) pairs in point order, `count` per point.

    `segment` holds each pair's segment: its column of the segments' `geometry` (all the distances read) and
    `along` (read for the nearest pairs alone). Ties (within _TIE) go to the lowest edge index, then to the
    smallest offset along that edge.
    """
    n = len(xy)
    if not len(segment):
        return Nearest(np.full(n, -1, dtype=np.intp), np.zeros(n), np.full(n, np.inf))
    pairs = len(segment)
    owner = _runs(np.arange(n), count, step=0, out=_SCRATCH.get("owner", pairs, np.intp))  # the point of each pair
    squared, t = _squared_distances(xy, owner, segment, geometry)
    best = np.full(n, np.inf)  # points without a pair keep it: no edge, infinitely far
    np.minimum.at(best, owner, squared)
    distance = np.sqrt(best)
    # the pairs at the smallest distance (one per point but for ties), still in point order; within _TIE of it,
    # as a segment and its reverse (a duplicate way drawn backwards) round the same distance differently
    limit = np.take((distance + _TIE) ** 2, owner, mode="wrap", out=_SCRATCH.get("bound", pairs))
    tied = np.flatnonzero(np.less_equal(squared, limit, out=_SCRATCH.get("kept", pairs, bool)))
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
