"""Reading a reference layer's source file (GeoJSON, GeoPackage, Shapefile: anything GDAL reads) as WGS-84.

Only the geometries and one label per feature are kept: a source file may carry attributes (owners, phone
numbers of a building register) that a public map must not serve, so nothing else leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyogrio
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput, NotFound

WGS84 = pyproj.CRS.from_epsg(4326)
CGCS2000 = pyproj.CRS.from_epsg(4490)  # within centimetres of WGS-84: taken as it is


@dataclass(frozen=True)
class ReferenceSource:
    """A source file's features with a geometry, in WGS-84, and their labels; `skipped` had none."""

    geometries: list[BaseGeometry]
    labels: list[str | None]
    skipped: int


def read_reference_source(path: Path, *, label_field: str | None = None) -> ReferenceSource:
    """The features of `path` (WGS-84; other coordinate systems reprojected) and the text of `label_field`."""
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    try:
        frame = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError) as err:
        msg = f"{path}: cannot read ({err})"
        raise InvalidInput(msg) from None
    if label_field is not None and label_field not in frame.columns:
        fields = ", ".join(str(c) for c in frame.columns if c != "geometry") or "none"
        msg = f"{path}: there is no field {label_field!r} to label features with; its fields are {fields}"
        raise InvalidInput(msg)
    if frame.crs is not None and not (frame.crs.equals(WGS84) or frame.crs.equals(CGCS2000)):
        try:
            frame = frame.to_crs(WGS84)
        except pyproj.exceptions.ProjError as err:
            msg = f"{path}: cannot reproject from {frame.crs.name} to WGS-84: {err}"
            raise InvalidInput(msg) from None
    present = ~(frame.geometry.isna() | shapely.is_empty(frame.geometry.values))
    kept = frame[present]
    labels: list[str | None] = [None] * len(kept)
    if label_field is not None:
        labels = [None if _blank(value) else str(value).strip() for value in kept[label_field]]
    return ReferenceSource(list(kept.geometry.values), labels, skipped=int((~present).sum()))


def _blank(value: object) -> bool:
    """True for a missing cell (None, NaN) or text of blanks."""
    return value is None or value != value or not str(value).strip()
