"""Tables as spreadsheet files: CSV that Excel opens in UTF-8, and XLSX (openpyxl) with numbers kept as numbers.

A table is its header (the column titles), its rows (one value per column: text, int, float or None for an
empty cell) and which columns hold shares (0 to 1), which XLSX shows as percentages. The same rows come back
from either file: `csv.reader` (after the byte-order mark) gives them as text, openpyxl as values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

Value = str | int | float | None
CSV_ENCODING = "utf-8-sig"  # the byte-order mark is how Excel knows the file is UTF-8 (else it reads GBK)
SHARE_FORMAT = "0.0%"
MAX_WIDTH = 40


def table_csv(header: Sequence[str], rows: Sequence[Sequence[Value]]) -> bytes:
    """The table as CSV bytes (UTF-8 with a byte-order mark, CRLF line ends); None is an empty cell."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return text.getvalue().encode(CSV_ENCODING)


def table_xlsx(
    header: Sequence[str],
    rows: Sequence[Sequence[Value]],
    *,
    title: str,
    shares: Sequence[int] = (),
    notes: Sequence[str] = (),
) -> bytes:
    """The table as an XLSX workbook: a sheet `title` with a frozen header row (columns `shares` shown as
    percentages), and the notes, one per row, on a second sheet when there are any."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    for index in shares:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell.number_format = SHARE_FORMAT
    for index, name in enumerate(header):
        width = max([len(str(name)), *(len(str(row[index])) for row in rows if row[index] is not None)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(MAX_WIDTH, width + 2)
    if notes:
        sheet_notes = workbook.create_sheet("说明 Notes")
        for note in notes:
            sheet_notes.append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
