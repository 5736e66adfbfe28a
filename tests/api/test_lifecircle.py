"""`/api/v1/lifecircle`: coverage per area and proposed sites, on a street laid through the test region."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.boundary_builders import LAT0, LON0, STEP

STREET_LAT = LAT0 + 0.5 * STEP  # through the southern row of grids
HOUSEHOLD_LONS = (119.501, 119.503, 119.505, 119.507)  # one in each southern grid, west to east


def _point(lon: float, lat: float, **properties: str) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


@pytest.fixture
def town(client: TestClient) -> TestClient:
    """The test region plus a street, one red station at its west end and four households along it."""
    folder = Path(client.app.state.settings.sample_dir) / "sample"  # type: ignore[attr-defined]
    folder.mkdir(parents=True, exist_ok=True)
    street = {"type": "LineString", "coordinates": [[LON0, STREET_LAT], [LON0 + 4 * STEP, STREET_LAT]]}
    (folder / "streets.geojson").write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": street}]}
        )
    )
    station = _point(119.5005, STREET_LAT + 0.0001, name="西驿站", type="red_station")
    (folder / "facilities.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [station]}))
    rows = [f"{lon},{STREET_LAT + 0.0001},{people}" for lon, people in zip(HOUSEHOLD_LONS, (1, 2, 3, 4), strict=True)]
    (folder / "households.csv").write_text("lon,lat,people\n" + "\n".join(rows) + "\n")
    return client


def test_town_coverage_counts_households_within_the_circle(town: TestClient) -> None:
    response = town.get("/api/v1/lifecircle/coverage")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["level"] == "town"
    assert body["types"]["red_station"]["minutes"] == 5
    (whole,) = body["areas"]
    assert (whole["households"], whole["people"]) == (4, 10)
    assert whole["households_covered"]["red_station"] == 0.5  # the two western households: under 300 m
    assert whole["people_covered"]["red_station"] == 0.3
    assert whole["households_covered"]["kindergarten"] == 0.0
    assert whole["completeness"]["5"] == 0.125  # 1 of 4 five-minute types for half the households


def test_grid_coverage_names_each_grid(town: TestClient) -> None:
    body = town.get("/api/v1/lifecircle/coverage", params={"level": "grid"}).json()
    by_code = {area["code"]: area for area in body["areas"]}
    assert by_code["350924100001003"]["households_covered"]["red_station"] == 1.0
    assert by_code["350924100002004"]["households_covered"]["red_station"] == 0.0
    assert by_code["350924100001003"]["name"]


def test_slower_walking_covers_fewer(town: TestClient) -> None:
    body = town.get("/api/v1/lifecircle/coverage", params={"speed": 0.5}).json()
    assert body["areas"][0]["households_covered"]["red_station"] == 0.25


def test_bad_parameters_are_problems(town: TestClient) -> None:
    assert town.get("/api/v1/lifecircle/coverage", params={"level": "street"}).status_code == 400
    assert town.get("/api/v1/lifecircle/coverage", params={"speed": 0}).status_code == 400
    response = town.post("/api/v1/lifecircle/sites", json={"type": "casino", "k": 1})
    assert response.status_code == 422  # well-formed, but no such type
    assert "unknown facility type" in response.json()["detail"]


def test_sites_cover_the_eastern_households(town: TestClient) -> None:
    response = town.post("/api/v1/lifecircle/sites", json={"type": "red_station", "k": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    # by default the candidates are the street's nodes, its two ends: the east end reaches the last household
    assert body["gain"] == 1
    assert body["share_before"] == 0.5
    assert body["share_after"] == 0.75
    (site,) = body["sites"]
    assert site["lon"] == pytest.approx(LON0 + 4 * STEP, abs=1e-6)
    chosen = town.post(
        "/api/v1/lifecircle/sites",
        json={"type": "red_station", "k": 1, "candidates": [[119.5005, STREET_LAT], [119.5065, STREET_LAT]]},
    ).json()
    assert chosen["sites"][0]["lon"] == pytest.approx(119.5065, abs=1e-6)
    assert chosen["gain"] == 2
    assert chosen["share_after"] == 1.0


def test_facilities_are_geojson_points(town: TestClient) -> None:
    response = town.get("/api/v1/lifecircle/facilities")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "FeatureCollection"
    (station,) = body["features"]
    assert station["geometry"] == {"type": "Point", "coordinates": [119.5005, pytest.approx(STREET_LAT + 0.0001)]}
    assert station["properties"] == {"name": "西驿站", "type": "red_station", "name_zh": "红色驿站", "minutes": 5}


def test_facilities_missing_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/v1/lifecircle/facilities")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
