"""Which encoding a text file (a CSV of households or addresses) is in, judged by its first megabyte.

Accepted: UTF-8 with or without a byte-order mark (BOM), UTF-16 with a BOM (what some spreadsheet programs
call "Unicode text"), and GBK/GB18030 (what Excel on Chinese Windows saves as CSV). Anything else is refused
with a message naming the file and these encodings, rather than read as garbage or failing half-way.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gridmap.errors import InvalidInput

EXPECTED_ENCODINGS = "UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030"
SNIFF_BYTES = 1 << 20
# A multi-byte character cut at the end of the sniffed bytes is not a reason to give up on an encoding.
_CUT_CHARACTER_BYTES = 4


def text_encoding(path: Path) -> str:
    """The codec to read `path` with; InvalidInput naming the file and the accepted encodings otherwise."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        msg = f"{path}: is UTF-32 text; save it as {EXPECTED_ENCODINGS}"
        raise InvalidInput(msg)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the BOM to choose the byte order
    if b"\x00" in head:
        msg = f"{path}: holds NUL bytes (UTF-16 without a BOM, or not text); save it as {EXPECTED_ENCODINGS}"
        raise InvalidInput(msg)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as err:
            if err.start < len(head) - _CUT_CHARACTER_BYTES:
                continue
        return encoding
    msg = f"{path}: not text in an accepted encoding; save it as {EXPECTED_ENCODINGS}"
    raise InvalidInput(msg)


@contextmanager
def decoding(path: Path, encoding: str) -> Iterator[None]:
    """Reading `path` as `encoding`: a file that stops decoding past its first megabyte becomes InvalidInput."""
    try:
        yield
    except UnicodeDecodeError as err:
        msg = f"{path}: stops being valid {encoding} text past its first megabyte ({err.reason}); save it as " + (
            EXPECTED_ENCODINGS
        )
        raise InvalidInput(msg) from None
