"""12345 hotline work-order files: read as CSV (GBK or UTF-8) or XLSX, written back as CSV or XLSX.

A file's first row names its columns. The Chinese headers hotline systems use (工单编号, 受理时间, 诉求内容,
事发地址, 诉求分类; 来电人 and 联系电话 where the file has them) and our field names are recognised;
`mapping` (column = field) names any other. Cells come back as text with the row number a spreadsheet shows
(the header is row 1), a spreadsheet's dates as `YYYY-MM-DD HH:MM:SS` and its whole numbers without `.0`;
what the text means (times, order numbers, classes) is for the caller. Nothing here logs a cell: the caller's
text, name, phone and address are personal data.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from gridmap.errors import InvalidInput
from gridmap.incidents.hotline import OrderProgress
from gridmap.incidents.stats import CHINA_TIME
from gridmap.io.archives import MAX_UNZIPPED_BYTES, archive_members
from gridmap.io.tables import Value, table_csv, table_xlsx
from gridmap.io.text import decoding, text_encoding

REQUIRED_FIELDS = ("order_number", "received_at", "text", "address", "category")
OPTIONAL_FIELDS = ("caller_name", "caller_phone")
ORDER_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
# Headers recognised without --map: those of common 12345 systems, and the field names themselves.
DEFAULT_HEADERS: dict[str, str] = {
    **{field: field for field in ORDER_FIELDS},
    **dict.fromkeys(("工单编号", "工单号", "工单编码", "工单号码"), "order_number"),
    **dict.fromkeys(("受理时间", "来电时间", "登记时间", "工单时间"), "received_at"),
    **dict.fromkeys(("诉求内容", "来电内容", "工单内容", "反映内容"), "text"),
    **dict.fromkeys(("事发地址", "诉求地址", "发生地址", "事发地点"), "address"),
    **dict.fromkeys(("诉求分类", "问题分类", "工单分类", "诉求类别"), "category"),
    **dict.fromkeys(("来电人", "来电人姓名", "联系人"), "caller_name"),
    **dict.fromkeys(("联系电话", "来电号码", "联系方式"), "caller_phone"),
}
# What the export writes, in order, under these headers unless `mapping` renames them.
EXPORT_HEADERS: dict[str, str] = {
    "order_number": "工单编号",
    "received_at": "受理时间",
    "status": "办理状态",
    "result": "办理结果",
    "accepted_at": "签收时间",
    "dispatched_at": "派遣时间",
    "resolved_at": "办结时间",
    "closed_at": "结案时间",
}
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME_FORMATS: tuple[str | None, ...] = (
    None,  # ISO 8601, with or without an offset
    TIME_FORMAT,
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y%m%d%H%M%S",
)


class OrderFormat(StrEnum):
    """The spreadsheet formats order files come and go in."""

    CSV = "csv"
    XLSX = "xlsx"


class TextEncoding(StrEnum):
    """How a CSV of orders is encoded: judged from the file (auto), or said."""

    AUTO = "auto"
    UTF8 = "utf-8"
    GBK = "gbk"


@dataclass(frozen=True)
class OrderRow:
    """One order as text by field (absent optional fields are ""), and its row in the file (header: row 1)."""

    row: int
    values: dict[str, str]


@dataclass(frozen=True)
class OrderFile:
    """The orders of a file, its format, and which column each field came from."""

    rows: list[OrderRow]
    format: OrderFormat
    columns: dict[str, str]  # field -> the file's header


def parse_mapping(entries: Sequence[str], fields: Sequence[str]) -> dict[str, str]:
    """`column=field` entries as {column: field}; InvalidInput for a malformed entry or an unknown field."""
    mapping: dict[str, str] = {}
    for entry in entries:
        column, sep, field = entry.partition("=")
        if not sep or not column.strip() or field.strip() not in fields:
            msg = f"map {entry!r}: write COLUMN=FIELD with FIELD one of {', '.join(fields)}"
            raise InvalidInput(msg)
        mapping[column.strip()] = field.strip()
    return mapping


def order_format(path: Path) -> OrderFormat:
    """The format a file's name says; InvalidInput for anything but CSV and XLSX."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return OrderFormat.CSV
    if suffix in XLSX_SUFFIXES:
        return OrderFormat.XLSX
    msg = f"{path.name}: an order file is a CSV (.csv) or an Excel workbook (.xlsx); save an .xls as .xlsx"
    raise InvalidInput(msg)


