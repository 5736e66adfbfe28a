"""The geocoder's review queue over the API: candidates of unsure answers, and a pick stored as an alias."""

from __future__ import annotations

from pathlib import Path

from gridmap.services.address_registry import import_registry
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.boundary_builders import LAT0, LON0, STEP

LOOK_ALIKE = "金域花园1栋101室"  # one character off 金城花园, and not a slip of the pen: never taken alone


def write_registry(client: TestClient) -> None:
    """Two compounds with rooms and a road of door plates, imported into the app's store."""
    path: Path = client.app.state.settings.jobs_dir.parent / "review.csv"  # type: ignore[attr-defined]
    rows = [f"door:胜利街:{n},胜利街,{n},,,,,{LON0 + 1.5 * STEP:.7f},{LAT0 + 0.5 * STEP:.7f}" for n in (2, 4, 6)]
    for compound, dx in (("金城花园", 0.2), ("鳌峰花园", 0.6)):
        for room in ("101", "102"):
            lon, lat = LON0 + dx * STEP, LAT0 + 0.3 * STEP
            rows.append(f"room:{compound}:1:-:{room},,,{compound},1,,{room},{lon:.7f},{lat:.7f}")
    path.write_text("id,road,number,compound,building,unit,room,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    import_registry(client.app.state.store, path)  # type: ignore[attr-defined]


def test_an_unsure_answer_lists_its_candidates_with_why(client: TestClient) -> None:
    write_registry(client)
    plain = client.get("/api/v1/geocode", params={"q": LOOK_ALIKE}).json()
    assert plain["status"] == "needs_review" and "candidates" not in plain
    body = client.get("/api/v1/geocode", params={"q": LOOK_ALIKE, "candidates": 3}).json()
    assert body["match"]["level"] == "none"
    first = body["candidates"][0]
    assert first["id"] == "room:金城花园:1:-:101" and first["address"] == "金城花园1栋101室"
    assert 0 < first["confidence"] < 0.9 and "金域花园 read as 金城花园" in first["reason"]
    assert first["alias"] == {"kind": "compound", "name": "金城花园", "alias": "金域花园"}
    assert first["wgs84"]["lon"] > 0
    assert len(body["candidates"]) <= 3
    assert [c["confidence"] for c in body["candidates"]] == sorted(
        (c["confidence"] for c in body["candidates"]), reverse=True
    )
    sure = client.get("/api/v1/geocode", params={"q": "胜利街4号", "candidates": 3}).json()
    assert sure["status"] == "matched" and sure["candidates"] == []
    assert_problem(client.get("/api/v1/geocode", params={"q": LOOK_ALIKE, "candidates": 9}), 400)


def test_a_picked_candidate_is_stored_as_an_alias_and_matches_next_time(client: TestClient) -> None:
    write_registry(client)
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    batch = client.post("/api/v1/geocode/review", json={"addresses": [LOOK_ALIKE, "胜利街4号"]}, headers=planner)
    assert batch.status_code == 200, batch.text
    unsure, sure = batch.json()["results"]
    assert (unsure["status"], sure["status"]) == ("needs_review", "matched")
    pick = unsure["candidates"][0]["alias"]
    stored = client.post("/api/v1/geocode/aliases", json=pick, headers=planner)
    assert stored.status_code == 201, stored.text
    assert stored.json()["stored"] is True
    again = client.get("/api/v1/geocode", params={"q": LOOK_ALIKE}).json()
    assert again["status"] == "matched" and again["match"]["id"] == "room:金城花园:1:-:101"
    assert client.post("/api/v1/geocode/aliases", json=pick, headers=planner).json()["stored"] is False


def test_alias_writes_need_a_planner_and_a_registry_name(client: TestClient) -> None:
    write_registry(client)
    pick = {"kind": "compound", "name": "金城花园", "alias": "金域花园"}
    assert client.post("/api/v1/geocode/aliases", json=pick).status_code == 401
    viewer = bearer(add_token(client, "查看员", Role.VIEWER))
    assert client.post("/api/v1/geocode/aliases", json=pick, headers=viewer).status_code == 403
    assert client.post("/api/v1/geocode/review", json={"addresses": [LOOK_ALIKE]}, headers=viewer).status_code == 403
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    unknown = {"kind": "compound", "name": "金域花园", "alias": "金玉花园"}
    assert (
        "no compound of that name"
        in assert_problem(client.post("/api/v1/geocode/aliases", json=unknown, headers=planner), 422)["detail"]
    )
    taken = {"kind": "compound", "name": "金城花园", "alias": "鳌峰花园"}
    assert_problem(client.post("/api/v1/geocode/aliases", json=taken, headers=planner), 422)
    assert client.app.state.store.address_aliases() == []  # type: ignore[attr-defined]
