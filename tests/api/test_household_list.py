"""GET /api/v1/grids/{code}/households: names and phones for planners, admins and the grid's own worker only."""

from __future__ import annotations

import logging

import pytest

from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN
from tests.api.test_household_counts import add_households

GRID_1 = f"{TOWN}001001"  # worker 张发敏, holds H1 and H2 in its west microgrid
GRID_2 = f"{TOWN}001002"  # worker 李秀英, empty


def households_of(client: TestClient, code: str, headers: dict[str, str] | None = None) -> object:
    return client.get(f"/api/v1/grids/{code}/households", headers=headers or {})


def test_planners_and_admins_get_every_field(client: TestClient) -> None:
    add_households(client)
    for role in (Role.PLANNER, Role.ADMIN):
        response = households_of(client, GRID_1, bearer(add_token(client, f"用户{role.value}", role)))
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
        body = response.json()  # type: ignore[attr-defined]
        assert (body["code"], body["version_id"], body["count"]) == (GRID_1, 1, 2)
        first = body["households"][0]
        assert (first["household_id"], first["head_name"], first["phone"]) == ("H1", "测试甲", "138****0001")
        assert (first["community_code"], first["grid_code"], first["microgrid_code"]) == (
            f"{TOWN}001",
            GRID_1,
            f"{GRID_1}01",
        )
        assert [h["household_id"] for h in body["households"]] == ["H1", "H2"]


def test_a_worker_lists_their_own_grid_and_its_microgrids_only(client: TestClient) -> None:
    add_households(client)
    worker = bearer(add_token(client, "张发敏", Role.WORKER))
    assert households_of(client, GRID_1, worker).json()["count"] == 2  # type: ignore[attr-defined]
    assert households_of(client, f"{GRID_1}01", worker).json()["count"] == 2  # type: ignore[attr-defined]
    assert households_of(client, f"{GRID_1}02", worker).json()["count"] == 0  # type: ignore[attr-defined]
    for code in (GRID_2, f"{GRID_2}01", f"{TOWN}001"):
        body = assert_problem(households_of(client, code, worker), 403)
        assert "测试" not in str(body)
    other = bearer(add_token(client, "李秀英", Role.WORKER))
    assert_problem(households_of(client, GRID_1, other), 403)
    assert households_of(client, GRID_2, other).json()["households"] == []  # type: ignore[attr-defined]


def test_viewers_and_anonymous_callers_never_see_households(client: TestClient) -> None:
    add_households(client)
    # a viewer named like the grid's worker is still a viewer
    for name in ("居民", "张发敏二"):
        response = households_of(client, GRID_1, bearer(add_token(client, name, Role.VIEWER)))
        body = assert_problem(response, 403)
        assert "测试" not in response.text and "138****" not in response.text and "viewer" in body["detail"]  # type: ignore[attr-defined]
    assert_problem(households_of(client, GRID_1), 401)
    assert_problem(households_of(client, GRID_1, bearer("not-a-token")), 401)


def test_unknown_codes_and_versions_are_404_for_planners(client: TestClient, planner_headers: dict[str, str]) -> None:
    add_households(client)
    assert_problem(households_of(client, f"{TOWN}001099", planner_headers), 404)
    response = client.get(f"/api/v1/grids/{GRID_1}/households", params={"version": 99}, headers=planner_headers)
    assert_problem(response, 404)


def test_listing_households_logs_no_names_or_phones(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    add_households(client)
    headers = bearer(add_token(client, "规划员", Role.PLANNER))
    with caplog.at_level(logging.DEBUG):
        response = households_of(client, GRID_1, headers)
        client.get("/api/v1/household-counts", headers=headers)
    assert "测试甲" in response.text  # type: ignore[attr-defined]  (the answer has them; the logs must not)
    assert any("/households" in record.getMessage() for record in caplog.records)  # the capture works
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for personal in ("测试甲", "测试乙", "138****0001", "胜利街"):
        assert personal not in logged
