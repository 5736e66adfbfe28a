"""GET .../diff returns the households a boundary change would move: counts for all, ids for planners."""

from __future__ import annotations

from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN, region_features
from tests.store.conftest import frame_from
from tests.store.test_contract_household_impact import impact_households, moved_region

DIFF = "/api/v1/boundary-sets/default/diff"
GRID_1, GRID_2, GRID_4 = (f"{TOWN}001{n:03d}" for n in (1, 2, 4))
PAIRS = [{"from": GRID_2, "to": GRID_1, "count": 2}, {"from": GRID_4, "to": None, "count": 1}]


def add_draft(client: TestClient) -> int:
    """The moved region, stored as a draft of the set `default`, with the test households in the register."""
    store = client.app.state.store  # type: ignore[attr-defined]
    store.add_households(impact_households())
    draft = store.import_version("default", frame_from(moved_region(region_features())), who="t", why="moved")
    version_id: int = draft.id
    return version_id


def test_viewers_get_the_counts_per_pair_only(client: TestClient) -> None:
    draft = add_draft(client)
    viewer = bearer(add_token(client, "居民", Role.VIEWER))
    response = client.get(DIFF, params={"from": 1, "to": draft}, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["households"] == {"moved": 3, "pairs": PAIRS}
    assert {r["code"] for r in body["reshaped"]} >= {GRID_1, GRID_2, GRID_4}
    assert "MOVE-A" not in response.text and "测试" not in response.text and "138****" not in response.text


def test_planners_and_admins_also_get_the_households(client: TestClient) -> None:
    draft = add_draft(client)
    for role in (Role.PLANNER, Role.ADMIN):
        headers = bearer(add_token(client, f"用户{role.value}", role))
        households = client.get(DIFF, params={"from": 1, "to": draft}, headers=headers).json()["households"]
        assert households["moved"] == 3 and households["pairs"] == PAIRS
        by_id = {entry["household_id"]: entry for entry in households["households"]}
        assert set(by_id) == {"MOVE-A", "MOVE-B", "MOVE-OUT"}
        assert by_id["MOVE-A"]["from"] == {"community": f"{TOWN}001", "grid": GRID_2, "microgrid": f"{GRID_2}01"}
        assert by_id["MOVE-A"]["to"] == {"community": f"{TOWN}001", "grid": GRID_1, "microgrid": f"{GRID_1}02"}
        assert by_id["MOVE-OUT"]["to"] == {"community": f"{TOWN}001", "grid": None, "microgrid": None}


def test_workers_get_counts_only_and_drafts_still_need_a_token(client: TestClient) -> None:
    draft = add_draft(client)
    worker = bearer(add_token(client, "张发敏", Role.WORKER))
    assert "households" not in client.get(DIFF, params={"from": 1, "to": draft}, headers=worker).json()["households"]
    assert_problem(client.get(DIFF, params={"from": 1, "to": draft}), 401)
    same = client.get(DIFF, params={"from": 1, "to": 1}).json()
    assert same["households"] == {"moved": 0, "pairs": []}
