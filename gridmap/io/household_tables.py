"""Household tables of any size, read and written a chunk of rows at a time.

In: CSV (UTF-8, UTF-16 with BOM or GBK; every cell read as text), Parquet or GeoParquet (one file or a folder
of them, e.g. a partitioned dataset), GeoPackage (the first layer). Geometry columns (GeoParquet, GeoPackage)
become `lon` and `lat` columns of their points (WGS-84 is assumed). Out: a CSV, or a folder of GeoParquet
files, one per chunk (`part-00000.parquet`, ...), with point geometry from the `lon`/`lat` columns given.

For engines that spread the rows over workers, a Parquet or GeoPackage table splits into `TablePartition`s (a
Parquet row group, a GeoPackage range of features) that each worker reads for itself, and a part file is written
under a hidden temporary name and renamed, so that a partition computed twice leaves one whole file.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.errors import InvalidInput, NotFound
from gridmap.io.text import decoding, text_encoding

PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")


def table_kind(path: Path) -> str:
    """csv, parquet or gpkg, judged by the name (a folder is a Parquet dataset); InvalidInput otherwise."""
    if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
        return "parquet"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    if path.suffix.lower() == ".gpkg":
        return "gpkg"
    msg = f"{path}: not a household table gridmap reads (CSV, Parquet or GeoParquet file or folder, GeoPackage)"
    raise InvalidInput(msg)


def count_table_rows(path: Path) -> int | None:
    """How many rows the table has, when that is cheap to know (Parquet metadata, GeoPackage); else None."""
    kind = table_kind(path)
    if kind == "parquet":
        import pyarrow.dataset as ds

        return int(ds.dataset(path, format="parquet").count_rows())
    if kind == "gpkg":
        import pyogrio

        return int(pyogrio.read_info(path)["features"])
    return None


def read_table_chunks(path: Path, *, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The table's rows, `chunk_rows` at a time; NotFound or InvalidInput naming the file when unreadable."""
    if not path.exists():
        msg = f"{path}: no such file or folder"
        raise NotFound(msg)
    kind = table_kind(path)
    if kind == "csv":
        yield from _csv_chunks(path, chunk_rows)
    elif kind == "parquet":
        yield from _parquet_chunks(path, chunk_rows)
    else:
        yield from _geopackage_chunks(path, chunk_rows)


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    encoding = text_encoding(path)
    with decoding(path, encoding):
        reader = pd.read_csv(
            path, encoding=encoding, dtype=str, keep_default_na=False, chunksize=chunk_rows, skip_blank_lines=True
        )
        with reader:
            yield from reader


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet")
    geometry = _geometry_column(dataset.schema.metadata or {})
    buffered: list[pd.DataFrame] = []
    held = 0
    for batch in dataset.to_batches(batch_size=chunk_rows):
        buffered.append(_points_as_lon_lat(batch.to_pandas(), geometry))
        held += len(buffered[-1])
        while held >= chunk_rows:  # batches follow files and row groups: regroup them into chunks
            whole = pd.concat(buffered, ignore_index=True)
            yield whole.iloc[:chunk_rows].reset_index(drop=True)
            rest = whole.iloc[chunk_rows:].reset_index(drop=True)
            buffered, held = [rest], len(rest)
    if held:
        yield pd.concat(buffered, ignore_index=True)


def _points_as_lon_lat(frame: pd.DataFrame, geometry: str | None) -> pd.DataFrame:
    """A Parquet frame with its WKB geometry column (when it has one) turned into lon/lat columns."""
    if geometry not in frame.columns:
        return frame
    return _with_lon_lat(frame.drop(columns=[geometry]), shapely.from_wkb(frame[geometry].to_numpy()))


def _geometry_column(metadata: dict[bytes, bytes]) -> str | None:
    """The primary geometry column a GeoParquet file names in its `geo` metadata."""
    geo = metadata.get(b"geo")
    if geo is None:
        return None
    column = json.loads(geo).get("primary_column")
    return str(column) if column else None


def _geopackage_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyogrio

    total = int(pyogrio.read_info(path)["features"])
    for start in range(0, total, chunk_rows):
        yield _geopackage_rows(path, start, chunk_rows)


