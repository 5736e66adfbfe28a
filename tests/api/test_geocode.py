"""GET /api/v1/geocode: an address text matched to the registry and located in the published version."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.services.address_registry import import_registry
from tests.api.conftest import TestClient, assert_problem
from tests.api.region import TOWN
from tests.boundary_builders import LAT0, LON0, STEP

COMMUNITY_1 = f"{TOWN}001"
EAST_OF_GRID_004 = (LON0 + 1.75 * STEP, LAT0 + 0.5 * STEP)


def write_registry(client: TestClient) -> Path:
    """A registry of door plates on 胜利街 inside grid 004 of community 1, imported into the app's store."""
    path: Path = client.app.state.settings.jobs_dir.parent / "addresses.csv"  # type: ignore[attr-defined]
    lon, lat = EAST_OF_GRID_004
    rows = [f"door:胜利街:{n},胜利街,{n},,,,,{lon:.7f},{lat:.7f}" for n in range(1, 11)]
    rows.append(f"building:龙庭国际:1,,,龙庭国际,1,,,{LON0 - STEP:.7f},{LAT0:.7f}")
    path.write_text("id,road,number,compound,building,unit,room,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    import_registry(client.app.state.store, path)  # type: ignore[attr-defined]
    return path


def test_an_address_gets_its_registry_entry_and_grids(client: TestClient) -> None:
    write_registry(client)
    response = client.get("/api/v1/geocode", params={"q": "福建省寿宁县胜利街五号"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["match"]["level"] == "door" and body["match"]["address"] == "胜利街5号"
    assert body["match"]["id"] == "door:胜利街:5"
    assert body["match"]["used"] == ["area 福建省", "area 寿宁县", "road 胜利街", "number 5"]
    assert body["match"]["ignored"] == []
    noted = client.get("/api/v1/geocode", params={"q": "胜利街5号车库"}).json()["match"]
    assert noted["ignored"] == ["车库: not a dwelling"]
    assert body["wgs84"]["lon"] == pytest.approx(EAST_OF_GRID_004[0])
    location = body["location"]
    assert location["covered"] is True and location["version"] == 1
    assert location["community"]["code"] == COMMUNITY_1
    assert location["grid"]["code"] == f"{COMMUNITY_1}004"
    assert location["microgrid"]["code"] == f"{COMMUNITY_1}00402"


def test_outside_every_grid_gives_the_nearest(client: TestClient) -> None:
    write_registry(client)
    body = client.get("/api/v1/geocode", params={"q": "龙庭国际1栋"}).json()
    assert body["match"]["level"] == "building" and body["match"]["id"] == "building:龙庭国际:1"
    assert body["location"]["covered"] is False and body["location"]["grid"] is None
    assert body["location"]["nearest"]["distance_m"] > 0


def test_unmatched_addresses_say_why_and_locate_nothing(client: TestClient) -> None:
    write_registry(client)
    body = client.get("/api/v1/geocode", params={"q": "幸福家园2栋"}).json()
    assert body["match"]["level"] == "none" and body["match"]["reason"]
    assert body["match"]["id"] is None and body["match"]["address"] is None
    assert body["location"] is None and body["wgs84"] is None


def test_road_level_matches_give_the_registered_road_and_no_id(client: TestClient) -> None:
    write_registry(client)
    body = client.get("/api/v1/geocode", params={"q": "胜利街"}).json()
    match = body["match"]
    assert (match["level"], match["address"], match["road"], match["id"]) == ("road", "胜利街", "胜利街", None)
    assert body["location"]["grid"]["code"] == f"{COMMUNITY_1}004"


def test_bad_queries_and_a_missing_registry_are_problems(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/geocode", params={"q": "胜利街5号"}), 404)
    assert body["detail"] == "no address registry is loaded: gridmap registry import FILE"  # names no server path
    write_registry(client)  # imported while the app runs: the next request sees it
    assert_problem(client.get("/api/v1/geocode", params={"q": "  "}), 400)
    assert_problem(client.get("/api/v1/geocode", params={"q": "胜" * 201}), 400)
    assert client.get("/api/v1/geocode").status_code in (400, 422)


def test_a_new_import_is_seen_without_a_restart(client: TestClient) -> None:
    write_registry(client)
    assert client.get("/api/v1/geocode", params={"q": "胜利街12号"}).json()["match"]["level"] != "door"
    lon, lat = EAST_OF_GRID_004
    path = client.app.state.settings.jobs_dir.parent / "more.csv"  # type: ignore[attr-defined]
    header = "id,road,number,compound,building,unit,room,lon,lat"
    path.write_text(f"{header}\ndoor:胜利街:12,胜利街,12,,,,,{lon},{lat}\n", encoding="utf-8")
    import_registry(client.app.state.store, path)  # type: ignore[attr-defined]
    body = client.get("/api/v1/geocode", params={"q": "胜利街12号"}).json()
    assert body["match"]["level"] == "door" and body["match"]["id"] == "door:胜利街:12"
