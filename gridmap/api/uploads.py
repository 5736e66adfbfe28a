"""Uploaded files saved to a private temporary folder, the form the import services read: boundary files
(`saved_uploads`) and single table files such as 12345 work orders (`saved_upload`).

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
from gridmap.io.archives import archive_members

MAIN_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
SIDECAR_SUFFIXES = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
ZIP_SUFFIX = ".zip"


def safe_name(filename: str | None, index: int) -> str:
    """The last component of an uploaded file's name, with anything odd replaced (`file-N` when empty)."""
    raw = PureWindowsPath(PurePosixPath(filename or "").name).name
    cleaned = re.sub(r"[^\w.\-]", "_", raw).lstrip(".")
    return cleaned or f"file-{index}"


def _unzip(archive: Path, folder: Path, max_bytes: int) -> None:
    """The archive's boundary files unpacked into `folder` once its sizes pass the checks (413 otherwise)."""
    members = archive_members(archive, max_bytes=max_bytes, name=archive.name)
    try:
        with zipfile.ZipFile(archive) as zipped:
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
        with _named_as_uploaded(folder):
            yield folder


@contextmanager
def _named_as_uploaded(folder: Path) -> Iterator[None]:
    """Errors raised inside name files as the uploader did: the private folder is stripped from their messages."""
    try:
        yield
    except GridmapError as err:
        err.detail = err.detail.replace(f"{folder}/", "").replace(str(folder), "upload")
        err.args = (err.detail,)
        raise


@contextmanager
def saved_upload(upload: UploadFile, *, suffixes: Sequence[str], kind: str) -> Iterator[Path]:
    """The one uploaded file (a `kind` ending in one of `suffixes`) in a temporary folder, removed afterwards.

    The body's size is bounded by `BodySizeLimit` (413) before this runs; messages name the file as uploaded.
    """
    name = safe_name(upload.filename, 0)
    if Path(name).suffix.lower() not in suffixes:
        msg = f"{name}: not {kind}; upload a file ending in {', '.join(suffixes)}"
        raise InvalidInput(msg)
    with TemporaryDirectory(prefix="gridmap-upload-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        with _named_as_uploaded(Path(tmp)):
            yield path
