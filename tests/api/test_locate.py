"""GET /api/v1/locate: inside, on shared edges and vertices, outside, and in Chinese web datums."""

from __future__ import annotations

from typing import Any

import pytest

from gridmap.geo.crs import Datum, from_wgs84
from tests.api.conftest import TestClient, assert_problem
from tests.api.region import TOWN, grid_centre
from tests.boundary_builders import LAT0, LON0, STEP

COMMUNITY_1, COMMUNITY_2 = f"{TOWN}001", f"{TOWN}002"


def locate(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/locate", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def chain_codes(body: dict[str, Any]) -> list[str]:
    return [f["code"] for f in body["chain"]]


def test_point_inside_gets_community_grid_and_microgrid(client: TestClient) -> None:
    # The east half of grid 004 of community 1 (south-east cell).
    lon, lat = LON0 + 1.75 * STEP, LAT0 + 0.5 * STEP
    body = locate(client, lon=lon, lat=lat)
    assert body["covered"] is True and body["nearest"] is None
    assert chain_codes(body) == [COMMUNITY_1, f"{COMMUNITY_1}004", f"{COMMUNITY_1}00402"]
    assert body["grid"]["worker"] == "陈美玲"
    assert body["microgrid"]["code"] == f"{COMMUNITY_1}00402"
    assert body["version"] == 1


def test_point_on_an_edge_between_grids_goes_to_the_smallest_code(client: TestClient) -> None:
    # On the edge shared by grid 001 (west) and 002 (east) of community 1.
    body = locate(client, lon=LON0 + STEP, lat=LAT0 + 1.5 * STEP)
    assert body["grid"]["code"] == f"{COMMUNITY_1}001"
    assert body["microgrid"]["code"] == f"{COMMUNITY_1}00102"  # the east microgrid of 001 shares that edge


def test_point_on_the_border_of_two_communities_goes_to_the_smallest_code(client: TestClient) -> None:
    body = locate(client, lon=LON0 + 2 * STEP, lat=LAT0 + 0.5 * STEP)
    assert chain_codes(body)[:2] == [COMMUNITY_1, f"{COMMUNITY_1}004"]


def test_point_on_a_vertex_of_four_grids_is_answered_once_per_level(client: TestClient) -> None:
    body = locate(client, lon=LON0 + STEP, lat=LAT0 + STEP)
    assert [f["level"] for f in body["chain"]] == ["community", "grid", "microgrid"]
    assert body["grid"]["code"] == f"{COMMUNITY_1}001"
    assert "smallest code" in body["rule"]


def test_point_on_the_outer_border_is_covered(client: TestClient) -> None:
    body = locate(client, lon=LON0, lat=LAT0 + 0.5 * STEP)
    assert body["covered"] is True and body["grid"]["code"] == f"{COMMUNITY_1}003"


def test_point_outside_gets_the_nearest_grid_and_its_distance(client: TestClient) -> None:
    # One cell (about 197 m at this latitude) west of grid 003.
    body = locate(client, lon=LON0 - STEP, lat=LAT0 + 0.5 * STEP)
    assert body["covered"] is False and body["chain"] == [] and body["grid"] is None
    assert body["nearest"]["feature"]["code"] == f"{COMMUNITY_1}003"
    assert body["nearest"]["distance_m"] == pytest.approx(197.6, abs=1.0)


@pytest.mark.parametrize("datum", [Datum.GCJ02, Datum.BD09])
def test_chinese_web_datums_are_converted_before_the_lookup(client: TestClient, datum: Datum) -> None:
    lon, lat = grid_centre(2, 1, 0)  # grid 004 of community 2
    shifted_lon, shifted_lat = (float(v) for v in from_wgs84(lon, lat, datum))
    body = locate(client, lon=shifted_lon, lat=shifted_lat, crs=datum.value)
    assert body["grid"]["code"] == f"{COMMUNITY_2}004"
    assert body["wgs84"]["lon"] == pytest.approx(lon, abs=1e-7)
    assert body["query"]["crs"] == datum.value
    # Read as WGS-84, the same numbers are hundreds of metres away, outside the region.
    assert locate(client, lon=shifted_lon, lat=shifted_lat)["covered"] is False


def test_cgcs2000_is_taken_as_wgs84(client: TestClient) -> None:
    lon, lat = grid_centre(0, 0, 1)
    assert locate(client, lon=lon, lat=lat, crs="EPSG:4490")["grid"]["code"] == f"{COMMUNITY_1}001"


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"lon": "abc", "lat": "27.45"}, "lon"),
        ({"lon": "119.5"}, "lat"),
        ({"lon": "119.5", "lat": "95"}, "lat"),
        ({"lon": "181", "lat": "27"}, "lon"),
        ({"lon": "nan", "lat": "27"}, "lon"),
        ({"lon": "119.5", "lat": "27.45", "crs": "gps"}, "crs"),
        ({"lon": "119.5", "lat": "27.45", "version": "x"}, "version"),
    ],
)
def test_bad_parameters_are_400_problems(client: TestClient, params: dict[str, str], mentions: str) -> None:
    body = assert_problem(client.get("/api/v1/locate", params=params), 400)
    assert mentions in body["detail"]


def test_unknown_version_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/locate", params={"lon": 119.5, "lat": 27.45, "version": 42}), 404)
