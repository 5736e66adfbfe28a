"""Plain GeoPackages read with sqlite3 and shapely, without GDAL (whose Python binding imports pandas and geopandas).

A GeoPackage is an SQLite database: each feature row holds its geometry as a GeoPackage binary, a small header
(magic, flags, SRS id, an optional envelope) before standard WKB. A file with one feature table, an EPSG
coordinate system, and text and number columns only is read here, with the values GDAL would give; anything
else (several layers, dates, booleans, extended geometry blobs, ...) is left to GDAL: `read_plain_layer` says
None, and the caller reads the file through pyogrio.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

if TYPE_CHECKING:  # imported when a layer is read: `gridmap check --help` starts without PROJ
    import pyproj

# Column types whose values sqlite3 returns as GDAL does (text as str, integers as int, reals as float).
_TEXT_TYPES = ("TEXT",)
_INTEGER_TYPES = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT")
_REAL_TYPES = ("REAL", "DOUBLE", "FLOAT")
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}  # by the header's envelope indicator
_HEADER_BYTES = 8  # "GP", version, flags, SRS id
_EXTENDED_TYPE = 0x20  # flags bit 5: a GeometryBlob extension type, not standard WKB


@dataclass(frozen=True)
class GeoPackageLayer:
    """One feature table: each row's properties (GDAL's field order, no FID), geometries and CRS."""

    properties: list[dict[str, Any]]
    geometries: npt.NDArray[np.object_]
    crs: pyproj.CRS


def read_plain_layer(path: Path) -> GeoPackageLayer | None:
    """The only feature table of a plain GeoPackage, or None when the file needs GDAL to be read as GDAL reads it."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return _read_layer(connection)
    except (sqlite3.Error, shapely.errors.GEOSException, ValueError):
        return None
    finally:
        connection.close()


def _read_layer(connection: sqlite3.Connection) -> GeoPackageLayer | None:
    """The layer of an open GeoPackage (see `read_plain_layer`)."""
    layers = connection.execute(
        "SELECT c.table_name, g.column_name, s.organization, s.organization_coordsys_id "
        "FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
        "LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id "
        "WHERE c.data_type IN ('features', 'attributes')"
    ).fetchall()
    if len(layers) != 1:
        return None
    table, geometry_column, organization, code = layers[0]
    if geometry_column is None or str(organization).upper() != "EPSG" or not isinstance(code, int) or code <= 0:
        return None
    columns = connection.execute(f"PRAGMA table_info({_quoted(table)})").fetchall()
    fid = [name for _, name, kind, _, _, pk in columns if pk == 1 and str(kind).upper() == "INTEGER"]
    fields = [(name, _value_type(str(kind))) for _, name, kind, _, _, pk in columns if pk == 0]
    if len(fid) != 1 or any(kind is None for name, kind in fields if name != geometry_column):
        return None
    names = [name for name, _ in fields if name != geometry_column]
    selected = ", ".join(_quoted(name) for name in [*names, geometry_column])
    rows = connection.execute(f"SELECT {selected} FROM {_quoted(table)} ORDER BY {_quoted(fid[0])}").fetchall()
    types = [kind for name, kind in fields if name != geometry_column]
    for kind, values in zip(types, zip(*rows, strict=True), strict=False):
        if not set(map(type, values)) <= {kind, type(None)}:
            return None  # a value of another type than its column's (SQLite allows it): GDAL converts it
    wkb = [_standard_wkb(row[-1]) for row in rows]
    geometries = np.empty(len(rows), dtype=object)
    geometries[:] = shapely.from_wkb(np.array(wkb, dtype=object)) if rows else []
    import pyproj

    return GeoPackageLayer(
        properties=[dict(zip(names, row[:-1], strict=True)) for row in rows],
        geometries=geometries,
        crs=pyproj.CRS.from_user_input(f"EPSG:{code}"),
    )


def _value_type(declared: str) -> type | None:
    """The Python type sqlite3 gives for a column declared so, when GDAL gives the same value; None otherwise."""
    base = declared.upper().split("(", 1)[0].strip()
    if base in _TEXT_TYPES:
        return str
    if base in _INTEGER_TYPES:
        return int
    if base in _REAL_TYPES:
        return float
    return None


def _standard_wkb(blob: bytes | None) -> bytes | None:
    """The WKB of a GeoPackage geometry blob (None for NULL); ValueError when it is not a standard one."""
    if blob is None:
        return None
    if not isinstance(blob, bytes) or len(blob) < _HEADER_BYTES or blob[:2] != b"GP" or blob[3] & _EXTENDED_TYPE:
        msg = "not a standard GeoPackage geometry blob"
        raise ValueError(msg)
    envelope = _ENVELOPE_BYTES.get((blob[3] >> 1) & 0x07)
    if envelope is None:
        msg = "unknown envelope in a GeoPackage geometry blob"
        raise ValueError(msg)
    return blob[_HEADER_BYTES + envelope :]


def _quoted(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'
