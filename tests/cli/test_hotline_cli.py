"""`gridmap incidents import-orders` and `export-orders` on both backends, as a dispatcher runs them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.store import open_store
from gridmap.store.incident_store import IncidentFilter
from tests.api.conftest import BACKENDS
from tests.hotline_orders import (
    HEADER,
    LIGHT,
    NOISE,
    NOWHERE,
    ORDERS,
    RUBBISH,
    hotline_store_url,
    hotline_templates,  # noqa: F401 - a fixture, taken by hotline_store_url
    write_gbk_csv,
)

runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store with the sample region published and its address registry, no incidents."""
    return hotline_store_url(request.param, tmp_path, request)


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, " ".join(result.output.split())


def test_import_twice_then_export_the_progress(store_url: str, tmp_path: Path) -> None:
    orders = write_gbk_csv(tmp_path / "orders.csv")
    code, output = run("incidents", "import-orders", orders, "--store", store_url)
    assert code == 0, output
    assert "4 orders in orders.csv: 3 imported" in output
    assert "not imported: 1" in output and NOWHERE in output and "not in the address registry" in output
    assert f"row 5, order {NOISE}: unknown 12345 class '装修扰民投诉'" in output
    assert ORDERS[0][2] not in output and "火星路" not in output  # no caller's text, no address
    code, output = run("incidents", "import-orders", orders, "--store", store_url)
    assert code == 0 and "0 imported" in output and "3 imported before: nothing added for them" in output
    with open_store(store_url) as store:
        assert store.list_incidents(IncidentFilter(), limit=1).matched == 3
    out = tmp_path / "progress.csv"
    code, output = run("incidents", "export-orders", "--out", out, "--store", store_url)
    assert code == 0 and "3 orders written" in output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["工单编号"]: row["办理状态"] for row in rows} == {RUBBISH: "待受理", LIGHT: "待受理", NOISE: "待受理"}


def test_other_headers_are_named_with_map_and_a_dry_run_stores_nothing(store_url: str, tmp_path: Path) -> None:
    renamed = ["单号", *HEADER[1:]]
    orders = write_gbk_csv(tmp_path / "orders.csv", ORDERS[:1], header=renamed)
    code, output = run("incidents", "import-orders", orders, "--store", store_url, "--dry-run")
    assert code == 2 and "no column for order_number" in output and "--map" in output
    code, output = run(
        "incidents", "import-orders", orders, "--store", store_url, "--map", "单号=order_number", "--dry-run"
    )
    assert code == 0 and "1 would be imported (dry run: nothing stored)" in output
    with open_store(store_url) as store:
        assert store.list_incidents(IncidentFilter(), limit=1).matched == 0
    code, output = run("incidents", "import-orders", orders, "--store", store_url, "--map", "单号=number")
    assert code == 2 and "FIELD one of order_number" in output


def test_bad_files_and_options_are_explained(store_url: str, tmp_path: Path) -> None:
    old = tmp_path / "orders.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    code, output = run("incidents", "import-orders", old, "--store", store_url)
    assert code == 2 and "save an .xls as .xlsx" in output
    out = tmp_path / "progress.xlsx"
    code, output = run("incidents", "export-orders", "--out", out, "--store", store_url, "--since", "last week")
    assert code == 2 and "is not a date" in output and not out.exists()
