"""Points into grids: which polygon covers each point, with one deterministic answer on shared edges.

The rule, everywhere in gridmap: a point belongs to the polygons that *cover* it (boundary included); when
several do (a shared edge or vertex, or overlapping input) it goes to the one with the smallest code (ties
in code: the smaller index); a point covered by none gets -1.

Two engines give that answer on every point:

- exact: STRtree bounding-box candidates, then `shapely.intersects_xy` on prepared polygons (for a point,
  intersects and covered_by are the same predicate in GEOS);
- raster shortcut (PERFORMANCE.md): a fine grid of cells over the polygons' extent; every cell that a
  polygon boundary can touch is marked, and each run of unmarked cells in a row is labelled by one exact
  test of its first cell's centre. No boundary passes through an unmarked run, so every point in it has the
  same covering polygons as that centre; points in marked cells are tested exactly. See `_mark_boundary_cells`
  for why the marking is conservative under floating point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from gridmap.geo.crs import LocalMetres

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Raster size: about this many cells per polygon, capped (memory: 4 bytes a cell, plus 1 while building).
CELLS_PER_POLYGON = 256
MAX_RASTER_CELLS = 16_000_000
# Below this many points per polygon the raster costs more to build than it saves.
RASTER_MIN_POINTS_PER_POLYGON = 20
RASTER_MIN_POINTS = 50_000

_MIXED = -2  # raster label of a cell some boundary may touch: its points are tested exactly
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


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

    `raster=None` builds the raster shortcut lazily, the first time a query is large enough to repay it;
    True builds it at once, False never does. Answers are identical either way.
    """

    def __init__(
        self,
        polygons: GeometryArray,
        codes: npt.ArrayLike,
        *,
        raster: bool | None = None,
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
        self._raster: _Raster | None = None
        self._raster_wanted = raster
        types = shapely.get_type_id(self.polygons[self._usable])
        self._rasterable = bool(len(self._usable)) and bool(np.isin(types, _POLYGONAL).all())
        if raster and self._rasterable:
            self._raster = self._build_raster()

    def assign(self, points: GeometryArray) -> IndexArray:
        """For each point (shapely Point, None or empty), the index of the polygon covering it, or -1."""
        points = np.asarray(points, dtype=object)
        x, y = point_xy(points)
        return self._assign(x, y, points)

    def assign_xy(self, x: npt.ArrayLike, y: npt.ArrayLike) -> IndexArray:
        """For each coordinate pair, the index of the polygon covering it, or -1 (also for NaN)."""
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        if xs.shape != ys.shape or xs.ndim != 1:
            msg = "x and y must be one-dimensional arrays of the same length"
            raise ValueError(msg)
        return self._assign(xs, ys, None)

    def locate(
        self, x: npt.ArrayLike, y: npt.ArrayLike, *, metres: LocalMetres | pyproj.CRS | None = None
    ) -> Assignment:
        """The covering polygon of each point, and for points outside every polygon the nearest one.

        Distances are measured after mapping lon/lat to metres with `metres` (a LocalMetres frame or a
        projected CRS); with None the coordinates are taken to be metric already.
        """
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        polygon = self.assign_xy(xs, ys)
        nearest = polygon.copy()
        distance = np.where(np.isfinite(xs) & np.isfinite(ys), 0.0, np.nan)
        outside = np.flatnonzero((polygon < 0) & np.isfinite(xs) & np.isfinite(ys))
        if len(outside) and len(self._usable):
            found, metres_away = self._nearest(xs[outside], ys[outside], metres)
            nearest[outside] = found
            distance[outside] = metres_away
        return Assignment(polygon=polygon, nearest=nearest, distance_m=distance)

    # --- internals -------------------------------------------------------------------------------------

    def _assign(self, x: FloatArray, y: FloatArray, points: GeometryArray | None) -> IndexArray:
        raster = self._raster_for(len(x))
        if raster is None:
            return self._exact(x, y, points)
        label = raster.lookup(x, y)
        mixed = np.flatnonzero(label == _MIXED)
        label[mixed] = self._exact(x[mixed], y[mixed], None if points is None else points[mixed])
        return label

    def _raster_for(self, point_count: int) -> _Raster | None:
        if self._raster is not None or not self._rasterable or self._raster_wanted is False:
            return self._raster
        worth_it = point_count >= max(RASTER_MIN_POINTS, RASTER_MIN_POINTS_PER_POLYGON * len(self._usable))
        if self._raster_wanted or worth_it:
            self._raster = self._build_raster()
        return self._raster

    def _exact(self, x: FloatArray, y: FloatArray, points: GeometryArray | None = None) -> IndexArray:
        """The rule by bbox candidates and prepared intersects_xy (boundary-inclusive).

        `points`, when given, are the same points as shapely geometries (saves making them again).
        """
        result = np.full(len(x), -1, dtype=np.intp)
        if not len(x) or not len(self._usable):
            return result
        geometries: GeometryArray = np.asarray(shapely.points(x, y) if points is None else points, dtype=object)
        point_idx, tree_idx = self._tree.query(geometries)
        polygon_idx = self._usable[tree_idx]
        hit = shapely.intersects_xy(self.polygons[polygon_idx], x[point_idx], y[point_idx])
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

    def _build_raster(self) -> _Raster:
        polygons = self.polygons[self._usable]
        xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(polygons))
        target = min(self._max_cells, self._cells_per_polygon * len(polygons))
        span = max(xmax - xmin, ymax - ymin, 1e-12)
        area = max((xmax - xmin) * (ymax - ymin), span * span / target)
        size = math.sqrt(area / target)
        # one cell of margin on every side, so that no boundary cell is clipped
        nx, ny = math.ceil((xmax - xmin) / size) + 3, math.ceil((ymax - ymin) / size) + 3
        raster = _Raster(xmin - size, ymin - size, size, nx, ny, (xmin, ymin, xmax, ymax))
        mixed = _mark_boundary_cells(raster, polygons)
        raster.label = self._label_runs(raster, mixed)
        return raster

    def _label_runs(self, raster: _Raster, mixed: BoolArray) -> npt.NDArray[np.int32]:
        """Labels of unmarked cells: one exact test per connected patch of unmarked cells.

        Unmarked cells come in runs along rows; runs that touch across rows are joined (union-find by
        label propagation), and each patch is labelled by the centre of its first run's first cell.
        """
        nx = raster.nx
        flat_mixed = mixed.ravel()
        free = ~flat_mixed
        starts = free.copy()
        starts[1:] &= flat_mixed[:-1]
        starts[::nx] = free[::nx]  # every row starts its own runs
        first = np.flatnonzero(starts)
        run_of_cell = np.cumsum(starts) - 1
        # runs touching vertically: one pair per stretch of columns where both rows are free
        both = (free[:-nx] & free[nx:]).reshape(raster.ny - 1, nx)
        stretch = both.copy()
        stretch[:, 1:] &= ~both[:, :-1]
        below = np.flatnonzero(stretch.ravel())
        patch = _join(len(first), run_of_cell[below], run_of_cell[below + nx])
        roots = np.flatnonzero(patch == np.arange(len(first)))
        rows, cols = np.divmod(first[roots], nx)
        centre_x = raster.x0 + (cols + 0.5) * raster.size
        centre_y = raster.y0 + (rows + 0.5) * raster.size
        root_label = self._exact(centre_x, centre_y).astype(np.int32)
        # the centre must fall in its own cell under the lookup's arithmetic; otherwise keep the patch exact
        ix, iy = raster.cell_of(centre_x, centre_y)
        root_label[(ix != cols) | (iy != rows)] = _MIXED
        label_of_root = np.full(len(first), _MIXED, dtype=np.int32)
        label_of_root[roots] = root_label
        label = np.full(flat_mixed.shape, _MIXED, dtype=np.int32)
        label[free] = label_of_root[patch[run_of_cell[free]]]
        return label.reshape(mixed.shape)


