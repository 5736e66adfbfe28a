"""Routing at and near grid boundaries, re-routing when the pin moves, and refusing points outside grids."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.incidents.routing import boundary_distance_m, reroute, route_report

# About 111 km per degree of latitude; at 27.46 N a degree of longitude is about 98.7 km.
LAT = 27.46
M_PER_DEG_LAT = 111_195.0
WEST = shapely.box(119.500, 27.455, 119.505, 27.465)
EAST = shapely.box(119.505, 27.455, 119.510, 27.465)
COMMUNITY = shapely.box(119.500, 27.455, 119.510, 27.465)


@dataclass(frozen=True)
class Area:
    code: str
    level: Level | None
    worker: str | None
    geometry: BaseGeometry


C = Area("350924100001", Level.COMMUNITY, None, COMMUNITY)
G1 = Area("350924100001001", Level.GRID, "张发敏", WEST)
G2 = Area("350924100001002", Level.GRID, "李四", EAST)
M1 = Area("35092410000100101", Level.MICROGRID, None, WEST)


def test_a_point_deep_inside_routes_to_the_grid_worker() -> None:
    route = route_report(119.5025, LAT, [C, G1, M1])
    assert (route.community_code, route.grid_code, route.microgrid_code) == (C.code, G1.code, M1.code)
    assert route.worker == "张发敏"
    assert not route.near_boundary
    assert not route.needs_confirmation
    assert route.boundary_distance_m == pytest.approx(0.0025 * M_PER_DEG_LAT * 0.8870, rel=0.01)


def test_distance_to_the_boundary_is_in_metres() -> None:
    lat = 27.455 + 15.0 / M_PER_DEG_LAT  # 15 m north of the south edge
    assert boundary_distance_m(119.5025, lat, WEST) == pytest.approx(15.0, abs=0.2)


@pytest.mark.parametrize(("metres", "near"), [(0.0, True), (5.0, True), (19.5, True), (20.5, False), (100.0, False)])
def test_near_boundary_flag_at_the_default_20_m(metres: float, near: bool) -> None:
    lat = 27.455 + metres / M_PER_DEG_LAT
    route = route_report(119.5025, lat, [C, G1])
    assert route.near_boundary is near
    assert route.needs_confirmation is near


def test_the_distance_is_configurable() -> None:
    lat = 27.455 + 30.0 / M_PER_DEG_LAT
    assert not route_report(119.5025, lat, [G1]).near_boundary
    assert route_report(119.5025, lat, [G1], near_boundary_m=50).near_boundary
    with pytest.raises(InvalidInput, match="near_boundary_m"):
        route_report(119.5025, lat, [G1], near_boundary_m=-1)


def test_a_grid_without_a_worker_needs_the_dispatcher() -> None:
    route = route_report(119.5025, LAT, [Area(G1.code, Level.GRID, None, WEST)])
    assert route.worker is None
    assert route.needs_confirmation


def test_outside_every_grid_is_refused_saying_so() -> None:
    with pytest.raises(InvalidInput, match="outside every grid"):
        route_report(120.0, 28.0, [])
    with pytest.raises(InvalidInput, match="in community 350924100001 but in none of its grids"):
        route_report(119.5025, LAT, [C])


def test_moving_the_pin_reroutes() -> None:
    first = route_report(119.5040, LAT, [C, G1])
    moved = reroute(first, 119.5080, LAT, [C, G2])
    assert moved.grid_changed
    assert moved.worker_changed
    assert moved.route.worker == "李四"
    nudged = reroute(first, 119.5030, LAT, [C, G1])
    assert not nudged.grid_changed
    assert not nudged.worker_changed
    assert nudged.route.boundary_distance_m != first.boundary_distance_m


def test_holes_count_as_boundary() -> None:
    holed = shapely.Polygon(WEST.exterior.coords, [shapely.box(119.502, 27.459, 119.503, 27.461).exterior.coords])
    # 10 m west of the hole's west edge, hundreds of metres from the outer ring.
    lon = 119.502 - 10.0 / (M_PER_DEG_LAT * 0.8873)
    assert boundary_distance_m(lon, 27.460, holed) == pytest.approx(10.0, abs=0.2)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0001, 0.0049), st.floats(27.4551, 27.4649))
def test_the_flag_agrees_with_the_distance(dx: float, lat: float) -> None:
    route = route_report(119.500 + dx, lat, [G1])
    assert route.boundary_distance_m >= 0
    assert route.near_boundary == (route.boundary_distance_m <= 20.0)
