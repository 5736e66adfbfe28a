"""The 12345 bridge as a service on both backends: orders placed, routed, categorised and stored once; progress out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from gridmap.incidents.access import IncidentScope
from gridmap.incidents.hotline import class_map
from gridmap.incidents.model import Channel
from gridmap.incidents.stats import CHINA_TIME
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.io.orders import OrderFormat, read_orders, write_orders
from gridmap.services.address_registry import RegistryMatchers
from gridmap.services.boundaries import published_version
from gridmap.services.hotline import HotlineImport, HotlineImporter, export_orders, import_orders
from gridmap.services.incident_clock import default_rules
from gridmap.services.incidents import advance_incident
from gridmap.services.locator import LocatorCache
from gridmap.store import open_store
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.interface import BoundaryStore
from tests.api.conftest import BACKENDS
from tests.hotline_orders import (
    LIGHT,
    NOISE,
    NOWHERE,
    ORDERS,
    RUBBISH,
    XLSX_CALLER,
    XLSX_NUMBER,
    hotline_store_url,
    hotline_templates,  # noqa: F401 - a fixture, taken by hotline_store_url
    write_gbk_csv,
    write_xlsx,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BoundaryStore]:
    """The sample region published, its address registry imported, no incidents."""
    with open_store(hotline_store_url(request.param, tmp_path, request)) as opened:
        yield opened


def run_import(
    store: BoundaryStore, path: Path, *, dry_run: bool = False, scope: IncidentScope | None = None
) -> HotlineImport:
    importer = HotlineImporter(
        locators=LocatorCache(store),
        version=published_version(store),
        matcher=RegistryMatchers(store).get(),
        classes=class_map(default_taxonomy()),
        rules=default_rules(),
    )
    orders = read_orders(path)
    return import_orders(
        store=store,
        importer=importer,
        orders=orders,
        actor="规划员",
        role="planner",
        at=NOW,
        dry_run=dry_run,
        scope=scope,
    )


def stored(store: BoundaryStore) -> int:
    return store.list_incidents(IncidentFilter(), limit=1).matched


def test_a_gbk_csv_is_placed_routed_categorised_and_stored(store: BoundaryStore, tmp_path: Path) -> None:
    summary = run_import(store, write_gbk_csv(tmp_path / "orders.csv"))
    assert (summary.orders, summary.imported, summary.already_imported) == (4, 3, 0)
    assert [(n.row, n.order_number) for n in summary.not_imported] == [(4, NOWHERE)]
    assert "not in the address registry" in summary.not_imported[0].reason
    assert [(n.row, n.order_number) for n in summary.warnings] == [(5, NOISE)]
    assert summary.unknown_classes == {"装修扰民投诉": 1}
    assert summary.categories == {"living_environment": 1, "public_facilities": 1, "other": 1}
    rubbish = store.get_incident(f"12345-{RUBBISH}")
    assert rubbish.channel is Channel.CITIZEN_HOTLINE and rubbish.category == "living_environment"
    assert (rubbish.description, rubbish.address) == (ORDERS[0][2], ORDERS[0][3])
    assert rubbish.grid_code is not None and rubbish.grid_code.startswith("350924100")
    assert rubbish.state.reported_at == datetime(2026, 11, 27, 9, 30, tzinfo=CHINA_TIME)
    assert rubbish.audit[0].actor == "规划员"
    # 环城路33号 is a registered door: the incident stands where the registry puts it.
    assert (round(rubbish.lon, 6), round(rubbish.lat, 6)) == (119.5134, 27.463708)
    assert store.get_incident(f"12345-{LIGHT}").state.reported_at.astimezone(CHINA_TIME).minute == 5
    assert stored(store) == 3


def test_the_same_file_twice_adds_nothing_and_says_so(store: BoundaryStore, tmp_path: Path) -> None:
    path = write_gbk_csv(tmp_path / "orders.csv")
    run_import(store, path)
    again = run_import(store, path)
    assert (again.imported, again.already_imported) == (0, 3)
    assert [n.order_number for n in again.not_imported] == [NOWHERE]  # still unplaceable, still said
    assert stored(store) == 3
    # A later file repeating one order and bringing a new one adds only the new one.
    later = write_gbk_csv(tmp_path / "later.csv", [ORDERS[0], ["GD20261128009", *ORDERS[1][1:]]])
    assert (run_import(store, later).imported, stored(store)) == (1, 4)


def test_an_order_number_twice_in_a_file_is_imported_once(store: BoundaryStore, tmp_path: Path) -> None:
    summary = run_import(store, write_gbk_csv(tmp_path / "orders.csv", [ORDERS[0], ORDERS[0]]))
    assert summary.imported == 1
    assert [(n.row, n.order_number) for n in summary.not_imported] == [(3, RUBBISH)]
    assert "also on row 2" in summary.not_imported[0].reason


def test_a_dry_run_places_everything_and_stores_nothing(store: BoundaryStore, tmp_path: Path) -> None:
    summary = run_import(store, write_gbk_csv(tmp_path / "orders.csv"), dry_run=True)
    assert (summary.imported, summary.dry_run, len(summary.not_imported)) == (3, True, 1)
    assert stored(store) == 0


def test_an_xlsx_keeps_the_callers_contact_apart(store: BoundaryStore, tmp_path: Path) -> None:
    summary = run_import(store, write_xlsx(tmp_path / "orders.xlsx"))
    assert (summary.imported, summary.categories) == (1, {"parking_vending": 1})
    incident_id = f"12345-{XLSX_NUMBER}"  # the number typed as a number, read back without ".0"
    assert store.get_incident(incident_id).contact is None
    contact = store.incident_contact(incident_id).contact
    assert (contact.name, contact.phone) == XLSX_CALLER


def test_the_summary_holds_no_personal_data(store: BoundaryStore, tmp_path: Path) -> None:
    run_import(store, write_xlsx(tmp_path / "orders.xlsx"))
    text = json.dumps(run_import(store, write_gbk_csv(tmp_path / "orders.csv")).as_json(), ensure_ascii=False)
    for row in ORDERS:
        assert row[2] not in text and row[3] not in text
    assert "火星路" not in text


def test_the_export_reads_back_with_the_statuses_reached(store: BoundaryStore, tmp_path: Path) -> None:
    run_import(store, write_gbk_csv(tmp_path / "orders.csv"))
    rubbish, light = f"12345-{RUBBISH}", f"12345-{LIGHT}"
    steps = [("accepted", ""), ("dispatched", ""), ("in_progress", ""), ("resolved", "已清运"), ("closed", "")]
    for hour, (status, note) in enumerate(steps, start=9):
        at = datetime(2026, 11, 28, hour, tzinfo=CHINA_TIME)
        advance_incident(store=store, incident_id=rubbish, to=status, actor="规划员", role="planner", at=at, note=note)
    refused_at = datetime(2026, 11, 28, 15, tzinfo=CHINA_TIME)
    advance_incident(
        store=store, incident_id=light, to="rejected", actor="规划员", role="planner", at=refused_at, note="不属本社区"
    )
    orders = export_orders(store=store)
    rows = list(csv.DictReader(io.StringIO(write_orders(orders, format=OrderFormat.CSV).decode("utf-8-sig"))))
    by_number = {row["工单编号"]: row for row in rows}
    assert set(by_number) == {RUBBISH, LIGHT, NOISE}
    assert by_number[RUBBISH] == {
        "工单编号": RUBBISH,
        "受理时间": "2026-11-27 09:30:00",
        "办理状态": "已结案",
        "办理结果": "已清运",
        "签收时间": "2026-11-28 09:00:00",
        "派遣时间": "2026-11-28 10:00:00",
        "办结时间": "2026-11-28 12:00:00",
        "结案时间": "2026-11-28 13:00:00",
    }
    assert (by_number[LIGHT]["办理状态"], by_number[LIGHT]["办理结果"]) == ("不予受理", "不属本社区")
    assert by_number[LIGHT]["结案时间"] == "2026-11-28 15:00:00"
    assert (by_number[NOISE]["办理状态"], by_number[NOISE]["签收时间"]) == ("待受理", "")
    # The same rows in a workbook, and only the orders changed since a moment.
    changed = export_orders(store=store, since=datetime(2026, 11, 28, 14, tzinfo=CHINA_TIME))
    sheet = load_workbook(io.BytesIO(write_orders(changed, format=OrderFormat.XLSX))).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["工单编号", "受理时间", "办理状态"]
    assert [row[0] for row in values[1:]] == [LIGHT] and values[1][2] == "不予受理"


def test_a_scoped_dispatcher_imports_and_exports_only_their_orders(store: BoundaryStore, tmp_path: Path) -> None:
    elsewhere = IncidentScope(code_prefix="350924100099")  # a community none of the orders is in
    summary = run_import(store, write_gbk_csv(tmp_path / "orders.csv"), scope=elsewhere)
    assert (summary.imported, stored(store)) == (0, 0)
    outside = [n.order_number for n in summary.not_imported if "outside the grids you dispatch" in n.reason]
    assert outside == [RUBBISH, LIGHT, NOISE]
    run_import(store, tmp_path / "orders.csv")
    assert export_orders(store=store, scope=elsewhere) == []
    assert len(export_orders(store=store, scope=IncidentScope(code_prefix="350924"))) == 3
