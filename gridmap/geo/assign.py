"""Points into grids: which polygon covers each point, with one deterministic answer on shared edges.

The rule, everywhere in gridmap: a point belongs to the polygons that *cover* it (boundary included); when
several do (a shared edge or vertex, or overlapping input) it goes to the one with the smallest code (ties
in code: the smaller index); a point covered by none gets -1.

Two engines give that answer on every point:

- exact: STRtree bounding-box candidates, then `shapely.intersects_xy` on prepared polygons (for a point,
  intersects and covered_by are the same predicate in GEOS);
- cell raster (`gridmap.geo.cell_raster`): a fine grid of cells over the polygons' extent; points in a cell
  no boundary touches take the cell's label by array lookup, points in the other cells are tested exactly
  against the few polygons whose boundary touches that cell.

`PointAssigner` is the prepared index of one boundary version; `assign_xy` on it is a pure function of the
coordinate arrays, so that it may run per partition of the points anywhere the assigner is (it pickles).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from gridmap.geo.cell_raster import FALLBACK, CellRaster, LabelArray, build_cell_raster, is_mixed
from gridmap.geo.crs import LocalMetres

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Raster size: about this many cells per polygon, capped (memory: 4 bytes a cell, plus 2 while building).
CELLS_PER_POLYGON = 1024
MAX_RASTER_CELLS = 100_000_000
# Below this many points per polygon the raster costs more to build than it saves.
RASTER_MIN_POINTS_PER_POLYGON = 20
RASTER_MIN_POINTS = 50_000
# Raster queries go this many points at a time: the temporaries stay in reused memory (10M at once spent as much
# CPU having the kernel hand out fresh pages as on the lookups) and peak memory no longer grows with the query.
RASTER_RUN_POINTS = 1 << 20

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


@dataclass(frozen=True)
class _Threads:
    """The threads one query is shared out to (none: the calling thread alone).

    Array work is split by position. GEOS tests are split by polygon, so that no prepared polygon is ever queried
    from two threads at once: a prepared GEOS geometry fills caches as it is queried, and two threads querying the
    same ones aborted inside GEOS (a double free), even when every polygon had been queried once beforehand.
    """

    pool: ThreadPoolExecutor | None = None
    count: int = 1

    def by_position(self, length: int, work: Callable[[slice], LabelArray]) -> LabelArray:
        """`work` over the positions 0..length, in `count` consecutive slices, joined in order."""
        if self.pool is None:
            return work(slice(0, length))
        bounds = np.linspace(0, length, self.count + 1).astype(np.intp)
        return np.concatenate(list(self.pool.map(lambda run: work(slice(*run)), itertools.pairwise(bounds))))

    def intersects_xy(self, polygons: GeometryArray, which: IndexArray, x: FloatArray, y: FloatArray) -> BoolArray:
        """shapely.intersects_xy of polygons[which] and the points, pair by pair."""
        if self.pool is None:
            return np.asarray(shapely.intersects_xy(polygons[which], x, y), dtype=bool)
        share = which % self.count
        hit = np.empty(len(which), dtype=bool)

        def test(part: int) -> None:
            mine = np.flatnonzero(share == part)
            hit[mine] = shapely.intersects_xy(polygons[which[mine]], x[mine], y[mine])

        list(self.pool.map(test, range(self.count)))
        return hit


_ONE_THREAD = _Threads()


@dataclass(frozen=True)
class Assignment:
    """Where each point went: its covering polygon, and for points in none the nearest polygon."""

    polygon: IndexArray
    """Index of the covering polygon (smallest code on shared edges), -1 when none covers the point."""
    nearest: IndexArray
    """`polygon` where covered; else the nearest polygon (smallest code among equally near), -1 if none."""
    distance_m: FloatArray
    """0 where covered; else the distance to `nearest` in metres (NaN for missing points)."""


def point_xy(points: GeometryArray) -> tuple[FloatArray, FloatArray]:
    """The coordinates of an array of points; NaN for None or empty points."""
    points = np.asarray(points, dtype=object)
    x = np.full(len(points), np.nan)
    y = np.full(len(points), np.nan)
    present = (shapely.get_type_id(points) == shapely.GeometryType.POINT) & ~shapely.is_empty(points)
    if present.any():
        xy = shapely.get_coordinates(points[present])
        x[present], y[present] = xy[:, 0], xy[:, 1]
    return x, y


class PointAssigner:
    """The polygons of one boundary version, indexed once to answer many point queries.

    `raster=None` builds the cell raster lazily, the first time a query is large enough to repay it; True
    builds it at once, False never does; a `CellRaster` (kept from `raster_arrays()` of an assigner of the
    same polygons and settings) is used as it is. Answers are identical either way.
    """

    def __init__(
        self,
        polygons: GeometryArray,
        codes: npt.ArrayLike,
        *,
        raster: bool | CellRaster | None = None,
        cells_per_polygon: int = CELLS_PER_POLYGON,
        max_cells: int = MAX_RASTER_CELLS,
    ) -> None:
        self.polygons = np.asarray(polygons, dtype=object)
        code_array = np.asarray(codes)
        if len(code_array) != len(self.polygons):
            msg = f"{len(self.polygons)} polygons but {len(code_array)} codes"
            raise ValueError(msg)
        # rank 0 = smallest code; by_rank maps a rank back to the polygon index
        self._by_rank: IndexArray = np.argsort(code_array, kind="stable").astype(np.intp)
        self._rank_of: IndexArray = np.empty(len(self.polygons), dtype=np.intp)
        self._rank_of[self._by_rank] = np.arange(len(self.polygons), dtype=np.intp)
        usable = ~shapely.is_missing(self.polygons) & ~shapely.is_empty(self.polygons)
        self._usable: IndexArray = np.flatnonzero(usable).astype(np.intp)
        self._tree = shapely.STRtree(self.polygons[self._usable])
        shapely.prepare(self.polygons[self._usable])
        self._cells_per_polygon = cells_per_polygon
        self._max_cells = max_cells
        types = shapely.get_type_id(self.polygons[self._usable])
        self._rasterable = bool(len(self._usable)) and bool(np.isin(types, _POLYGONAL).all())
        self._raster_wanted = raster is not False
        self._raster: CellRaster | None = raster if isinstance(raster, CellRaster) and self._rasterable else None
        if raster is True and self._rasterable:
            self._raster = self._build_raster()

    def __getstate__(self) -> dict[str, Any]:
        # the tree is rebuilt on arrival (cheap beside the raster) rather than pickled
        return {key: value for key, value in self.__dict__.items() if key != "_tree"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._tree = shapely.STRtree(self.polygons[self._usable])
        shapely.prepare(self.polygons[self._usable])

    def raster_arrays(self) -> dict[str, npt.NDArray[np.generic]] | None:
        """The cell raster as arrays (built now if it is wanted and not yet built); None without one."""
        raster = self._raster_for(RASTER_MIN_POINTS_PER_POLYGON * len(self._usable) + RASTER_MIN_POINTS)
        return None if raster is None else raster.arrays()

    def assign(self, points: GeometryArray) -> IndexArray:
        """For each point (shapely Point, None or empty), the index of the polygon covering it, or -1."""
        points = np.asarray(points, dtype=object)
        x, y = point_xy(points)
        return self._assign(x, y, points)

    def assign_xy(self, x: npt.ArrayLike, y: npt.ArrayLike, *, threads: int = 1) -> IndexArray:
        """For each coordinate pair, the index of the polygon covering it, or -1 (also for NaN).

        With `threads` > 1 that many threads share the work (GEOS and numpy release the GIL; see `_Threads`); the
        answers do not depend on it.
        """
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        if xs.shape != ys.shape or xs.ndim != 1:
            msg = "x and y must be one-dimensional arrays of the same length"
            raise ValueError(msg)
        if threads <= 1 or len(xs) < 2 * RASTER_MIN_POINTS:
            return self._assign(xs, ys, None)
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="gridmap-assign") as pool:
            return self._assign(xs, ys, None, _Threads(pool, threads))

    def locate(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        metres: LocalMetres | pyproj.CRS | None = None,
        threads: int = 1,
    ) -> Assignment:
        """The covering polygon of each point, and for points outside every polygon the nearest one.

        Distances are measured after mapping lon/lat to metres with `metres` (a LocalMetres frame or a
        projected CRS); with None the coordinates are taken to be metric already.
        """
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        polygon = self.assign_xy(xs, ys, threads=threads)
        nearest = polygon.copy()
        distance = np.where(np.isfinite(xs) & np.isfinite(ys), 0.0, np.nan)
        outside = np.flatnonzero((polygon < 0) & np.isfinite(xs) & np.isfinite(ys))
        if len(outside) and len(self._usable):
            found, metres_away = self._nearest(xs[outside], ys[outside], metres)
            nearest[outside] = found
            distance[outside] = metres_away
        return Assignment(polygon=polygon, nearest=nearest, distance_m=distance)

    # --- internals -------------------------------------------------------------------------------------

    def _assign(
        self, x: FloatArray, y: FloatArray, points: GeometryArray | None, threads: _Threads = _ONE_THREAD
    ) -> IndexArray:
        raster = self._raster_for(len(x))
        if raster is None:
            return self._exact(x, y, points, threads)
        answer = np.empty(len(x), dtype=np.intp)
        for start in range(0, len(x), RASTER_RUN_POINTS):
            run = slice(start, start + RASTER_RUN_POINTS)
            answer[run] = self._from_raster(raster, x[run], y[run], None if points is None else points[run], threads)
        return answer

    def _from_raster(
        self, raster: CellRaster, x: FloatArray, y: FloatArray, points: GeometryArray | None, threads: _Threads
    ) -> IndexArray:
        """The rule for one run of points: the cell label, then exact tests where the cell does not decide."""
        label = threads.by_position(len(x), lambda run: raster.lookup(x[run], y[run]))
        answer = label.astype(np.intp)
        mixed = np.flatnonzero(is_mixed(label))
        if len(mixed):
            answer[mixed] = self._among_owners(raster, x[mixed], y[mixed], label[mixed], threads)
        fallback = np.flatnonzero(label == FALLBACK)
        if len(fallback):
            subset = None if points is None else points[fallback]
            answer[fallback] = self._exact(x[fallback], y[fallback], subset, threads)
        return answer

    def _among_owners(
        self, raster: CellRaster, x: FloatArray, y: FloatArray, label: LabelArray, threads: _Threads
    ) -> IndexArray:
        """The rule for points in mixed cells, testing only the polygons whose boundary marked the cell.

        The raster lists a cell's owners smallest code first (`_build_raster`), so the first owner covering a
        point is its answer: each round tests every open point against its next owner, and most points close
        in the first or second round.
        """
        start, count = raster.owner_runs(label)
        answer = np.full(len(label), -1, dtype=np.intp)
        open_points = np.arange(len(label), dtype=np.intp)
        step = 0
        while len(open_points):
            owner = raster.owners[start[open_points] + step].astype(np.intp)
            hit = threads.intersects_xy(self.polygons, owner, x[open_points], y[open_points])
            answer[open_points[hit]] = owner[hit]
            step += 1
            open_points = open_points[~hit & (count[open_points] > step)]
        return answer

    def _raster_for(self, point_count: int) -> CellRaster | None:
        """The raster, built now when wanted and worth it for `point_count` points."""
        worth_it = point_count >= max(RASTER_MIN_POINTS, RASTER_MIN_POINTS_PER_POLYGON * len(self._usable))
        if self._raster is None and self._rasterable and self._raster_wanted and worth_it:
            self._raster = self._build_raster()
        return self._raster

    def _exact(
        self, x: FloatArray, y: FloatArray, points: GeometryArray | None = None, threads: _Threads = _ONE_THREAD
    ) -> IndexArray:
        """The rule by bbox candidates and prepared intersects_xy (boundary-inclusive).

        `points`, when given, are the same points as shapely geometries (saves making them again).
        """
        result = np.full(len(x), -1, dtype=np.intp)
        if not len(x) or not len(self._usable):
            return result
        geometries: GeometryArray = np.asarray(shapely.points(x, y) if points is None else points, dtype=object)
        point_idx, tree_idx = self._tree.query(geometries)
        polygon_idx = self._usable[tree_idx]
        hit = threads.intersects_xy(self.polygons, polygon_idx, x[point_idx], y[point_idx])
        point_idx, ranks = point_idx[hit], self._rank_of[polygon_idx[hit]]
        best = np.full(len(x), len(self.polygons), dtype=np.intp)
        np.minimum.at(best, point_idx, ranks)
        covered = best < len(self.polygons)
        result[covered] = self._by_rank[best[covered]]
        return result

    def _nearest(
        self, x: FloatArray, y: FloatArray, metres: LocalMetres | pyproj.CRS | None
    ) -> tuple[IndexArray, FloatArray]:
        """Nearest usable polygon (smallest code among equally near ones) and its distance in metres."""
        polygons = self.polygons[self._usable]
        points = shapely.points(x, y)
        if isinstance(metres, LocalMetres):
            polygons, points = metres.to_local(polygons), metres.to_local(points)
        elif metres is not None:
            to_metric = pyproj.Transformer.from_crs(4326, metres, always_xy=True)

            def project(xy: FloatArray) -> FloatArray:
                return np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))

            polygons, points = shapely.transform(polygons, project), shapely.transform(points, project)
        pairs, distance = shapely.STRtree(polygons).query_nearest(points, all_matches=True, return_distance=True)
        point_idx, polygon_idx = pairs[0], self._usable[pairs[1]]
        best = np.full(len(x), len(self.polygons), dtype=np.intp)
        np.minimum.at(best, point_idx, self._rank_of[polygon_idx])
        far = np.full(len(x), np.nan)
        far[point_idx] = distance  # equally near candidates share one distance
        return self._by_rank[best], far

    def _build_raster(self) -> CellRaster:
        # in code order, so that each mixed cell lists its owners smallest code first (see _among_owners)
        ranked = self._usable[np.argsort(self._rank_of[self._usable], kind="stable")]
        return build_cell_raster(
            self.polygons[ranked],
            self._exact,
            ids=ranked,
            cells_per_polygon=self._cells_per_polygon,
            max_cells=self._max_cells,
        )


def covering_polygon(points: GeometryArray, polygons: GeometryArray, codes: npt.ArrayLike) -> IndexArray:
    """For each point, the index of the polygon covering it, or -1.

    Boundary-inclusive (covers): a point on an edge shared by several polygons goes to the one with the
    smallest code, so every method in gridmap gives the same single answer.
    """
    points = np.asarray(points, dtype=object)
    polygons = np.asarray(polygons, dtype=object)
    if not len(points) or not len(polygons):
        return np.full(len(points), -1, dtype=np.intp)
    kinds = shapely.get_type_id(points)
    if not np.isin(kinds, (-1, shapely.GeometryType.POINT)).all():
        return _covering_polygon_generic(points, polygons, codes)
    return PointAssigner(polygons, codes).assign(points)


def _covering_polygon_generic(points: GeometryArray, polygons: GeometryArray, codes: npt.ArrayLike) -> IndexArray:
    """The same rule for arbitrary geometries in `points` (a line or polygon covered by a grid)."""
    result = np.full(len(points), -1, dtype=np.intp)
    rank = np.argsort(np.asarray(codes), kind="stable")
    tree = shapely.STRtree(polygons[rank])
    point_idx, ranked_idx = tree.query(points, predicate="covered_by")
    order = np.argsort(-ranked_idx, kind="stable")  # write in reverse rank order: the smallest code wins
    result[point_idx[order]] = rank[ranked_idx[order]]
    return result


def assign_points(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    polygons: GeometryArray,
    codes: npt.ArrayLike,
    *,
    metres: LocalMetres | pyproj.CRS | None = None,
) -> Assignment:
    """Covering polygon of each (x, y), and for points outside every polygon the nearest one and how far."""
    return PointAssigner(polygons, codes).locate(x, y, metres=metres)