def _join(count: int, a: IndexArray, b: IndexArray) -> IndexArray:
    """Connected components of `count` nodes joined by edges (a, b): each node's smallest member."""
    parent = np.arange(count, dtype=np.intp)
    while True:
        root_a, root_b = parent[a], parent[b]
        apart = root_a != root_b
        if not apart.any():
            return parent
        root_a, root_b = root_a[apart], root_b[apart]
        low = np.minimum(root_a, root_b)
        np.minimum.at(parent, root_a, low)
        np.minimum.at(parent, root_b, low)
        while True:  # pointer jumping: every node straight to its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


class _Raster:
    """A grid of square cells of side `size` from (x0, y0): nx columns, ny rows, one label per cell."""

    def __init__(
        self, x0: float, y0: float, size: float, nx: int, ny: int, bounds: tuple[float, float, float, float]
    ) -> None:
        self.x0, self.y0, self.size, self.nx, self.ny = x0, y0, size, nx, ny
        self.xmin, self.ymin, self.xmax, self.ymax = bounds  # the polygons' extent: nothing covers beyond it
        self.label: npt.NDArray[np.int32] = np.empty((0, 0), dtype=np.int32)

    def cell_of(self, x: FloatArray, y: FloatArray) -> tuple[IndexArray, IndexArray]:
        """Column and row of each coordinate: the one formula used for marking and for lookups."""
        ix = np.floor((x - self.x0) / self.size)
        iy = np.floor((y - self.y0) / self.size)
        return ix.astype(np.intp), iy.astype(np.intp)

    def lookup(self, x: FloatArray, y: FloatArray) -> IndexArray:
        """Each point's cell label; -1 outside the polygons' bounding box or for NaN."""
        result = np.full(len(x), -1, dtype=np.intp)
        inside = np.flatnonzero((x >= self.xmin) & (x <= self.xmax) & (y >= self.ymin) & (y <= self.ymax))
        ix, iy = self.cell_of(x[inside], y[inside])
        result[inside] = self.label[iy, ix]
        return result


