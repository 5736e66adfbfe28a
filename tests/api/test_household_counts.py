"""GET /api/v1/grids/{code}/household-counts: public counts per community, grid or microgrid, no personal data."""

from __future__ import annotations

from gridmap.store.household_store import HouseholdRecord
from tests.api.conftest import TestClient, assert_problem
from tests.api.region import TOWN
from tests.boundary_builders import LAT0, LON0, STEP

COMMUNITY_1 = f"{TOWN}001"
IN_GRID_001 = (LON0 + 0.25 * STEP, LAT0 + 1.5 * STEP)


def add_households(client: TestClient) -> None:
    lon, lat = IN_GRID_001
    records = [
        HouseholdRecord(
            "H1", "胜利街1号", lon, lat, people=1, elderly_alone=True, head_name="测试甲", phone="138****0001"
        ),
        HouseholdRecord("H2", "胜利街2号", lon, lat, people=5, left_behind_children=1, head_name="测试乙"),
        HouseholdRecord("H3", "胜利街3号", None, None, people=2),
    ]
    client.app.state.store.add_households(records)  # type: ignore[attr-defined]


def test_counts_per_grid_community_and_microgrid(client: TestClient) -> None:
    add_households(client)
    response = client.get(f"/api/v1/grids/{COMMUNITY_1}001/household-counts")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "code": f"{COMMUNITY_1}001",
        "version_id": 1,
        "households": 2,
        "people": 6,
        "elderly_alone": 1,
        "disabled": 0,
        "left_behind_children": 1,
    }
    assert "测试" not in response.text and "138" not in response.text
    assert client.get(f"/api/v1/grids/{COMMUNITY_1}/household-counts").json()["households"] == 2
    assert client.get(f"/api/v1/grids/{COMMUNITY_1}002/household-counts").json()["households"] == 0


def test_unknown_codes_and_versions_are_problems(client: TestClient) -> None:
    add_households(client)
    assert_problem(client.get("/api/v1/grids/350924100099001/household-counts"), 404)
    assert_problem(client.get(f"/api/v1/grids/{COMMUNITY_1}001/household-counts", params={"version": 99}), 404)


def test_counts_of_every_grid_in_one_answer(client: TestClient) -> None:
    add_households(client)
    response = client.get("/api/v1/household-counts", params={"level": "grid"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version_id"], body["level"]) == (1, "grid")
    by_code = {entry["code"]: entry for entry in body["counts"]}
    assert len(by_code) == 8  # every grid, the empty ones too
    assert by_code[f"{COMMUNITY_1}001"] == {
        "code": f"{COMMUNITY_1}001",
        "households": 2,
        "people": 6,
        "elderly_alone": 1,
        "disabled": 0,
        "left_behind_children": 1,
    }
    assert sum(entry["households"] for entry in body["counts"]) == 2
    assert "测试" not in response.text and "138" not in response.text and "胜利街" not in response.text


def test_counts_of_every_community_and_bad_levels(client: TestClient) -> None:
    add_households(client)
    body = client.get("/api/v1/household-counts", params={"level": "community"}).json()
    assert {entry["code"]: entry["households"] for entry in body["counts"]} == {COMMUNITY_1: 2, f"{TOWN}002": 0}
    assert client.get("/api/v1/household-counts").json()["level"] == "grid"
    assert_problem(client.get("/api/v1/household-counts", params={"level": "street"}), 400)
    assert_problem(client.get("/api/v1/household-counts", params={"version": 99}), 404)
