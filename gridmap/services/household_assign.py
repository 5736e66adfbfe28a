"""Households of any number assigned to a boundary version: each row gets its community, grid and microgrid
codes, and a row outside every grid the nearest grid and how far it is.

Rows stream in chunks (`chunk_rows`), so memory is bounded by a chunk and not by the file; the answers do not
depend on the chunk size. Rows with lon/lat columns are placed by them (converted to WGS-84 from `datum`);
rows without, by their address when a matcher is given (the geocoding service's rule). Nothing here logs or
prints row contents: the summary holds counts only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmap.address.match import AddressMatcher
from gridmap.errors import InvalidInput
from gridmap.geo.crs import Datum, to_wgs84
from gridmap.geo.hierarchy import Level
from gridmap.io.household_tables import TableWriter, read_table_chunks
from gridmap.services.boundary_layers import BoundaryLayers
from gridmap.services.geocode import LAT_COLUMNS, LON_COLUMNS

CHUNK_ROWS = 2_000_000


@dataclass
class AssignSummary:
    """Counts of one run: rows, how they were located, and covered or not at each level."""

    rows: int = 0
    by_coordinates: int = 0
    by_address: int = 0
    unlocated: int = 0
    covered: dict[str, int] = field(default_factory=lambda: {level.value: 0 for level in Level})
    uncovered: dict[str, int] = field(default_factory=lambda: {level.value: 0 for level in Level})

    def add(self, other: AssignSummary) -> None:
        """Count `other`'s rows in too (a partition's, on an engine that assigns partitions apart)."""
        self.rows += other.rows
        self.by_coordinates += other.by_coordinates
        self.by_address += other.by_address
        self.unlocated += other.unlocated
        for level, covered in other.covered.items():
            self.covered[level] += covered
        for level, uncovered in other.uncovered.items():
            self.uncovered[level] += uncovered

    def as_json(self) -> dict[str, Any]:
        """The counts as plain JSON values."""
        return {
            "rows": self.rows,
            "located_by_coordinates": self.by_coordinates,
            "located_by_address": self.by_address,
            "unlocated": self.unlocated,
            "covered": dict(self.covered),
            "uncovered": dict(self.uncovered),
        }


@dataclass(frozen=True)
class AssignOptions:
    """How to read the rows: their coordinates' datum, the address column, rows per chunk, threads to use."""

    datum: Datum = Datum.WGS84
    address_column: str = "address"
    chunk_rows: int = CHUNK_ROWS
    threads: int = 1


def assign_households(
    source: Path,
    out: Path,
    *,
    layers: BoundaryLayers,
    matcher: AddressMatcher | None = None,
    options: AssignOptions | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> AssignSummary:
    """Assign every row of `source` (CSV, Parquet/GeoParquet file or folder, GeoPackage) into `out` (a CSV when
    it ends in .csv, else a folder of GeoParquet files); `on_rows(n)` after each chunk."""
    options = checked_options(options)
    summary = AssignSummary()
    chunks = read_table_chunks(source, chunk_rows=options.chunk_rows)
    first = check_columns(source, next(chunks, None), options)  # before any output is made
    writer = TableWriter(out)
    for frame in itertools.chain([first], chunks):
        chunk = assign_chunk(frame, layers=layers, matcher=matcher, options=options)
        writer.write(chunk.rows, chunk.lon, chunk.lat)
        summary.add(chunk.summary)
        if on_rows is not None:
            on_rows(len(frame))
    return summary


@dataclass(frozen=True)
class AssignedChunk:
    """One chunk's rows with their codes, their WGS-84 points (NaN where unlocated), and its counts."""

    rows: pd.DataFrame
    lon: np.ndarray
    lat: np.ndarray
    summary: AssignSummary


def assign_chunk(
    frame: pd.DataFrame, *, layers: BoundaryLayers, matcher: AddressMatcher | None, options: AssignOptions
) -> AssignedChunk:
    """One chunk of rows located and assigned: the same answer whichever engine or chunk size runs it."""
    lon, lat, source_of = _locations(frame, matcher, options)
    found = layers.codes(lon, lat, threads=options.threads)
    result = frame.assign(
        **{f"{level.value}_code": found.codes[level] for level in Level},
        location_source=source_of,
        nearest_grid_code=found.nearest_grid_code,
        distance_m=np.round(found.distance_m, 1),
    )
    summary = AssignSummary()
    _count(summary, source_of, found.located, {level: found.codes[level] for level in Level})
    return AssignedChunk(rows=result, lon=lon, lat=lat, summary=summary)


def checked_options(options: AssignOptions | None) -> AssignOptions:
    """The options given (the defaults when None); InvalidInput for a chunk size below one row."""
    options = options or AssignOptions()
    if options.chunk_rows < 1:
        msg = f"chunk_rows must be at least 1, not {options.chunk_rows}"
        raise InvalidInput(msg)
    return options


def check_columns(source: Path, frame: pd.DataFrame | None, options: AssignOptions) -> pd.DataFrame:
    """The table's first rows `frame`; InvalidInput when it has none (None), or neither lon/lat columns nor the
    address column (naming what it has)."""
    if frame is None:
        msg = f"{source}: holds no rows"
        raise InvalidInput(msg)
    if _coordinate_columns(frame) is None and options.address_column not in frame.columns:
        found = ", ".join(str(c) for c in frame.columns) or "none"
        msg = f"{source}: needs lon/lat columns or an address column {options.address_column!r}; found: {found}"
        raise InvalidInput(msg)
    return frame


def _coordinate_columns(frame: pd.DataFrame) -> tuple[str, str] | None:
    keys = {str(name).strip().lower(): str(name) for name in frame.columns}
    lon = next((keys[n] for n in LON_COLUMNS if n in keys), None)
    lat = next((keys[n] for n in LAT_COLUMNS if n in keys), None)
    return None if lon is None or lat is None else (lon, lat)


def _locations(
    frame: pd.DataFrame, matcher: AddressMatcher | None, options: AssignOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS-84 lon/lat of each row (NaN when unlocated) and how it was located: coordinates, address or ''."""
    lon, lat = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    columns = _coordinate_columns(frame)
    if columns is not None:
        x = pd.to_numeric(frame[columns[0]], errors="coerce").to_numpy(dtype=np.float64)
        y = pd.to_numeric(frame[columns[1]], errors="coerce").to_numpy(dtype=np.float64)
        usable = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
        if usable.any():
            lon[usable], lat[usable] = to_wgs84(x[usable], y[usable], options.datum)
    source_of = np.where(np.isfinite(lon), "coordinates", "").astype(object)
    if matcher is not None and options.address_column in frame.columns:
        addresses = frame[options.address_column].to_numpy(dtype=object)
        for i in np.flatnonzero(~np.isfinite(lon)):
            text = str(addresses[i] or "").strip()
            found = matcher.match(text) if text else None
            if found is not None and found.matched and found.lon is not None and found.lat is not None:
                lon[i], lat[i], source_of[i] = found.lon, found.lat, "address"
    return lon, lat, source_of


def _count(summary: AssignSummary, source_of: np.ndarray, located: np.ndarray, codes: dict[Level, np.ndarray]) -> None:
    summary.rows += len(source_of)
    summary.by_coordinates += int((source_of == "coordinates").sum())
    summary.by_address += int((source_of == "address").sum())
    summary.unlocated += int((~located).sum())
    for level, named in codes.items():
        covered = int(np.count_nonzero(named[located] != None))  # noqa: E711 (elementwise on objects)
        summary.covered[level.value] += covered
        summary.uncovered[level.value] += int(located.sum()) - covered
