"""The 12345 bridge over HTTP on both backends: planners upload orders and download their progress."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gridmap.api.app import create_app
from gridmap.settings import Settings
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.hotline_orders import (
    LIGHT,
    NOWHERE,
    ORDERS,
    RUBBISH,
    XLSX_NUMBER,
    hotline_store_url,
    hotline_templates,  # noqa: F401 - a fixture, taken by hotline_store_url
    write_gbk_csv,
    write_xlsx,
)

IMPORT = "/api/v1/incidents/import-orders"
EXPORT = "/api/v1/incidents/export-orders"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """An app on a store with the sample region published and its address registry imported."""
    settings = Settings(
        database_url=hotline_store_url(backend, tmp_path, request),
        sample_dir=tmp_path / "sample",
        jobs_dir=tmp_path / "jobs",
        max_upload_bytes=1_000_000,
        tiles_url="",
        purge_interval_s=0,
    )
    with TestClient(create_app(settings)) as started:
        yield started


def upload(client: TestClient, path: Path, headers: dict[str, str], **form: str | list[str]) -> object:
    with path.open("rb") as handle:
        return client.post(IMPORT, files={"file": (path.name, handle.read())}, data=form, headers=headers)


def test_planners_import_orders_once(client: TestClient, tmp_path: Path) -> None:
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    orders = write_gbk_csv(tmp_path / "orders.csv")
    assert_problem(upload(client, orders, {}), 401)
    assert_problem(upload(client, orders, bearer(add_token(client, "张发敏", Role.WORKER))), 403)
    dry = upload(client, orders, planner, dry_run="true")
    assert dry.status_code == 200, dry.text
    assert (dry.json()["imported"], dry.json()["dry_run"]) == (3, True)
    first = upload(client, orders, planner).json()
    assert (first["imported"], first["already_imported"]) == (3, 0)
    assert first["not_imported"][0]["row"] == 4 and first["not_imported"][0]["order_number"] == NOWHERE
    assert ORDERS[0][2] not in str(first) and ORDERS[0][3] not in str(first)
    again = upload(client, orders, planner).json()
    assert (again["imported"], again["already_imported"]) == (0, 3)
    incident = client.get(f"/api/v1/incidents/12345-{RUBBISH}", headers=planner).json()
    assert (incident["channel"], incident["category"]) == ("12345", "living_environment")
    assert client.get("/api/v1/incidents", headers=planner).json()["matched"] == 3


def test_an_xlsx_and_mapped_columns(client: TestClient, tmp_path: Path) -> None:
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    body = upload(client, write_xlsx(tmp_path / "orders.xlsx"), planner).json()
    assert (body["imported"], body["categories"]) == (1, {"parking_vending": 1})
    renamed = write_gbk_csv(tmp_path / "renamed.csv", ORDERS[:1], header=["单号", "时间", "内容", "地点", "类别"])
    refused = assert_problem(upload(client, renamed, planner), 422)
    assert "no column for order_number, received_at, text, address, category" in refused["detail"]
    assert str(tmp_path) not in refused["detail"] and "gridmap-upload" not in refused["detail"]
    mapping = ["单号=order_number", "时间=received_at", "内容=text", "地点=address", "类别=category"]
    assert upload(client, renamed, planner, map=mapping).json()["imported"] == 1
    other = tmp_path / "orders.geojson"
    other.write_text("{}", encoding="utf-8")
    assert "CSV or XLSX" in assert_problem(upload(client, other, planner), 422)["detail"]


def test_export_after_transitions_reads_back(client: TestClient, tmp_path: Path) -> None:
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    upload(client, write_gbk_csv(tmp_path / "orders.csv"), planner)
    upload(client, write_xlsx(tmp_path / "orders.xlsx"), planner)
    light = f"/api/v1/incidents/12345-{LIGHT}/transitions"
    for step in ({"to": "accepted"}, {"to": "dispatched"}):
        assert client.post(light, json=step, headers=planner).status_code == 200
    assert_problem(client.get(EXPORT), 401)
    answer = client.get(EXPORT, headers=planner)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = {row["工单编号"]: row for row in csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))}
    assert (rows[LIGHT]["办理状态"], rows[RUBBISH]["办理状态"]) == ("已派遣", "待受理")
    assert rows[LIGHT]["签收时间"] and rows[LIGHT]["派遣时间"] and not rows[LIGHT]["结案时间"]
    workbook = client.get(f"{EXPORT}?format=xlsx&since=2026-11-01", headers=planner)
    assert workbook.headers["content-type"] == XLSX_TYPE
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {RUBBISH, LIGHT, "GD20261127004", str(XLSX_NUMBER)}
    assert_problem(client.get(f"{EXPORT}?since=yesterday", headers=planner), 400)
