"""A fine grid of cells over a set of polygons, answering most point queries by one array lookup.

Every cell that a polygon boundary can touch is *mixed*: it keeps the list of polygons whose boundary
marked it (its owners), and its points are tested exactly against those owners only. The other cells form
connected patches through which no boundary passes, so every point of a patch has the same covering
polygons as any other: one exact test of one cell centre labels the whole patch.

Owners are enough for a point in a mixed cell when no two polygons' interiors overlap: a polygon covering
the point without touching the cell contains the whole cell, so the boundary that marked it runs through
that polygon's interior. Cells marked by a polygon that overlaps another are left to the caller's general
engine (label FALLBACK), and so is a patch whose labelling point could not be placed in it.

The raster is plain arrays (`arrays()`, `CellRaster.from_arrays`) so that a caller may keep it on disk per
boundary version and skip the build next time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy import ndimage

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
LabelArray = npt.NDArray[np.int32]

OUTSIDE = -1
"""Label of a cell (or a point) covered by no polygon."""
FALLBACK = -2
"""Label of a cell whose points the caller answers with its general engine."""
_FIRST_MIXED = -3  # mixed cell k has label -3 - k
_RINGS_PER_BATCH = 20_000  # bounds the memory of marking: pieces of this many rings at a time
_SLICE = 1 << 24  # cells handled at a time when walking the whole raster

# The answer of the exact rule for cell centres: the covering polygon's index or -1.
ExactFn = Callable[[FloatArray, FloatArray], IndexArray]


@dataclass(frozen=True)
class CellRaster:
    """Square cells of side `size` from (x0, y0), `label` rows by columns, and the owners of mixed cells."""

    x0: float
    y0: float
    size: float
    bounds: tuple[float, float, float, float]
    """The polygons' extent: nothing is covered beyond it."""
    label: LabelArray
    """Per cell: a polygon index, OUTSIDE, FALLBACK, or -3 - k for the k-th mixed cell."""
    owner_start: npt.NDArray[np.int64]
    """Mixed cell k's owners are owners[owner_start[k]:owner_start[k + 1]], in the order the polygons were given."""
    owners: npt.NDArray[np.int32]

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns."""
        rows, cols = self.label.shape
        return int(rows), int(cols)

    def cell_of(self, x: FloatArray, y: FloatArray) -> tuple[IndexArray, IndexArray]:
        """Column and row of each coordinate: the one formula used for marking and for lookups."""
        ix = np.floor((x - self.x0) / self.size)
        iy = np.floor((y - self.y0) / self.size)
        return ix.astype(np.intp), iy.astype(np.intp)

    def lookup(self, x: FloatArray, y: FloatArray) -> LabelArray:
        """Each point's cell label; OUTSIDE beyond the polygons' extent or for NaN."""
        xmin, ymin, xmax, ymax = self.bounds
        within = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
        if within.all():  # every point (the usual case): no index
            ix, iy = self.cell_of(x, y)
            iy *= self.label.shape[1]
            iy += ix
            return np.take(self.label.reshape(-1), iy)
        result = np.full(len(x), OUTSIDE, dtype=np.int32)
        inside = np.flatnonzero(within)
        ix, iy = self.cell_of(x[inside], y[inside])
        result[inside] = self.label[iy, ix]
        return result

    def owner_runs(self, label: LabelArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """For points with mixed-cell labels: where each one's owners start in `owners`, and how many there are."""
        mixed = _FIRST_MIXED - label.astype(np.int64)
        start = self.owner_start[mixed]
        return start, self.owner_start[mixed + 1] - start

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """The raster as named arrays (to keep on disk)."""
        return {
            "origin": np.array([self.x0, self.y0, self.size, *self.bounds], dtype=np.float64),
            "label": self.label,
            "owner_start": self.owner_start,
            "owners": self.owners,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[np.generic]]) -> CellRaster:
        """The raster `arrays()` gave."""
        x0, y0, size, *bounds = (float(v) for v in arrays["origin"])
        return cls(
            x0=x0,
            y0=y0,
            size=size,
            bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
            label=np.asarray(arrays["label"], dtype=np.int32),
            owner_start=np.asarray(arrays["owner_start"], dtype=np.int64),
            owners=np.asarray(arrays["owners"], dtype=np.int32),
        )


def is_mixed(label: LabelArray) -> npt.NDArray[np.bool_]:
    """Which labels are mixed cells (answered from their owners)."""
    return label <= _FIRST_MIXED


