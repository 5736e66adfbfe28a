"""GET /api/v1/incident-scores on both backends: the rates of hand-built histories, scope, CSV and XLSX."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from gridmap.store.account_store import Role
from gridmap.store.interface import BoundaryStore
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.incidents.histories import GRID_1, History, china

SCORES = "/api/v1/incident-scores"
OTHER_COMMUNITY_GRID = "350924100002001"


@pytest.fixture
def scored(client: TestClient) -> TestClient:
    """Four November incidents in two communities, one in December (outside the period)."""
    steps = (china(11, 24, 9, 30), china(11, 24, 10))
    histories = [
        History.reported(1, china(11, 24, 9)).handled(*steps, china(11, 25, 9)).rated(5, china(11, 26, 9)),
        History.reported(2, china(11, 24, 9)).handled(*steps, china(11, 30, 9)).rated(3, china(12, 1, 9)),
        History.reported(3, china(11, 24, 9)).to("accepted", china(11, 24, 14)),
        History.reported(4, china(11, 24, 9), grid=OTHER_COMMUNITY_GRID, category="parking_spaces"),
        History.reported(5, china(12, 1, 9)),
    ]
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    for history in histories:
        store.create_incident(history.incident)
    return client


def test_scores_per_grid_for_a_month(scored: TestClient, planner_headers: dict[str, str]) -> None:
    body = scored.get(f"{SCORES}?by=grid&month=2026-11", headers=planner_headers).json()
    assert body["by"] == "grid"
    assert body["period"]["start"].startswith("2026-11-01T00:00:00+08:00")
    rows = {row["key"]: row for row in body["rows"]}
    assert set(rows) == {GRID_1, OTHER_COMMUNITY_GRID}
    grid = rows[GRID_1]
    assert (grid["reports"], grid["filed"], grid["response_due"], grid["responded_on_time"]) == (3, 3, 3, 2)
    assert grid["response_rate"] == pytest.approx(0.6667)
    # Resolved the next day (on time) and six days later (past Friday 10:00: late).
    assert (grid["resolution_due"], grid["resolved_on_time"], grid["resolution_rate"]) == (2, 1, 0.5)
    assert (grid["rated"], grid["satisfied"], grid["satisfaction_rate"]) == (2, 1, 0.5)
    assert grid["reopen_rate"] == 0.0
    keys = [column["key"] for column in body["columns"]]
    assert keys[0] == "key" and "response_rate" in keys and "satisfaction_rate" in keys
    assert any("mileage" in note for note in body["notes"])


def test_scores_per_category_name_the_categories(scored: TestClient, planner_headers: dict[str, str]) -> None:
    body = scored.get(f"{SCORES}?by=category&month=2026-11", headers=planner_headers).json()
    names = {row["key"]: row["name"] for row in body["rows"]}
    assert names["parking_spaces"].startswith("停车位")
    assert {row["key"]: row["reports"] for row in body["rows"]} == {"other": 3, "parking_spaces": 1}


def test_a_scoped_dispatcher_scores_their_community_only(scored: TestClient) -> None:
    store: BoundaryStore = scored.app.state.store  # type: ignore[attr-defined]
    scoped = bearer(store.add_user("社区调度", Role.PLANNER, scope="350924100002"))
    rows = scored.get(f"{SCORES}?by=community&month=2026-11", headers=scoped).json()["rows"]
    assert [(row["key"], row["reports"]) for row in rows] == [("350924100002", 1)]


def test_workers_and_anonymous_callers_are_refused(scored: TestClient) -> None:
    assert_problem(scored.get(f"{SCORES}?month=2026-11"), 401)
    worker = bearer(add_token(scored, "张发敏", Role.WORKER))
    assert_problem(scored.get(f"{SCORES}?month=2026-11", headers=worker), 403)


def test_bad_parameters_are_400s(scored: TestClient, planner_headers: dict[str, str]) -> None:
    assert "period" in assert_problem(scored.get(SCORES, headers=planner_headers), 400)["detail"]
    assert_problem(scored.get(f"{SCORES}?month=2026-13", headers=planner_headers), 400)
    assert_problem(scored.get(f"{SCORES}?month=2026-11&by=mileage", headers=planner_headers), 400)


def test_csv_and_xlsx_hold_the_same_rows(scored: TestClient, planner_headers: dict[str, str]) -> None:
    answer = scored.get(f"{SCORES}?by=grid&month=2026-11&format=csv", headers=planner_headers)
    assert answer.headers["content-type"].startswith("text/csv")
    assert "incident-scores-grid-2026-11-01.csv" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][0] == "网格 Grid" and "按时响应率 Response rate" in rows[0]
    by_key = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_key[GRID_1]["按时处置率 Resolution rate"] == "0.5"
    workbook = openpyxl.load_workbook(
        io.BytesIO(scored.get(f"{SCORES}?by=grid&month=2026-11&format=xlsx", headers=planner_headers).content)
    )
    sheet = workbook["考核 Scores"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("按时处置率 Resolution rate") + 1
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells[GRID_1][column - 1].value == 0.5
    assert cells[GRID_1][column - 1].number_format == "0.0%"
    assert any("mileage" in str(row[0].value) for row in workbook["说明 Notes"].iter_rows())
