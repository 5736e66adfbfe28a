"""`gridmap incidents scores` on both backends: printed, written as XLSX and CSV, and refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.store import open_store
from tests.api.conftest import BACKENDS, database_url
from tests.incidents.histories import GRID_1, History, china

runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store holding two November incidents of one grid: one filed on time, one late."""
    url = database_url(request.param, tmp_path, request)
    with open_store(url, upgrade=url.startswith("sqlite")) as store:
        store.create_incident(History.reported(1, china(11, 24, 9)).to("accepted", china(11, 24, 10)).incident)
        store.create_incident(History.reported(2, china(11, 24, 9)).to("accepted", china(11, 24, 15)).incident)
    return url


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, " ".join(result.output.split())


def test_scores_printed_and_written(store_url: str, tmp_path: Path) -> None:
    code, output = run("incidents", "scores", "--period", "2026-11", "--store", store_url)
    assert code == 0, output
    assert GRID_1 in output and "50.0%" in output
    out = tmp_path / "scores.xlsx"
    code, output = run(
        "incidents", "scores", "--by", "worker", "--period", "2026-11", "--out", out, "--store", store_url
    )
    assert code == 0 and "1 rows of scores by worker written" in output
    sheet = openpyxl.load_workbook(out)["考核 Scores"]
    header = [cell.value for cell in sheet[1]]
    [row] = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert row[0] == "张发敏" and row[header.index("按时响应率 Response rate")] == 0.5
    out_csv = tmp_path / "scores.csv"
    assert run("incidents", "scores", "--period", "2026-10", "--out", out_csv, "--store", store_url)[0] == 0
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle))[1:] == []  # nothing reported in October


def test_bad_input_exits_non_zero(store_url: str, tmp_path: Path) -> None:
    code, output = run("incidents", "scores", "--period", "2026/11", "--store", store_url)
    assert code != 0 and "YYYY-MM" in output
    code, output = run("incidents", "scores", "--period", "2026-11", "--out", tmp_path / "x.pdf", "--store", store_url)
    assert code != 0 and ".csv or .xlsx" in output
    assert run("incidents", "scores", "--period", "2026-11", "--by", "mileage", "--store", store_url)[0] != 0
