"""Reading 12345 order files: encodings, spreadsheets' values, headers recognised or mapped, times."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from gridmap.errors import InvalidInput, PayloadTooLarge
from gridmap.incidents.stats import CHINA_TIME
from gridmap.io.orders import TextEncoding, parse_mapping, parse_order_time, read_orders
from tests.hotline_orders import HEADER, ORDERS, XLSX_NUMBER, write_gbk_csv, write_xlsx


def test_a_gbk_csv_is_detected_and_read_with_row_numbers(tmp_path: Path) -> None:
    orders = read_orders(write_gbk_csv(tmp_path / "orders.csv"))
    assert [row.row for row in orders.rows] == [2, 3, 4, 5]
    assert orders.rows[0].values["text"] == ORDERS[0][2] and orders.rows[0].values["caller_name"] == ""
    with pytest.raises(InvalidInput, match="valid utf-8-sig"):
        read_orders(tmp_path / "orders.csv", encoding=TextEncoding.UTF8)


def test_a_spreadsheets_numbers_and_dates_read_as_their_text(tmp_path: Path) -> None:
    (row,) = read_orders(write_xlsx(tmp_path / "orders.xlsx")).rows
    assert (row.values["order_number"], row.values["received_at"]) == (str(XLSX_NUMBER), "2026-11-28 08:15:00")
    assert row.values["caller_phone"] == "13800000000"


def test_columns_are_mapped_or_named_as_missing(tmp_path: Path) -> None:
    path = write_gbk_csv(tmp_path / "orders.csv", ORDERS[:1], header=["单号", *HEADER[1:]])
    with pytest.raises(InvalidInput, match=r"no column for order_number; the columns are 单号, 受理时间"):
        read_orders(path)
    mapped = read_orders(path, mapping=parse_mapping(["单号=order_number"], ["order_number"]))
    assert mapped.rows[0].values["order_number"] == ORDERS[0][0]
    twice = write_gbk_csv(tmp_path / "twice.csv", [], header=[*HEADER, "工单号"])
    with pytest.raises(InvalidInput, match="both give order_number"):
        read_orders(twice)


def test_a_workbook_that_unpacks_too_far_is_refused_unopened(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "orders.xlsx")
    with zipfile.ZipFile(path, "a") as book:
        book.writestr("xl/padding.bin", b"\0" * 3_000_000, compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(PayloadTooLarge):
        read_orders(path)


@pytest.mark.parametrize(
    "text",
    ["2026-11-27 09:30:00", "2026/11/27 09:30", "2026年11月27日 09:30", "2026-11-27T01:30:00+00:00", "20261127093000"],
)
def test_order_times_in_the_usual_forms(text: str) -> None:
    assert parse_order_time(text) == datetime(2026, 11, 27, 9, 30, tzinfo=CHINA_TIME)


def test_a_time_that_is_no_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a date and time"):
        parse_order_time("上午九点")
