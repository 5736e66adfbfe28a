"""`/api/v1/lifecircle`: coverage per area and proposed sites, on a street laid through the test region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import mapping

from gridmap.store.account_store import Role
from gridmap.store.household_store import HouseholdRecord
from tests.api.conftest import AppFactory, add_token, assert_problem, bearer
from tests.api.region import TOWN, region_features
from tests.boundary_builders import LAT0, LON0, STEP, cell

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
    # by default the candidates lie along the street near uncovered households, one per 25 m: a site between
    # the two eastern households (about 200 m apart) reaches both within 300 m
    assert body["gain"] == 2
    assert body["share_before"] == 0.5
    assert body["share_after"] == 1.0
    (site,) = body["sites"]
    assert 119.504 < site["lon"] < 119.508
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


# The store's data: boundaries of the published version (or `version=`), households of the register.

VERSIONS = "/api/v1/boundary-sets/default/versions"
GRID_3, GRID_4 = f"{TOWN}001003", f"{TOWN}001004"  # the two southern grids of community 1, west and east


def moved_border_region() -> list[dict[str, Any]]:
    """The test region with the border of grids 003 and 004 of community 1 moved east, to 1.6 steps."""
    features = region_features()
    shapes = {
        GRID_3: cell(0, 0, 1.6, 1),
        f"{GRID_3}01": cell(0, 0, 0.8, 1),
        f"{GRID_3}02": cell(0.8, 0, 0.8, 1),
        GRID_4: cell(1.6, 0, 0.4, 1),
        f"{GRID_4}01": cell(1.6, 0, 0.2, 1),
        f"{GRID_4}02": cell(1.8, 0, 0.2, 1),
    }
    for feature in features:
        code = feature["properties"]["code"]
        if code in shapes:
            feature["geometry"] = mapping(shapes[code])
    return features


def upload_version(client: TestClient, headers: dict[str, str], features: list[dict[str, Any]]) -> int:
    """Upload `features` as a draft of the default set; its id."""
    content = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    response = client.post(
        VERSIONS, files={"file": ("grids.geojson", content, "application/geo+json")}, headers=headers
    )
    assert response.status_code == 201, response.text
    version_id: int = response.json()["id"]
    return version_id


def grid_households(client: TestClient, **params: Any) -> dict[str, int]:
    """Households per grid code in the coverage breakdown by grid."""
    response = client.get("/api/v1/lifecircle/coverage", params={"level": "grid", **params})
    assert response.status_code == 200, response.text
    return {area["code"]: area["households"] for area in response.json()["areas"]}


def test_sources_name_the_published_version_and_the_files(town: TestClient) -> None:
    body = town.get("/api/v1/lifecircle/coverage").json()
    assert body["version"] == {"id": 1, "set": "default", "status": "published"}
    assert body["sources"] == {
        "boundaries": "store v1",
        "households": "file sample/households.csv",
        "facilities": "file sample/facilities.geojson",
        "network": "file sample/streets.geojson",
    }
    assert body["unlocated_households"] == 0
    proposal = town.post("/api/v1/lifecircle/sites", json={"type": "red_station", "k": 1}).json()
    assert proposal["sources"] == body["sources"] and proposal["version"]["id"] == 1


def test_a_newly_published_version_changes_coverage_per_grid(town: TestClient, planner_headers: dict[str, str]) -> None:
    assert {GRID_3: 1, GRID_4: 1}.items() <= grid_households(town).items()
    version_id = upload_version(town, planner_headers, moved_border_region())
    assert grid_households(town)[GRID_3] == 1  # a draft changes nothing until it is published
    published = town.post(f"{VERSIONS}/{version_id}/publish", headers=planner_headers)
    assert published.status_code == 200, published.text

    body = town.get("/api/v1/lifecircle/coverage", params={"level": "grid"}).json()
    assert body["version"]["id"] == version_id and body["sources"]["boundaries"] == f"store v{version_id}"
    by_code = {area["code"]: area for area in body["areas"]}
    assert by_code[GRID_3]["households"] == 2  # the second household now lies west of the border
    assert by_code[GRID_3]["people"] == 3
    assert by_code[GRID_3]["households_covered"]["red_station"] == 1.0
    assert GRID_4 not in by_code  # no household left in it
    # the retired version stays readable as history, with its own breakdown
    assert {GRID_3: 1, GRID_4: 1}.items() <= grid_households(town, version=1).items()


def test_drafts_need_a_token_and_edits_to_them_show_at_once(town: TestClient, planner_headers: dict[str, str]) -> None:
    version_id = upload_version(town, planner_headers, moved_border_region())
    assert_problem(town.get("/api/v1/lifecircle/coverage", params={"version": version_id}), 401)
    sites = town.post("/api/v1/lifecircle/sites", params={"version": version_id}, json={"type": "red_station", "k": 1})
    assert_problem(sites, 401)
    assert_problem(town.get("/api/v1/lifecircle/coverage", params={"version": 99}), 404)

    viewer = bearer(add_token(town, "居民", Role.VIEWER))
    draft = town.get("/api/v1/lifecircle/coverage", params={"level": "grid", "version": version_id}, headers=viewer)
    assert draft.status_code == 200, draft.text
    assert draft.json()["version"]["status"] == "draft"
    assert {area["code"]: area["households"] for area in draft.json()["areas"]}[GRID_3] == 2

    store = town.app.state.store  # type: ignore[attr-defined]
    (feature,) = store.features(version_id, code=GRID_3).features
    store.update_feature(
        version_id, feature.feature_id, expected_revision=feature.revision, properties={"name": "新网格"}
    )
    again = town.get("/api/v1/lifecircle/coverage", params={"level": "grid", "version": version_id}, headers=viewer)
    assert {area["code"]: area["name"] for area in again.json()["areas"]}[GRID_3] == "新网格"


def test_households_of_the_register_replace_the_file(town: TestClient) -> None:
    before = town.get("/api/v1/lifecircle/coverage").json()
    assert (before["areas"][0]["households"], before["areas"][0]["people"]) == (4, 10)
    records = [
        HouseholdRecord("R1", "胜利街1号", HOUSEHOLD_LONS[0], STREET_LAT + 0.0001, people=5, head_name="测试甲"),
        HouseholdRecord("R2", "胜利街2号", HOUSEHOLD_LONS[3], STREET_LAT + 0.0001, people=7),
        HouseholdRecord("R3", "胜利街3号", None, None, people=2),
    ]
    town.app.state.store.add_households(records)  # type: ignore[attr-defined]

    after = town.get("/api/v1/lifecircle/coverage").json()  # not the analysis kept from before the import
    assert after["sources"]["households"] == "store"
    assert after["unlocated_households"] == 1
    (whole,) = after["areas"]
    assert (whole["households"], whole["people"]) == (2, 12)
    assert whole["households_covered"]["red_station"] == 0.5  # the western one
    assert whole["people_covered"]["red_station"] == pytest.approx(5 / 12, abs=1e-4)
    assert "测试" not in json.dumps(after) and "胜利街" not in json.dumps(after)
    by_grid = grid_households(town)
    assert by_grid == {GRID_3: 1, f"{TOWN}002004": 1}

    proposal = town.post("/api/v1/lifecircle/sites", json={"type": "red_station", "k": 1, "people": True}).json()
    assert (proposal["total"], proposal["covered_before"], proposal["gain"]) == (12, 5, 7)


def test_facilities_and_streets_may_come_from_other_files(make_client: AppFactory, tmp_path: Path) -> None:
    elsewhere = tmp_path / "clinics.geojson"
    clinic = _point(119.5065, STREET_LAT + 0.0001, name="东卫生站", type="health_station")
    elsewhere.write_text(json.dumps({"type": "FeatureCollection", "features": [clinic]}))
    client = make_client(lifecircle_facilities=elsewhere)
    listed = client.get("/api/v1/lifecircle/facilities").json()
    assert [f["properties"]["name"] for f in listed["features"]] == ["东卫生站"]
    assert listed["source"] == "file clinics.geojson"
