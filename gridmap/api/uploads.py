"""Uploaded boundary files saved to a private temporary folder, the form the import service reads.

Names are reduced to their last component (no path tricks), zip archives (a zipped Shapefile) are unpacked
with the same care, and messages about the files name them as the uploader did, not by server paths.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath
from tempfile import TemporaryDirectory

from fastapi import UploadFile

from gridmap.errors import GridmapError, InvalidInput

MAIN_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
SIDECAR_SUFFIXES = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
ZIP_SUFFIX = ".zip"
# An archive may unpack to at most this many times the upload limit (a guard against zip bombs).
MAX_UNZIP_RATIO = 10


def safe_name(filename: str | None, index: int) -> str:
    """The last component of an uploaded file's name, with anything odd replaced (`file-N` when empty)."""
    raw = PureWindowsPath(PurePosixPath(filename or "").name).name
    cleaned = re.sub(r"[^\w.\-]", "_", raw).lstrip(".")
    return cleaned or f"file-{index}"


def _unzip(archive: Path, folder: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > max_bytes * MAX_UNZIP_RATIO:
                msg = f"{archive.name}: unpacks to more than {MAX_UNZIP_RATIO} times the upload limit"
                raise InvalidInput(msg)
            for number, member in enumerate(members):
                name = safe_name(member.filename, number)
                if Path(name).suffix.lower() not in MAIN_SUFFIXES + SIDECAR_SUFFIXES:
                    continue
                with zipped.open(member) as source, (folder / name).open("wb") as target:
                    shutil.copyfileobj(source, target)
    except zipfile.BadZipFile:
        msg = f"{archive.name}: not a readable zip archive"
        raise InvalidInput(msg) from None
    archive.unlink()


@contextmanager
def saved_uploads(files: Sequence[UploadFile], *, max_bytes: int) -> Iterator[Path]:
    """A temporary folder holding the uploaded boundary files (removed afterwards)."""
    if not files:
        msg = "no file was uploaded: send one or more boundary files in the multipart field 'file'"
        raise InvalidInput(msg)
    with TemporaryDirectory(prefix="gridmap-upload-") as tmp:
        folder = Path(tmp)
        for index, upload in enumerate(files):
            name = safe_name(upload.filename, index)
            suffix = Path(name).suffix.lower()
            if suffix not in (*MAIN_SUFFIXES, *SIDECAR_SUFFIXES, ZIP_SUFFIX):
                msg = (
                    f"{name}: not a boundary file; upload GeoJSON (.geojson/.json), GeoPackage (.gpkg), "
                    "a Shapefile (.shp with .shx, .dbf, .prj) or a .zip of one"
                )
                raise InvalidInput(msg)
            with (folder / name).open("wb") as target:
                shutil.copyfileobj(upload.file, target)
            if suffix == ZIP_SUFFIX:
                _unzip(folder / name, folder, max_bytes)
        if not any(p.suffix.lower() in MAIN_SUFFIXES for p in folder.iterdir()):
            msg = "the upload holds no boundary file (.geojson, .json, .gpkg or .shp)"
            raise InvalidInput(msg)
        try:
            yield folder
        except GridmapError as err:
            # Name files as the uploader did: strip the private folder from the message.
            err.detail = err.detail.replace(f"{folder}/", "").replace(str(folder), "upload")
            err.args = (err.detail,)
            raise