def build_cell_raster(
    polygons: GeometryArray, exact: ExactFn, *, ids: IndexArray, cells_per_polygon: int, max_cells: int
) -> CellRaster:
    """The raster of polygons (none missing or empty), each known by its number in `ids`.

    `exact` answers the rule (a number of `ids` or -1) for the patches' labelling points.
    """
    xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(polygons))
    target = max(min(max_cells, cells_per_polygon * len(polygons)), 1)
    span = max(xmax - xmin, ymax - ymin, 1e-12)
    size = math.sqrt(max((xmax - xmin) * (ymax - ymin), span * span / target) / target)
    # one cell of margin on every side, so that no boundary cell is clipped
    cols, rows = math.ceil((xmax - xmin) / size) + 3, math.ceil((ymax - ymin) / size) + 3
    frame = CellRaster(
        x0=xmin - size,
        y0=ymin - size,
        size=size,
        bounds=(xmin, ymin, xmax, ymax),
        label=np.empty((rows, cols), dtype=np.int32),
        owner_start=np.zeros(1, dtype=np.int64),
        owners=np.zeros(0, dtype=np.int32),
    )
    overlapping = _overlapping(polygons)
    mixed, marks = _mark_boundary_cells(frame, polygons)
    label = _label_patches(frame, mixed, exact)
    mixed_cells = np.flatnonzero(mixed.ravel())
    del mixed
    flat = label.reshape(-1)
    flat[mixed_cells] = _FIRST_MIXED - np.arange(len(mixed_cells), dtype=np.int32)
    cell, owner = np.divmod(marks, len(polygons))
    del marks
    mixed_id = np.searchsorted(mixed_cells, cell)
    del cell
    owner_start = np.searchsorted(mixed_id, np.arange(len(mixed_cells) + 1)).astype(np.int64)
    if len(overlapping):
        # cells marked by an overlapping polygon: another polygon may contain them whole, unlisted
        flat[mixed_cells[np.unique(mixed_id[np.isin(owner, overlapping)])]] = FALLBACK
    return CellRaster(
        x0=frame.x0,
        y0=frame.y0,
        size=size,
        bounds=frame.bounds,
        label=label,
        owner_start=owner_start,
        owners=ids.astype(np.int32)[owner],
    )


def _mark_boundary_cells(raster: CellRaster, polygons: GeometryArray) -> tuple[npt.NDArray[np.bool_], IndexArray]:
    """True for every cell that a polygon boundary might touch, and the sorted unique `cell * n + polygon` marks.

    Each boundary segment is cut into pieces no longer than a cell in x and in y; each piece marks every
    cell that the corners of its bounding box, widened by `eps`, fall in. `cell_of` is monotone, so every
    float within `eps` of a piece lies in a marked cell; `eps` is far above the rounding of the piece
    endpoints, so a real boundary point lies within it. Hence no boundary passes through an unmarked cell,
    nor between two neighbouring unmarked cells.
    """
    rows, cols = raster.shape
    mixed = np.zeros((rows, cols), dtype=np.bool_)
    rings, ring_polygon = shapely.get_parts(shapely.boundary(polygons), return_index=True)
    magnitude = max(float(np.max(np.abs(shapely.bounds(polygons)), initial=0.0)), 1.0)
    eps = raster.size * 1e-9 + 64 * float(np.spacing(magnitude))
    marks = []  # per batch of rings, sorted and unique: a cell is marked many times over by the pieces of one ring
    for first in range(0, len(rings), _RINGS_PER_BATCH):
        coords, ring = shapely.get_coordinates(rings[first : first + _RINGS_PER_BATCH], return_index=True)
        segment = np.flatnonzero(ring[1:] == ring[:-1])
        ax, ay, bx, by = coords[segment, 0], coords[segment, 1], coords[segment + 1, 0], coords[segment + 1, 1]
        longest = np.maximum(np.abs(bx - ax), np.abs(by - ay))
        pieces = np.maximum(np.ceil(longest / raster.size), 1).astype(np.intp)
        owner = np.repeat(np.arange(len(segment)), pieces)
        step = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t0, t1 = step / pieces[owner], (step + 1) / pieces[owner]
        dx, dy = (bx - ax)[owner], (by - ay)[owner]
        px0, px1 = ax[owner] + t0 * dx, ax[owner] + t1 * dx
        py0, py1 = ay[owner] + t0 * dy, ay[owner] + t1 * dy
        last = t1 == 1.0
        px1[last], py1[last] = bx[owner[last]], by[owner[last]]
        lo_x, lo_y = raster.cell_of(np.minimum(px0, px1) - eps, np.minimum(py0, py1) - eps)
        hi_x, hi_y = raster.cell_of(np.maximum(px0, px1) + eps, np.maximum(py0, py1) + eps)
        lo_x, lo_y = np.clip(lo_x, 0, cols - 1), np.clip(lo_y, 0, rows - 1)
        hi_x, hi_y = np.clip(hi_x, 0, cols - 1), np.clip(hi_y, 0, rows - 1)
        polygon = ring_polygon[first + ring[segment[owner]]]
        widest = int(max(np.max(hi_x - lo_x, initial=0), np.max(hi_y - lo_y, initial=0)))
        batch = []
        for di in range(widest + 1):
            for dj in range(widest + 1):
                take = np.flatnonzero((lo_x + di <= hi_x) & (lo_y + dj <= hi_y))
                cell = (lo_y[take] + dj) * cols + lo_x[take] + di
                mixed.reshape(-1)[cell] = True
                batch.append(cell.astype(np.int64) * len(polygons) + polygon[take])
        marks.append(_sorted_unique(np.concatenate(batch)))
    return mixed, _sorted_unique(np.concatenate(marks)) if marks else np.zeros(0, dtype=np.int64)


