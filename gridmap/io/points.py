"""Reading point files (households) as WGS-84 shapely points: CSV with lon/lat columns, or GeoJSON.

A CSV may be UTF-8, UTF-16 with BOM or GBK (gridmap.io.text). Coordinates must be finite numbers: NaN or
Infinity refuse the file, naming the line or feature, rather than become points nowhere.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import Datum, to_wgs84
from gridmap.io.text import decoding, text_encoding

_LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
_LAT_NAMES = ("lat", "latitude", "y", "纬度")


def read_points(path: Path, *, datum: Datum = Datum.WGS84) -> npt.NDArray[np.object_]:
    """Points from a CSV (columns lon/lat, lng/lat, longitude/latitude or x/y) or a GeoJSON of Points."""
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    if path.suffix.lower() in (".geojson", ".json"):
        lon, lat = _geojson_points(path)
    else:
        lon, lat = _csv_points(path)
    lon, lat = to_wgs84(lon, lat, datum)
    return np.asarray(shapely.points(lon, lat), dtype=object)


def _csv_points(path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """lon/lat columns of a CSV file, naming the row of any bad value."""
    encoding = text_encoding(path)
    with path.open(newline="", encoding=encoding) as handle, decoding(path, encoding):
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        lon_field = next((f for f in fields if f in _LON_NAMES), None)
        lat_field = next((f for f in fields if f in _LAT_NAMES), None)
        if lon_field is None or lat_field is None:
            msg = f"{path}: needs lon and lat columns (found: {', '.join(fields) or 'none'})"
            raise InvalidInput(msg)
        lons, lats = [], []
        for row_number, row in enumerate(reader, start=2):
            row = {k.strip().lower(): v for k, v in row.items() if k}
            try:
                lon, lat = float(row[lon_field]), float(row[lat_field])
            except (TypeError, ValueError):
                lon = lat = math.nan
            if not (math.isfinite(lon) and math.isfinite(lat)):
                msg = (
                    f"{path}: line {row_number}: lon/lat {row[lon_field]!r}, {row[lat_field]!r} are not finite numbers"
                )
                raise InvalidInput(msg)
            lons.append(lon)
            lats.append(lat)
    return np.array(lons, dtype=np.float64), np.array(lats, dtype=np.float64)


def _geojson_points(path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Point coordinates of a GeoJSON FeatureCollection."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        coordinates = [f["geometry"]["coordinates"] for f in document["features"]]
        lon = np.array([float(c[0]) for c in coordinates], dtype=np.float64)
        lat = np.array([float(c[1]) for c in coordinates], dtype=np.float64)
    except (json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as err:
        msg = f"{path}: not a GeoJSON FeatureCollection of Points ({err})"
        raise InvalidInput(msg) from None
    bad = np.flatnonzero(~(np.isfinite(lon) & np.isfinite(lat)))
    if len(bad):
        msg = f"{path}: feature {bad[0]}: coordinates {lon[bad[0]]}, {lat[bad[0]]} are not finite numbers"
        raise InvalidInput(msg)
    return lon, lat
