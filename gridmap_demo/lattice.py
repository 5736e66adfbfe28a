"""A large sample region for benchmarks: a lattice of perturbed community blocks, each 4 x 4 microgrids.

All microgrids are quadrilaterals on one shared lattice of jittered points, so neighbours share their
corner points exactly and the coverage is exact by construction. Each community's 16 cells are grouped
into 4-7 grids by one of a few patterns, turned and mirrored at random.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from gridmap_demo.layout import IntArray, Layout, Street, StreetKind, StreetNetwork
from gridmap_demo.projection import SHOUNING_CENTRE, LocalFrame

CELLS_PER_SIDE = 4
CELL_M = 150.0
_JITTER = 0.18
_RIVER_WIDTH_M = 20.0
# Grid patterns over a community's 4 x 4 cells, row by row from the north-west; a letter is a grid.
_PATTERNS = (
    "AABBAABBCCDDCCDD",
    "AABBAABBCCDECCDE",
    "AABBAABBCDEFCDEF",
    "AAAABBBBCCCCDDDD",
    "AABCAABCDDEEDDEE",
    "AABBCCDDEEFGEEFG",
)


def lattice_layout(*, communities: int, seed: int) -> Layout:
    """`communities` lattice communities in rows from the north-west, about 5 grids and 16 microgrids each."""
    frame = LocalFrame(*SHOUNING_CENTRE)
    rng = np.random.default_rng([seed, 3])
    columns = math.ceil(math.sqrt(communities))
    rows = math.ceil(communities / columns)
    points = _jittered_points(rows * CELLS_PER_SIDE + 1, columns * CELLS_PER_SIDE + 1, rng)
    lonlat = frame.local_to_lonlat(points.reshape(-1, 2)).reshape(points.shape)

    community = np.arange(communities)
    local_row, local_col = np.divmod(np.arange(CELLS_PER_SIDE**2), CELLS_PER_SIDE)
    cell_row = (community // columns)[:, None] * CELLS_PER_SIDE + local_row[None, :]
    cell_col = (community % columns)[:, None] * CELLS_PER_SIDE + local_col[None, :]
    microgrids = _quads(lonlat, cell_row.ravel(), cell_col.ravel())

    microgrid_grid, grid_community = _grid_tree(communities, rng)
    local_quads = _quads(points, cell_row.ravel(), cell_col.ravel())
    outline = shapely.coverage_union_all(local_quads)
    if not isinstance(outline, Polygon):
        msg = "the lattice outline is not one polygon"
        raise RuntimeError(msg)
    return Layout(
        frame=frame,
        microgrids=microgrids,
        microgrid_grid=microgrid_grid,
        grid_community=grid_community,
        network=_network(points, outline, rows),
        placed_compounds={},
    )


def _jittered_points(point_rows: int, point_columns: int, rng: np.random.Generator) -> np.ndarray:
    """Lattice points (rows north to south, columns west to east) in local metres, jittered."""
    height, width = (point_rows - 1) * CELL_M, (point_columns - 1) * CELL_M
    y = height / 2.0 - np.arange(point_rows) * CELL_M
    x = np.arange(point_columns) * CELL_M - width / 2.0
    grid = np.stack(np.meshgrid(x, y), axis=-1)
    return grid + rng.uniform(-_JITTER, _JITTER, size=grid.shape) * CELL_M


def _quads(points: np.ndarray, rows: IntArray, cols: IntArray) -> np.ndarray:
    """Counter-clockwise quadrilaterals of the lattice cells whose north-west corners are (rows, cols)."""
    corners = np.stack(
        [
            points[rows + 1, cols],
            points[rows + 1, cols + 1],
            points[rows, cols + 1],
            points[rows, cols],
            points[rows + 1, cols],
        ],
        axis=1,
    )
    return np.asarray(shapely.polygons(corners), dtype=object)


def _grid_tree(communities: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Each cell's grid and each grid's community, from a random turned or mirrored pattern per community."""
    tables = [_pattern_table(pattern) for pattern in _PATTERNS]
    choice = rng.integers(0, len(tables), size=communities)
    symmetry = rng.integers(0, 8, size=communities)
    microgrid_grid = np.empty(communities * CELLS_PER_SIDE**2, dtype=np.int64)
    grid_community: list[int] = []
    for index in range(communities):
        table = tables[int(choice[index])]
        if symmetry[index] & 4:
            table = table.T
        if symmetry[index] & 1:
            table = table[::-1]
        if symmetry[index] & 2:
            table = table[:, ::-1]
        labels = table.ravel()
        _, first_seen, local = np.unique(labels, return_index=True, return_inverse=True)
        renumber = np.argsort(np.argsort(first_seen))
        start = len(grid_community)
        microgrid_grid[index * CELLS_PER_SIDE**2 : (index + 1) * CELLS_PER_SIDE**2] = start + renumber[local]
        grid_community.extend([index] * len(first_seen))
    return microgrid_grid, np.asarray(grid_community, dtype=np.int64)


def _pattern_table(pattern: str) -> np.ndarray:
    """A pattern string as a 4 x 4 array of grid letters."""
    return np.array(list(pattern)).reshape(CELLS_PER_SIDE, CELLS_PER_SIDE)


def _network(points: np.ndarray, outline: Polygon, rows: int) -> StreetNetwork:
    """Every lattice line is a street: community edges are streets (every third an arterial), others lanes."""
    river_row = CELLS_PER_SIDE * (rows // 2)
    streets: list[Street] = []
    for axis, prefix in ((0, "纬"), (1, "经")):
        lines = points if axis == 0 else points.transpose(1, 0, 2)
        for number, line in enumerate(lines):
            if axis == 0 and number == river_row and rows > 1:
                continue
            clipped = LineString(line).intersection(outline)
            if clipped.is_empty or clipped.length == 0:
                continue
            kind = _kind(number)
            suffix = "巷" if kind is StreetKind.LANE else "路"
            for part in shapely.get_parts(clipped):
                if isinstance(part, LineString) and part.length > 0:
                    streets.append(Street(name=f"{prefix}{number + 1}{suffix}", kind=kind, geometry=part))
    river = LineString(points[river_row if rows > 1 else 0])
    return StreetNetwork(outline=outline, river=river, river_width_m=_RIVER_WIDTH_M, streets=tuple(streets))


def _kind(line_number: int) -> StreetKind:
    """Kind of the street along lattice line `line_number`."""
    if line_number % CELLS_PER_SIDE:
        return StreetKind.LANE
    return StreetKind.ARTERIAL if (line_number // CELLS_PER_SIDE) % 3 == 0 else StreetKind.STREET
