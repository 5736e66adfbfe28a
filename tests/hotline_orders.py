"""12345 work-order files written by hand for the hotline tests, and stores that can place their addresses.

The orders name Shouning addresses of data/sample/addresses.csv (环城路33号 is a registered door, 胜利街12号 a
number on a registered road, 朝阳新村3幢 a registered building) and one on a road the registry does not know.
The CSV is written in GBK as Excel on Chinese Windows saves it; the XLSX holds what a spreadsheet does: the
order number as a number, the time as a date, and the caller's name and phone beside the order.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from gridmap.services.address_registry import import_registry
from gridmap.services.demo import load_demo_region
from gridmap.store import open_store
from tests.api.conftest import PublishedTemplate, copy_of_template, templates_filled_by

REPO = Path(__file__).resolve().parents[1]
HEADER = ["工单编号", "受理时间", "诉求内容", "事发地址", "诉求分类"]
RUBBISH, LIGHT, NOWHERE, NOISE = "GD20261127001", "GD20261127002", "GD20261127003", "GD20261127004"
ORDERS: list[list[str]] = [
    [RUBBISH, "2026-11-27 09:30:00", "楼下垃圾三天没人清运", "寿宁县鳌阳镇环城路33号", "城乡建设>环境卫生>垃圾清运"],
    [LIGHT, "2026/11/27 10:05", "路口路灯晚上不亮", "胜利街12号", "路灯"],
    [NOWHERE, "2026-11-27 11:00:00", "门口有人乱丢东西", "火星路999号", "环境卫生"],
    [NOISE, "2026-11-27 11:30:00", "隔壁装修太吵", "朝阳新村3幢", "装修扰民投诉"],
]
XLSX_HEADER = [*HEADER, "来电人", "联系电话"]
XLSX_NUMBER = 202611280001  # typed into the sheet as a number
XLSX_CALLER = ("王女士", "13800000000")
XLSX_ORDERS: list[list[object]] = [
    [
        XLSX_NUMBER,
        datetime(2026, 11, 28, 8, 15),
        "蟾溪路上有人占道卖菜",
        "蟾溪路8号",
        "城市管理/占道经营",
        *XLSX_CALLER,
    ],
]


def write_gbk_csv(path: Path, rows: Sequence[Sequence[str]] = ORDERS, header: Sequence[str] = HEADER) -> Path:
    """A CSV of orders in GBK, with CRLF line ends as Excel writes them."""
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]] = XLSX_ORDERS, header: Sequence[str] = XLSX_HEADER) -> Path:
    """A workbook of orders on its first sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def _load_sample_and_registry(url: str, folder: Path) -> None:
    with open_store(url, upgrade=url.startswith("sqlite")) as store:
        load_demo_region(store, REPO / "data")
        import_registry(store, REPO / "data" / "sample" / "addresses.csv")


@pytest.fixture(scope="session")
def hotline_templates(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> PublishedTemplate:
    """The URL of a database with the sample region published and its address registry imported, one per backend
    (about 1 s of CPU each, and more on PostGIS: made once, copied for each test). A module using
    hotline_store_url imports this fixture."""
    return templates_filled_by(_load_sample_and_registry, tmp_path_factory, request)


def hotline_store_url(backend: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """A store on `backend` with the sample region published and its address registry imported, the test's alone."""
    template: PublishedTemplate = request.getfixturevalue("hotline_templates")
    return copy_of_template(backend, template(backend), folder, request)