def _sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values, sorted (in place: numpy's hashing unique is many times slower here)."""
    values.sort()
    keep = np.empty(len(values), dtype=np.bool_)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _label_patches(raster: CellRaster, mixed: npt.NDArray[np.bool_], exact: ExactFn) -> LabelArray:
    """Labels of unmarked cells: one exact test per 4-connected patch of unmarked cells (mixed cells: FALLBACK)."""
    patches: LabelArray = np.empty(mixed.shape, dtype=np.int32)
    count = int(ndimage.label(~mixed, output=patches))
    flat = patches.reshape(-1)
    first = _first_cells(flat, count)
    rows, cols = np.divmod(first, raster.shape[1])
    centre_x = raster.x0 + (cols + 0.5) * raster.size
    centre_y = raster.y0 + (rows + 0.5) * raster.size
    patch_label = np.empty(count + 1, dtype=np.int32)
    patch_label[0] = FALLBACK  # mixed cells, numbered afterwards
    patch_label[1:] = exact(centre_x, centre_y)
    # the centre must fall in its own cell under the lookup's arithmetic; otherwise the patch is not labelled
    ix, iy = raster.cell_of(centre_x, centre_y)
    patch_label[1:][(ix != cols) | (iy != rows)] = FALLBACK
    for start in range(0, len(flat), _SLICE):  # in place, a slice at a time
        part = flat[start : start + _SLICE]
        part[:] = patch_label[part]
    return patches


def _first_cells(flat: LabelArray, count: int) -> IndexArray:
    """The first cell (in row order) of each patch 1..count."""
    # ndimage numbers patches in the order it meets them: then each patch starts where the running maximum rises
    found, highest = [], 0
    for start in range(0, len(flat), _SLICE):
        running = np.maximum(np.maximum.accumulate(flat[start : start + _SLICE]), highest)
        if running[0] > highest:
            found.append(np.array([start]))
        found.append(start + 1 + np.flatnonzero(running[1:] > running[:-1]))
        highest = int(running[-1])
    rising = np.concatenate(found)
    if len(rising) == count and np.array_equal(flat[rising], np.arange(1, count + 1)):
        return rising.astype(np.intp)
    first = np.full(count + 1, len(flat), dtype=np.intp)
    np.minimum.at(first, flat, np.arange(len(flat), dtype=np.intp))
    return first[1:]


def _overlapping(polygons: GeometryArray) -> IndexArray:
    """The polygons whose interior meets another's (none in a proper coverage)."""
    # Related as unprepared copies (prepared ones keep an index each: +400 MB at 100,000 grids), pairs by bounding
    # box only (the pattern decides; an intersects test first costs as much again).
    copies = shapely.from_wkb(shapely.to_wkb(polygons))
    a, b = shapely.STRtree(copies).query(copies)
    pair = a < b
    a, b = a[pair], b[pair]
    inner = shapely.relate_pattern(copies[a], copies[b], "T********")
    return np.unique(np.concatenate([a[inner], b[inner]])).astype(np.intp)
