"""Where sample incidents happen: the microgrids they are placed in, their points, and their routes.

Used by `gridmap_demo.incidents`. A cell is a microgrid (or a grid without microgrids) with its routing
chain community → grid → microgrid, a weight (its households target, else its area) and the staff who
handle its incidents. Points are drawn in local metres strictly inside the cell, near a home when household
points are given, and either within 20 m of the grid's boundary or clearly farther, as asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import LocalMetres
from gridmap.geo.hierarchy import Level, parse_level
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, Route, routed
from gridmap_demo.incident_trails import Staff
from gridmap_demo.names import person_names

_INSIDE_MARGIN_M = 0.5  # points stay this far inside their microgrid, so a lookup finds the same chain
_BAND_MARGIN_M = 1.0  # and this far from the 20 m line, so the flag is clear-cut
_NEAR_HOME_SHARE = 0.7  # with household points: share of reports made near a home
_HOME_SPREAD_M = 15.0
_ROUNDS = 60
_FRAME_CELL_DEG = 0.1  # routing measures in a LocalMetres frame per 0.1-degree cell; so do we


@dataclass(frozen=True)
class Feature:
    """A feature as routing sees it (fits the `routing.Area` protocol): code, level, worker, WGS-84 geometry."""

    code: str
    level: Level
    worker: str | None
    geometry: BaseGeometry


@dataclass(frozen=True)
class Cell:
    """Where incidents are placed: a microgrid (or a grid without microgrids) and its routing chain."""

    chain: tuple[Feature, ...]
    name: str
    weight: float
    staff: Staff


def cells_of(boundaries: gpd.GeoDataFrame, rng: np.random.Generator) -> list[Cell]:
    """Microgrids (or grids without microgrids) with their chain, name, weight and staff, in code order."""
    areas: dict[str, Feature] = {}
    rows: dict[Level, list[tuple[str, str, str, int]]] = {level: [] for level in Level}
    targets = boundaries["households_target"] if "households_target" in boundaries else [None] * len(boundaries)
    for code, name, level_text, parent, worker, target, geometry in zip(
        boundaries["code"],
        boundaries["name"],
        boundaries["level"],
        boundaries["parent"],
        boundaries["worker"],
        targets,
        boundaries.geometry,
        strict=True,
    ):
        level = parse_level(str(level_text)) if level_text is not None else None
        if level is None or geometry is None or geometry.is_empty:
            continue
        text_worker = str(worker) if isinstance(worker, str) and worker.strip() else None
        areas[str(code)] = Feature(str(code), level, text_worker, geometry)
        households = 0 if target is None or pd.isna(target) else max(int(target), 0)
        rows[level].append((str(code), str(name or code), str(parent or ""), households))
    grids = {code: parent for code, _, parent, _ in rows[Level.GRID]}
    if not grids:
        msg = "the boundaries hold no grids to place incidents in"
        raise ValueError(msg)
    communities = sorted({parent for parent in grids.values() if parent in areas})
    dispatchers = dict(zip(communities, person_names(len(communities), rng), strict=True))
    with_microgrids = {parent for _, _, parent, _ in rows[Level.MICROGRID] if parent in grids}
    places = [row for row in rows[Level.MICROGRID] if row[2] in grids]
    places += [row for row in rows[Level.GRID] if row[0] not in with_microgrids]
    cells = []
    for code, name, parent, households in sorted(places):
        area = areas[code]
        grid = areas[parent] if area.level is Level.MICROGRID else area
        community = areas.get(grids[grid.code])
        chain = tuple(a for a in (community, grid, area if area is not grid else None) if a is not None)
        dispatcher = dispatchers.get(community.code, "社区值班员") if community else "社区值班员"
        staff = Staff(worker=grid.worker or dispatcher, dispatcher=dispatcher)
        weight = float(households) or float(area.geometry.area) * 1e7
        cells.append(Cell(chain=chain, name=name, weight=weight, staff=staff))
    return cells


def draw_points(
    cells: list[Cell],
    frame: LocalMetres,
    homes: npt.NDArray[np.float64] | None,
    count: int,
    near_share: float,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A cell and a WGS-84 point (7 decimals) per incident, near homes when given, `near_share` by a grid edge."""
    shapes = frame.to_local(np.array([cell.chain[-1].geometry for cell in cells], dtype=object))
    edges = shapely.boundary(shapes)
    grid_edges = shapely.boundary(frame.to_local(np.array([_grid(cell).geometry for cell in cells], dtype=object)))
    shapely.prepare(shapes)
    weights = np.array([cell.weight for cell in cells])
    cell_index = rng.choice(len(cells), size=count, p=weights / weights.sum())
    near = rng.random(count) < near_share
    home_cells: list[npt.NDArray[np.float64]] = [np.empty((0, 2))] * len(cells)
    if homes is not None and len(homes):
        local_homes = shapely.get_coordinates(frame.to_local(shapely.points(homes)))
        where = shapely.STRtree(shapes).query(shapely.points(local_homes), predicate="within")
        for cell in np.unique(where[1]):
            home_cells[int(cell)] = local_homes[where[0][where[1] == cell]]
    near_home = rng.random(count) < (_NEAR_HOME_SHARE if homes is not None else 0.0)
    bounds = shapely.bounds(shapes)
    xy = np.zeros((count, 2))
    pending = np.arange(count)
    for round_number in range(_ROUNDS * 2):
        if not len(pending):
            break
        if round_number == _ROUNDS:
            near[pending] = ~near[pending]  # no such point in this cell (all near, or all far from the edge)
        box = bounds[cell_index[pending]]
        x = box[:, 0] + rng.random(len(pending)) * (box[:, 2] - box[:, 0])
        y = box[:, 1] + rng.random(len(pending)) * (box[:, 3] - box[:, 1])
        around = near_home[pending] & (round_number < _ROUNDS // 2)
        for k in np.flatnonzero(around):
            candidates = home_cells[int(cell_index[pending[k]])]
            if len(candidates):
                home = candidates[int(rng.integers(len(candidates)))]
                x[k], y[k] = home + rng.normal(0.0, _HOME_SPREAD_M, 2)
        points = shapely.points(x, y)
        inside = shapely.contains_xy(shapes[cell_index[pending]], x, y)
        inside &= shapely.distance(edges[cell_index[pending]], points) >= _INSIDE_MARGIN_M
        to_edge = shapely.distance(grid_edges[cell_index[pending]], points)
        limit = DEFAULT_NEAR_BOUNDARY_M
        banded = np.where(
            near[pending],
            (to_edge >= _BAND_MARGIN_M) & (to_edge <= limit - _BAND_MARGIN_M),
            to_edge >= limit + _BAND_MARGIN_M,
        )
        good = inside & banded
        xy[pending[good]] = np.column_stack([x[good], y[good]])
        pending = pending[~good]
    if len(pending):
        msg = f"could not place {len(pending)} incidents inside their microgrids"
        raise ValueError(msg)
    wgs = np.round(shapely.get_coordinates(frame.to_wgs84(shapely.points(xy))), 7)
    return cell_index.astype(np.intp), wgs[:, 0], wgs[:, 1]


def routes_of(
    cells: list[Cell], cell_index: npt.NDArray[np.intp], lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> list[Route]:
    """The route `routing.route_report` gives each point for its cell's chain, with the distances computed at once.

    Same frames, same transforms and the same GEOS distance as `boundary_distance_m`, so the numbers are
    identical (the tests compare them), but an array per frame instead of one call per point: 20x faster.
    """
    grids = [_grid(cell) for cell in cells]
    distance = np.empty(len(lon))
    frame_x = np.round(lon / _FRAME_CELL_DEG).astype(np.int64)
    frame_y = np.round(lat / _FRAME_CELL_DEG).astype(np.int64)
    for x, y in sorted(set(zip(frame_x.tolist(), frame_y.tolist(), strict=True))):
        members = np.flatnonzero((frame_x == x) & (frame_y == y))
        centre_x, centre_y, half = x * _FRAME_CELL_DEG, y * _FRAME_CELL_DEG, _FRAME_CELL_DEG / 2.0
        frame = LocalMetres(centre_x - half, centre_y - half, centre_x + half, centre_y + half)
        edges = frame.to_local(shapely.boundary(np.array([grid.geometry for grid in grids], dtype=object)))
        points = frame.to_local(shapely.points(lon[members], lat[members]))
        distance[members] = shapely.distance(points, edges[cell_index[members]])
    routes = []
    for i, (x, y, metres) in enumerate(zip(lon.tolist(), lat.tolist(), distance.tolist(), strict=True)):
        chain = {area.level: area for area in cells[int(cell_index[i])].chain}
        routes.append(routed(x, y, chain, metres))
    return routes


def _grid(cell: Cell) -> Feature:
    return next(area for area in cell.chain if area.level is Level.GRID)