def _geopackage_rows(path: Path, start: int, rows: int) -> pd.DataFrame:
    """`rows` features of a GeoPackage from `start` on, their points as lon/lat columns."""
    import pyogrio

    frame = pyogrio.read_dataframe(path, skip_features=start, max_features=rows)
    plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return _with_lon_lat(plain, np.asarray(frame.geometry, dtype=object))


def _with_lon_lat(frame: pd.DataFrame, geometries: np.ndarray) -> pd.DataFrame:
    """The frame with lon/lat columns of its points (NaN for missing or non-point geometries)."""
    points = shapely.get_type_id(geometries) == shapely.GeometryType.POINT
    lon, lat = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    lon[points], lat[points] = shapely.get_x(geometries[points]), shapely.get_y(geometries[points])
    return frame.assign(lon=lon, lat=lat)


class TableWriter:
    """Writes chunks of rows to a CSV (`.csv`) or to a folder of GeoParquet files (anything else)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.csv = out.suffix.lower() == ".csv"
        self.parts = 0
        if not self.csv:
            make_part_folder(out)

    def write(self, frame: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> None:
        """Append one chunk; its points are (lon, lat), missing where NaN."""
        if self.csv:
            frame.to_csv(
                self.out,
                mode="w" if self.parts == 0 else "a",
                header=self.parts == 0,
                index=False,
                encoding="utf-8",
                quoting=csv.QUOTE_MINIMAL,
            )
        else:
            write_part(frame, lon, lat, self.out / part_name(self.parts))
        self.parts += 1


def part_name(number: int) -> str:
    """The file name of part `number` of a partitioned GeoParquet output."""
    return f"part-{number:05d}.parquet"


def make_part_folder(out: Path) -> None:
    """Create the output folder of GeoParquet parts; InvalidInput when it exists and is not an empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        msg = f"{out}: exists; the partitioned GeoParquet output needs a new or empty folder"
        raise InvalidInput(msg)
    out.mkdir(parents=True, exist_ok=True)


def write_part(frame: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, path: Path) -> None:
    """Write one GeoParquet part, its points (lon, lat) missing where NaN, whole or not at all.

    It is written under a hidden name (which Parquet readers skip) and renamed: a partition written twice (a
    retried task) replaces the file with the same rows, and a reader never sees half of one.
    """
    located = np.isfinite(lon) & np.isfinite(lat)
    geometry = np.full(len(frame), None, dtype=object)
    geometry[located] = shapely.points(lon[located], lat[located])
    located_frame = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geometry, crs=4326)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    try:
        located_frame.to_parquet(temporary, index=False)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class TablePartition:
    """A piece of a table that a worker reads by itself: a Parquet file's row group, or a GeoPackage's
    `rows` features from `start`."""

    path: Path
    row_group: int = -1
    start: int = 0
    rows: int = 0

    def read(self) -> pd.DataFrame:
        """The partition's rows, geometry as lon/lat columns (as `read_table_chunks` gives them)."""
        if self.row_group < 0:
            return _geopackage_rows(self.path, self.start, self.rows)
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(self.path)
        frame = parquet.read_row_group(self.row_group).to_pandas()
        return _points_as_lon_lat(frame, _geometry_column(parquet.schema_arrow.metadata or {}))


def table_partitions(path: Path, *, chunk_rows: int) -> list[TablePartition] | None:
    """The table's partitions in row order: Parquet row groups (file by file), GeoPackage ranges of `chunk_rows`
    features; None for a CSV, which has no place to start reading but its beginning."""
    kind = table_kind(path)
    if kind == "csv":
        return None
    if kind == "gpkg":
        import pyogrio

        total = int(pyogrio.read_info(path)["features"])
        return [TablePartition(path, start=start, rows=chunk_rows) for start in range(0, total, chunk_rows)]
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    files = [Path(name) for name in ds.dataset(path, format="parquet").files]
    return [
        TablePartition(file, row_group=group)
        for file in files
        for group in range(pq.ParquetFile(file).metadata.num_row_groups)
    ]
