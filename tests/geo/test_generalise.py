"""Location generalisation: every point of a cell gives the same centre, never farther than half a diagonal."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmap.geo.generalise import MAX_LATITUDE, cell_bounds, generalise, margin_degrees

EARTH_RADIUS_M = 6371008.8  # the sphere the grid is measured on
longitudes = st.floats(min_value=-179.9, max_value=179.9, allow_nan=False)
latitudes = st.floats(min_value=-MAX_LATITUDE, max_value=MAX_LATITUDE, allow_nan=False)
sizes = st.floats(min_value=1.0, max_value=5000.0, allow_nan=False)
# The sphere's curvature over a few km (relative 1e-9) and degrees' rounding (a micrometre): far below a millimetre.
TOLERANCE_M = 1e-6
fractions = st.floats(min_value=0.0, max_value=0.999999, allow_nan=False)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres on the grid's sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


@given(longitudes, latitudes, sizes)
def test_the_centre_is_within_half_a_diagonal(lon: float, lat: float, size: float) -> None:
    centre_lon, centre_lat = generalise(lon, lat, size)
    assert haversine_m(lon, lat, centre_lon, centre_lat) <= size * math.sqrt(2) / 2 * (1 + 1e-9) + TOLERANCE_M


@given(longitudes, latitudes, sizes, fractions, fractions)
def test_every_point_of_a_cell_gives_the_same_centre(lon: float, lat: float, size: float, fx: float, fy: float) -> None:
    min_lon, min_lat, max_lon, max_lat = cell_bounds(lon, lat, size)
    other_lon = min_lon + fx * (max_lon - min_lon)
    other_lat = min_lat + fy * (max_lat - min_lat)
    # A point a rounding error from the cell's edge may fall into its neighbour: keep to the inside.
    inside = 1e-9 * max(1.0, abs(other_lon)), 1e-9 * max(1.0, abs(other_lat))
    other_lon = min(max(other_lon, min_lon + inside[0]), max_lon - inside[0])
    other_lat = min(max(other_lat, min_lat + inside[1]), max_lat - inside[1])
    assert generalise(other_lon, other_lat, size) == generalise(lon, lat, size)


@given(longitudes, latitudes, sizes)
def test_a_cell_is_at_most_the_size_a_side_and_holds_its_point(lon: float, lat: float, size: float) -> None:
    min_lon, min_lat, max_lon, max_lat = cell_bounds(lon, lat, size)
    assert min_lon - 1e-9 <= lon <= max_lon + 1e-9 and min_lat - 1e-9 <= lat <= max_lat + 1e-9
    assert haversine_m(min_lon, min_lat, min_lon, max_lat) == pytest.approx(size, rel=1e-6)
    equator_side = min_lat if abs(min_lat) < abs(max_lat) else max_lat
    assert haversine_m(min_lon, equator_side, max_lon, equator_side) <= size * (1 + 1e-9) + TOLERANCE_M


@given(longitudes, latitudes, sizes)
def test_the_margin_covers_the_distance_to_the_centre_in_degrees(lon: float, lat: float, size: float) -> None:
    centre_lon, centre_lat = generalise(lon, lat, size)
    lon_margin, lat_margin = margin_degrees(size, abs(lat))
    assert abs(centre_lon - lon) <= lon_margin and abs(centre_lat - lat) <= lat_margin


def test_points_50_m_apart_north_and_south_never_share_a_centre_but_neighbours_do() -> None:
    base = (119.5, 27.45)
    assert generalise(*base, 50) == generalise(base[0] + 0.00001, base[1] + 0.00001, 50)  # about 1 m away
    assert generalise(*base, 50) != generalise(base[0], base[1] + 50.1 / 111_195, 50)


@pytest.mark.parametrize(("lon", "lat", "size"), [(math.nan, 0.0, 50), (0.0, math.inf, 50), (0.0, 0.0, 0), (0, 0, -1)])
def test_refuses_what_is_not_a_point_or_a_size(lon: float, lat: float, size: float) -> None:
    with pytest.raises(ValueError, match="generalis"):
        generalise(lon, lat, size)
