"""The API's shared state on both backends: tokens that expire and are revoked, publishing against what the
publisher saw, and reads that never write (the forwarded-for attacks are in tests/security)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from gridmap.store.account_store import Role
from tests.api.conftest import AppFactory, TestClient, add_token, assert_problem, bearer
from tests.api.test_boundary_sets import VERSIONS, geojson_bytes, renamed_region, upload
from tests.api.test_household_counts import COMMUNITY_1, add_households

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def test_a_revoked_token_is_refused_at_once(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    token = add_token(client, "规划员", Role.PLANNER)
    assert client.get("/api/v1/incidents", headers=bearer(token)).status_code == 200
    [listed] = store.list_tokens()
    assert listed.last_used_at is not None  # the first use is noted

    store.revoke_token(listed.id, at=datetime.now(UTC))
    body = assert_problem(client.get("/api/v1/incidents", headers=bearer(token)), 401)
    assert "expired or revoked" in body["detail"]


def test_an_expired_token_is_refused(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    token = store.add_user("过期", Role.PLANNER, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert_problem(client.get("/api/v1/incidents", headers=bearer(token)), 401)


def test_a_second_publish_gets_409_naming_the_winner(client: TestClient, planner_headers: dict[str, str]) -> None:
    mine = upload(client, planner_headers, geojson_bytes(renamed_region()), reason="mine").json()["id"]
    theirs = upload(client, planner_headers, geojson_bytes(renamed_region()), reason="theirs").json()["id"]
    other = bearer(add_token(client, "另一位规划员", Role.PLANNER))
    assert client.post(f"{VERSIONS}/{theirs}/publish", json={"replaces": 1}, headers=other).status_code == 200

    refused = client.post(f"{VERSIONS}/{mine}/publish", json={"replaces": 1}, headers=planner_headers)
    body = assert_problem(refused, 409)
    assert (body["published_version"], body["published_by"]) == (theirs, "另一位规划员")
    assert f"version {theirs} was published by 另一位规划员" in body["detail"]
    # Without `replaces`, the default is what was published when the draft was made: version 1 too.
    assert_problem(client.post(f"{VERSIONS}/{mine}/publish", headers=planner_headers), 409)

    forced = client.post(f"{VERSIONS}/{mine}/publish", json={"force": True}, headers=planner_headers)
    assert forced.status_code == 200, forced.text
    assert client.get(f"{VERSIONS}/{theirs}").json()["status"] == "retired"


@pytest.fixture
def write_log(client: TestClient) -> Iterator[list[str]]:
    """Every SQL statement that writes, run on the client's store while the test runs."""
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_twenty_parallel_count_reads_all_succeed_and_write_nothing(
    client: TestClient, planner_headers: dict[str, str], write_log: list[str]
) -> None:
    add_households(client)
    draft = upload(client, planner_headers, geojson_bytes(renamed_region()), reason="draft").json()["id"]
    urls = [f"/api/v1/grids/{COMMUNITY_1}001/household-counts", "/api/v1/household-counts?level=grid"]
    urls += [f"{url}{'&' if '?' in url else '?'}version={draft}" for url in urls]
    # Drafts are read with a token; its first use is noted (a write at most once a minute), before the reads.
    assert client.get(urls[0], headers=planner_headers).status_code == 200
    write_log.clear()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda n: client.get(urls[n % len(urls)], headers=planner_headers), range(20)))

    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]
    assert {a.json()["households"] for a in answers if "households" in a.json()} == {2}
    assert write_log == []
    with client.app.state.store.engine.connect() as connection:  # type: ignore[attr-defined]
        placed = connection.execute(
            text("SELECT count(*) FROM household_placements WHERE version_id = :v"), {"v": draft}
        ).scalar_one()
    assert placed == 0  # the draft's households were placed in memory only


def test_publishing_places_the_households(client: TestClient, planner_headers: dict[str, str]) -> None:
    add_households(client)
    draft = upload(client, planner_headers, geojson_bytes(renamed_region()), reason="draft").json()["id"]
    assert client.post(f"{VERSIONS}/{draft}/publish", headers=planner_headers).status_code == 200
    assert client.app.state.store.has_placements(draft)  # type: ignore[attr-defined]
    assert client.get(f"/api/v1/grids/{COMMUNITY_1}001/household-counts").json()["households"] == 2


@pytest.mark.parametrize("backend", ["sqlite"])  # the pragmas are SQLite's own
def test_the_sqlite_store_runs_in_wal_mode_with_a_busy_timeout(make_client: AppFactory, backend: str) -> None:
    client = make_client()
    with client.app.state.store.engine.connect() as connection:  # type: ignore[attr-defined]
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 10_000