def _mark_boundary_cells(raster: _Raster, polygons: GeometryArray) -> BoolArray:
    """True for every cell that a polygon boundary might touch.

    Each boundary segment is cut into pieces no longer than a cell in x and in y; each piece marks every
    cell that the corners of its bounding box, widened by `eps`, fall in. `cell_of` is monotone, so every
    float within `eps` of a piece lies in a marked cell; `eps` is far above the rounding of the piece
    endpoints, so a real boundary point lies within it. Hence no boundary passes through an unmarked cell,
    nor between two neighbouring unmarked cells.
    """
    mixed = np.zeros((raster.ny, raster.nx), dtype=np.bool_)
    rings = shapely.get_parts(shapely.boundary(polygons))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    segment = np.flatnonzero(ring[1:] == ring[:-1])
    ax, ay = coords[segment, 0], coords[segment, 1]
    bx, by = coords[segment + 1, 0], coords[segment + 1, 1]
    pieces = np.maximum(np.ceil(np.maximum(np.abs(bx - ax), np.abs(by - ay)) / raster.size), 1).astype(np.intp)
    owner = np.repeat(np.arange(len(segment)), pieces)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t0 = step / pieces[owner]
    t1 = (step + 1) / pieces[owner]
    dx, dy = bx - ax, by - ay
    px0, px1 = ax[owner] + t0 * dx[owner], ax[owner] + t1 * dx[owner]
    py0, py1 = ay[owner] + t0 * dy[owner], ay[owner] + t1 * dy[owner]
    last = t1 == 1.0
    px1[last], py1[last] = bx[owner[last]], by[owner[last]]
    magnitude = max(float(np.max(np.abs(coords), initial=0.0)), 1.0)
    eps = raster.size * 1e-9 + 64 * float(np.spacing(magnitude))
    lo_x, lo_y = raster.cell_of(np.minimum(px0, px1) - eps, np.minimum(py0, py1) - eps)
    hi_x, hi_y = raster.cell_of(np.maximum(px0, px1) + eps, np.maximum(py0, py1) + eps)
    lo_x, lo_y = np.clip(lo_x, 0, raster.nx - 1), np.clip(lo_y, 0, raster.ny - 1)
    hi_x, hi_y = np.clip(hi_x, 0, raster.nx - 1), np.clip(hi_y, 0, raster.ny - 1)
    widest = int(max(np.max(hi_x - lo_x, initial=0), np.max(hi_y - lo_y, initial=0)))
    for di in range(widest + 1):
        for dj in range(widest + 1):
            take = (lo_x + di <= hi_x) & (lo_y + dj <= hi_y)
            mixed[lo_y[take] + dj, lo_x[take] + di] = True
    return mixed


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