def read_orders(
    path: Path,
    *,
    encoding: TextEncoding = TextEncoding.AUTO,
    mapping: Mapping[str, str] | None = None,
    name: str | None = None,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
) -> OrderFile:
    """The orders of a CSV or XLSX file (named `name` in messages); InvalidInput when a required field has no column.

    An XLSX is a zip archive: it is checked as uploads are (`archive_members`, PayloadTooLarge beyond
    `max_unzipped_bytes`) before it is opened. Its first sheet is read.
    """
    shown = name or path.name
    kind = order_format(path)
    if kind is OrderFormat.CSV:
        codec = text_encoding(path) if encoding is TextEncoding.AUTO else _CODECS[encoding]
        with path.open(newline="", encoding=codec) as handle, decoding(path, codec):
            records = list(_numbered(csv.reader(handle)))
    else:
        archive_members(path, max_bytes=max_unzipped_bytes, name=shown)
        records = list(_numbered(_sheet_rows(path, shown)))
    if not records:
        msg = f"{shown}: holds no header row and no orders"
        raise InvalidInput(msg)
    _, header = records[0]
    columns = _columns(shown, header, mapping or {})
    index = {field: header.index(column) for field, column in columns.items()}
    rows = [
        OrderRow(number, {field: _cell(cells, index.get(field)) for field in ORDER_FIELDS})
        for number, cells in records[1:]
        if any(cell.strip() for cell in cells)
    ]
    return OrderFile(rows=rows, format=kind, columns=columns)


_CODECS = {TextEncoding.UTF8: "utf-8-sig", TextEncoding.GBK: "gb18030"}


def _numbered(rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each row with its number from 1, cells stripped of surrounding space."""
    for number, cells in enumerate(rows, start=1):
        yield number, [cell.strip() for cell in cells]


def _sheet_rows(path: Path, shown: str) -> Iterator[list[str]]:
    """The first sheet's rows as text (see `_text`)."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        msg = f"{shown}: not a readable Excel workbook ({type(exc).__name__})"
        raise InvalidInput(msg) from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_text(value) for value in values]
    finally:
        workbook.close()


def _text(value: Any) -> str:
    """A spreadsheet value as the text a CSV of it would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))  # an order number typed as a number comes back as 202611270001.0
    return str(value)


def _columns(shown: str, header: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Which header gives each field: `mapping` first, then the recognised headers; each field from one column."""
    columns: dict[str, str] = {}
    for column in header:
        field = mapping.get(column) or DEFAULT_HEADERS.get(column)
        if field is None:
            continue
        if field in columns:
            msg = f"{shown}: columns {columns[field]!r} and {column!r} both give {field}; name one with --map"
            raise InvalidInput(msg)
        columns[field] = column
    missing = [field for field in REQUIRED_FIELDS if field not in columns]
    if missing:
        msg = (
            f"{shown}: no column for {', '.join(missing)}; the columns are {', '.join(h for h in header if h)}. "
            "Name them with --map COLUMN=FIELD (e.g. --map 工单号码=order_number)"
        )
        raise InvalidInput(msg)
    return columns


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def parse_order_time(text: str) -> datetime:
    """An order's time: ISO 8601 with an offset, or one of the usual local forms read in China time."""
    text = text.strip()
    moment = next((parsed for form in _TIME_FORMATS if (parsed := _parsed(text, form))), None)
    if moment is None:
        msg = "the time is not a date and time such as 2026-11-27 09:30:00"
        raise InvalidInput(msg)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TIME)


def _parsed(text: str, form: str | None) -> datetime | None:
    """`text` read in `form` (ISO 8601 for None), naive when it gives no offset; None when it does not fit."""
    try:
        return datetime.fromisoformat(text) if form is None else datetime.strptime(text, form)
    except ValueError:
        return None


def write_orders(
    orders: Sequence[OrderProgress], *, format: OrderFormat, mapping: Mapping[str, str] | None = None
) -> bytes:
    """The orders' progress as a CSV (UTF-8 with BOM) or XLSX file; `mapping` (column = field) renames headers."""
    headers = dict(EXPORT_HEADERS)
    for column, field in (mapping or {}).items():
        headers[field] = column
    rows: list[list[Value]] = [
        [
            order.order_number,
            _local(order.received_at),
            order.status_words,
            order.result,
            _local(order.accepted_at),
            _local(order.dispatched_at),
            _local(order.resolved_at),
            _local(order.closed_at),
        ]
        for order in orders
    ]
    header = [headers[field] for field in EXPORT_HEADERS]
    if format is OrderFormat.CSV:
        return table_csv(header, rows)
    return table_xlsx(header, rows, title="工单办理情况")


def _local(moment: datetime | None) -> str | None:
    """A time in China time as hotline files write it; None stays an empty cell."""
    return None if moment is None else moment.astimezone(CHINA_TIME).strftime(TIME_FORMAT)
