"""Zip archives (a zipped Shapefile) checked before anything is unpacked: a guard against zip bombs.

A zip's directory states each member's packed and unpacked size. An archive is refused when its members
together unpack to more than the limit (the API uses settings.max_upload_bytes: an archive brings no more
than an upload of the files themselves may), or when a sizeable member is packed more tightly than data
ever is: boundary files pack 2 to 20 times, a .dbf of blank padding up to about 100 times, while a zip bomb
packs about 1,000 times. Python's zipfile stops each member at its stated size, so the stated sizes bound
what unpacking writes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from gridmap.errors import InvalidInput, PayloadTooLarge

MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
"""What the command line lets an archive unpack to (the API's default upload limit)."""
MAX_RATIO = 200
"""The tightest packing accepted for a member of more than `RATIO_FLOOR_BYTES`."""
RATIO_FLOOR_BYTES = 1024 * 1024


def archive_members(
    path: Path, *, max_bytes: int = MAX_UNZIPPED_BYTES, name: str | None = None
) -> list[zipfile.ZipInfo]:
    """The files in the zip archive at `path` (named `name` in messages), checked as the module says."""
    shown = name or str(path)
    try:
        with zipfile.ZipFile(path) as zipped:
            members = [member for member in zipped.infolist() if not member.is_dir()]
    except (zipfile.BadZipFile, OSError):
        msg = f"{shown}: not a readable zip archive"
        raise InvalidInput(msg) from None
    total = sum(member.file_size for member in members)
    if total > max_bytes:
        msg = f"{shown}: unpacks to {total:,} bytes, more than the limit of {max_bytes:,} bytes"
        raise PayloadTooLarge(msg)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            msg = (
                f"{shown}: {member.filename} is packed {ratio:,.0f} times (at most {MAX_RATIO} times for a member "
                f"over {RATIO_FLOOR_BYTES:,} bytes); refused as a likely zip bomb"
            )
            raise PayloadTooLarge(msg)
    return members
