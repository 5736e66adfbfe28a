"""GET /api/v1/grid-stats on both backends: the numbers of the household, incident and life-circle APIs in one
table, the same rows as CSV and XLSX, and household figures for planners only."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN
from tests.api.test_household_counts import add_households
from tests.api.test_incident_stats import COMMUNITY_1, COMMUNITY_2, october
from tests.api.test_lifecircle import town

__all__ = ["october", "town"]  # fixtures used here

STATS = "/api/v1/grid-stats"
HOUSEHOLD_KEYS = {"households", "people", "elderly_alone"}


@pytest.fixture
def planner(client: TestClient) -> dict[str, str]:
    return bearer(add_token(client, "规划员", Role.PLANNER))


def rows_by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in body["rows"]}


def keys(body: dict[str, Any]) -> list[str]:
    return [column["key"] for column in body["columns"]]


def test_household_figures_equal_the_counts_api_at_every_level(client: TestClient, planner: dict[str, str]) -> None:
    add_households(client)
    for level in ("community", "grid", "microgrid"):
        response = client.get(STATS, params={"level": level, "lifecircle": "false"}, headers=planner)
        assert response.status_code == 200, response.text
        body = response.json()
        counts = client.get("/api/v1/household-counts", params={"level": level}).json()["counts"]
        assert {r["code"]: (r["households"], r["people"], r["elderly_alone"]) for r in body["rows"]} == {
            c["code"]: (c["households"], c["people"], c["elderly_alone"]) for c in counts
        }
        assert {r["level"] for r in body["rows"]} == {level}
    grid = rows_by_code(client.get(STATS, params={"lifecircle": "false"}, headers=planner).json())
    assert grid[f"{COMMUNITY_1}001"]["households"] == 2 and grid[f"{COMMUNITY_1}001"]["households_target"] == 300


def test_viewers_and_the_public_get_no_household_columns(client: TestClient) -> None:
    add_households(client)
    viewer = bearer(add_token(client, "访客", Role.VIEWER))
    for headers in (viewer, {}):
        body = client.get(STATS, params={"lifecircle": "false"}, headers=headers).json()
        assert not HOUSEHOLD_KEYS & set(keys(body))
        assert all(not HOUSEHOLD_KEYS & set(row) for row in body["rows"])
        assert any("planner" in note for note in body["notes"])
        assert "households_target" in keys(body)  # a boundary property, public as the collections serve it
        csv_text = client.get(STATS, params={"lifecircle": "false", "format": "csv"}, headers=headers).text
        assert "Households" not in csv_text.splitlines()[0].replace("Target households", "")


def test_an_empty_register_is_said_rather_than_counted_as_zero(client: TestClient, planner: dict[str, str]) -> None:
    body = client.get(STATS, params={"lifecircle": "false"}, headers=planner).json()
    assert not HOUSEHOLD_KEYS & set(keys(body))
    assert any("未加载住户登记" in note for note in body["notes"])


def test_incident_figures_equal_the_incident_statistics(october: TestClient) -> None:
    for level, by in (("grid", "grid"), ("community", "community")):
        params = {"level": level, "month": "2026-10", "lifecircle": "false"}
        body = october.get(STATS, params=params).json()
        assert body["period"] == {"start": "2026-10-01T00:00:00+08:00", "end": "2026-11-01T00:00:00+08:00"}
        areas = october.get("/api/v1/incidents/stats", params={"by": by, "month": "2026-10"}).json()["areas"]
        expected = {a["area_code"]: (a["total"], a["share_within_24h"]) for a in areas}
        got = {code: (row["incidents"], row["on_time_rate"]) for code, row in rows_by_code(body).items()}
        assert {code: value for code, value in got.items() if value[0]} == expected
        assert all(value == (0, None) for code, value in got.items() if code not in expected)
    grid = rows_by_code(october.get(STATS, params={"month": "2026-10", "lifecircle": "false"}).json())
    # I-1 resolved (open until closed), I-2 rejected (final), I-3 reported; I-5 resolved.
    assert grid[f"{COMMUNITY_1}001"]["incidents_open"] == 2
    assert grid[f"{COMMUNITY_1}002"]["incidents_open"] == 0
    every = rows_by_code(october.get(STATS, params={"lifecircle": "false"}).json())
    assert every[f"{COMMUNITY_1}001"]["incidents"] == 3  # all time: November's I-4 too
    assert any("overdue" in note for note in october.get(STATS, params={"lifecircle": "false"}).json()["notes"])


def test_microgrids_count_their_own_incidents(october: TestClient) -> None:
    body = october.get(STATS, params={"level": "microgrid", "lifecircle": "false"}).json()
    counted = {code: row["incidents"] for code, row in rows_by_code(body).items() if row["incidents"]}
    assert counted == {f"{COMMUNITY_1}00101": 3, f"{COMMUNITY_1}00201": 1, f"{COMMUNITY_2}00101": 1}


def test_a_community_or_a_bbox_chooses_the_rows(client: TestClient) -> None:
    grids = rows_by_code(client.get(STATS, params={"community": COMMUNITY_2, "lifecircle": "false"}).json())
    assert sorted(grids) == [f"{COMMUNITY_2}00{n}" for n in range(1, 5)]
    micro = client.get(STATS, params={"community": COMMUNITY_1, "level": "microgrid", "lifecircle": "false"}).json()
    assert len(micro["rows"]) == 8 and all(r["code"].startswith(COMMUNITY_1) for r in micro["rows"])
    one = client.get(STATS, params={"community": COMMUNITY_1, "level": "community", "lifecircle": "false"}).json()
    assert [r["code"] for r in one["rows"]] == [COMMUNITY_1]
    west = client.get(STATS, params={"bbox": "119.5005,27.4505,119.5006,27.4506", "lifecircle": "false"}).json()
    assert len(west["rows"]) == 1 and west["rows"][0]["code"].startswith(COMMUNITY_1)
    assert_problem(client.get(STATS, params={"community": f"{TOWN}009"}), 404)
    assert_problem(client.get(STATS, params={"level": "street"}), 400)
    assert_problem(client.get(STATS, params={"since": "2026-10-01T00:00:00+08:00"}), 400)
    assert_problem(client.get(STATS, params={"version": 99}), 404)


def test_lifecircle_completeness_equals_the_coverage_api(town: TestClient) -> None:
    body = town.get(STATS, params={"level": "grid"}).json()
    assert [f"complete_{m}" for m in (5, 10, 15)] == keys(body)[-3:]
    coverage = town.get("/api/v1/lifecircle/coverage", params={"level": "grid"}).json()["areas"]
    expected = {a["code"]: [a["completeness"][m] for m in ("5", "10", "15")] for a in coverage if a["code"]}
    got = {code: [row[f"complete_{m}"] for m in (5, 10, 15)] for code, row in rows_by_code(body).items()}
    assert {code: value for code, value in got.items() if code in expected} == expected
    assert any(value[0] and value[0] > 0 for value in expected.values())
    assert all(value == [None, None, None] for code, value in got.items() if code not in expected)


def test_without_lifecircle_files_completeness_is_left_out_with_a_note(client: TestClient) -> None:
    body = client.get(STATS).json()
    assert not any(key.startswith("complete_") for key in keys(body))
    assert any("life-circle" in note for note in body["notes"])


def test_csv_and_xlsx_hold_the_rows_of_the_json(october: TestClient) -> None:
    add_households(october)
    planner = bearer(add_token(october, "规划员", Role.PLANNER))
    params = {"level": "grid", "month": "2026-10", "lifecircle": "false"}
    body = october.get(STATS, params=params, headers=planner).json()
    titles = [column["title"] for column in body["columns"]]
    expected = [[row[key] for key in keys(body)] for row in body["rows"]]

    answer = october.get(STATS, params={**params, "format": "csv"}, headers=planner)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM, so that Excel reads UTF-8
    assert "attachment" in answer.headers["content-disposition"]
    parsed = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert parsed[0] == titles
    assert parsed[1:] == [["" if value is None else str(value) for value in row] for row in expected]

    answer = october.get(STATS, params={**params, "format": "xlsx"}, headers=planner)
    assert answer.status_code == 200, answer.text
    workbook = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = workbook.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == titles
    assert values[1:] == expected
    share = keys(body).index("on_time_rate") + 1
    assert sheet.cell(row=2, column=share).number_format == "0.0%"
    assert "说明 Notes" in workbook.sheetnames
