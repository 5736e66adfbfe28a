"""Routing a report to its grid: the located chain and the distance to the grid's boundary decide it.

The lookup itself is the store's (`/locate`: a feature covers the points of its boundary, the smallest
code wins); this module takes its answer, refuses points outside every grid, names the grid's worker and
flags reports within `near_boundary_m` (default 20 m) of the grid's boundary for the dispatcher to confirm,
because a pin dropped on a phone is often that far off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.geo.crs import LocalMetres
from gridmap.geo.hierarchy import Level

DEFAULT_NEAR_BOUNDARY_M = 20.0
# Distances are measured in a LocalMetres frame centred on the 0.1-degree cell of the point: within a few
# kilometres of its centre the affine scale is off by under 0.1 %, i.e. under 2 cm at 20 m.
_FRAME_CELL_DEG = 0.1


class Area(Protocol):
    """A located feature (the store's `Feature` fits): code, level, worker and WGS-84 polygon."""

    @property
    def code(self) -> str: ...
    @property
    def level(self) -> Level | None: ...
    @property
    def worker(self) -> str | None: ...
    @property
    def geometry(self) -> BaseGeometry: ...


@dataclass(frozen=True)
class Route:
    """Where a report goes: its community, grid and microgrid, the grid's worker, and how sure we are."""

    lon: float
    lat: float
    community_code: str | None
    grid_code: str
    microgrid_code: str | None
    worker: str | None
    boundary_distance_m: float
    near_boundary: bool

    @property
    def needs_confirmation(self) -> bool:
        """True when a dispatcher should confirm the grid (near a boundary, or the grid has no worker)."""
        return self.near_boundary or self.worker is None


@dataclass(frozen=True)
class Rerouted:
    """A route after the pin moved, and whether it now goes to another grid (or another worker)."""

    route: Route
    grid_changed: bool
    worker_changed: bool


def route_report(
    lon: float,
    lat: float,
    chain: Sequence[Area],
    *,
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M,
    frame: LocalMetres | None = None,
) -> Route:
    """The route of a report at WGS-84 (lon, lat) given the chain of features covering it."""
    if near_boundary_m < 0:
        msg = f"near_boundary_m is {near_boundary_m}; it must be 0 or more metres"
        raise InvalidInput(msg)
    by_level = {area.level: area for area in chain if area.level is not None}
    grid = by_level.get(Level.GRID)
    if grid is None:
        community = by_level.get(Level.COMMUNITY)
        inside = f" (it is in community {community.code} but in none of its grids)" if community else ""
        msg = (
            f"the point {lon:.6f}, {lat:.6f} is outside every grid{inside}; "
            "move the pin into the community or call the community office"
        )
        raise InvalidInput(msg)
    distance = boundary_distance_m(lon, lat, grid.geometry, frame=frame)
    return routed(lon, lat, by_level, distance, near_boundary_m=near_boundary_m)


def routed(
    lon: float,
    lat: float,
    by_level: Mapping[Level, Area],
    distance_m: float,
    *,
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M,
) -> Route:
    """The route to the grid of `by_level` (which must have one), `distance_m` from its boundary."""
    grid = by_level[Level.GRID]
    community = by_level.get(Level.COMMUNITY)
    microgrid = by_level.get(Level.MICROGRID)
    return Route(
        lon=lon,
        lat=lat,
        community_code=community.code if community else None,
        grid_code=grid.code,
        microgrid_code=microgrid.code if microgrid else None,
        worker=grid.worker,
        boundary_distance_m=distance_m,
        near_boundary=distance_m <= near_boundary_m,
    )


def reroute(
    previous: Route,
    lon: float,
    lat: float,
    chain: Sequence[Area],
    *,
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M,
    frame: LocalMetres | None = None,
) -> Rerouted:
    """The route after the pin moved to (lon, lat), compared with the previous one."""
    route = route_report(lon, lat, chain, near_boundary_m=near_boundary_m, frame=frame)
    return Rerouted(
        route=route,
        grid_changed=route.grid_code != previous.grid_code,
        worker_changed=route.worker != previous.worker,
    )


def boundary_distance_m(lon: float, lat: float, polygon: BaseGeometry, *, frame: LocalMetres | None = None) -> float:
    """Metres from a WGS-84 point to the nearest edge of a WGS-84 polygon (holes count as edges)."""
    frame = frame or _frame_near(round(lon / _FRAME_CELL_DEG), round(lat / _FRAME_CELL_DEG))
    local_point = frame.to_local(shapely.Point(lon, lat))
    local_edges = frame.to_local(shapely.boundary(polygon))
    return float(shapely.distance(local_point, local_edges))


@lru_cache(maxsize=256)
def _frame_near(cell_x: int, cell_y: int) -> LocalMetres:
    """The metric frame of one 0.1-degree cell, built once: making its pyproj transformer costs milliseconds."""
    lon, lat = cell_x * _FRAME_CELL_DEG, cell_y * _FRAME_CELL_DEG
    half = _FRAME_CELL_DEG / 2.0
    return LocalMetres(lon - half, lat - half, lon + half, lat + half)
