"""Draft files for editing elsewhere (QGIS): every feature with its id and revision, read back as QGIS saves them.

A draft is written as one layer named after its boundary set, with `DRAFT_FIELDS` as fields, so that the ids
and revisions survive the trip, and `BASE_FIELD`: each feature as exported (gridmap.services.import_merge), the
base an import compares both the file and the draft with. Reading takes the file as another program left it:
fields in any order and extra ones ignored, a renamed layer (the only polygon layer, unless one is named),
single-part MultiPolygons (QGIS saves polygon layers as MultiPolygon) read as the Polygon they are, and any
declared CRS reprojected to WGS-84.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

# The grid model's readers: a draft file's fields mean what they mean in any boundary file.
from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import wgs84_crs
from gridmap.io.boundaries import FieldMapping, SourceCrs, _is_missing, _record, _text, _to_wgs84

DRAFT_FIELDS: tuple[str, ...] = (
    "feature_id",
    "revision",
    "code",
    "name",
    "level",
    "parent",
    "worker",
    "households_target",
)
BASE_FIELD = "gm_base"  # the feature as exported; the field a planner leaves alone
DRAFT_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
_POLYGON_TYPES = ("polygon", "surface")  # GDAL's names: Polygon, MultiPolygon, CurvePolygon, MultiSurface, ... Z


@dataclass
class DraftFile:
    """What a draft file holds: grid-model rows in WGS-84 with `feature_id`, `revision` and `base` (the text of
    `BASE_FIELD`), each None where absent."""

    frame: gpd.GeoDataFrame
    layer: str
    source_crs: SourceCrs


def write_draft_file(
    frame: gpd.GeoDataFrame, path: Path, *, layer: str, bases: Sequence[str], crs: pyproj.CRS | None = None
) -> Path:
    """Write a draft's features (a version frame) as one layer with `DRAFT_FIELDS` and their `bases` in
    `BASE_FIELD`; WGS-84 unless `crs`."""
    driver = DRAFT_DRIVERS.get(path.suffix.lower())
    if driver is None:
        msg = f"{path.name}: write a draft as a GeoPackage (.gpkg) or GeoJSON (.geojson)"
        raise InvalidInput(msg)
    out = gpd.GeoDataFrame(frame[[*DRAFT_FIELDS, "geometry"]].copy(), geometry="geometry", crs=wgs84_crs())
    out.insert(len(DRAFT_FIELDS), BASE_FIELD, list(bases))
    out["level"] = out["level"].fillna("")
    out["parent"] = out["parent"].fillna("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a GeoPackage would otherwise keep its other layers
    pyogrio.write_dataframe(out.to_crs(crs or wgs84_crs()), path, layer=layer, driver=driver)
    return path


def read_draft_file(path: Path, *, layer: str | None = None, source_crs: SourceCrs | None = None) -> DraftFile:
    """The rows of a draft file as another program saved it (see the module docstring); InvalidInput if unusable."""
    if not path.is_file():
        msg = f"{path.name}: no such file"
        raise NotFound(msg)
    chosen = _polygon_layer(path, layer)
    try:
        raw = pyogrio.read_dataframe(path, layer=chosen)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError) as err:
        msg = f"{path.name}: cannot read layer {chosen!r} ({err})"
        raise InvalidInput(msg) from None
    if raw.empty:
        msg = f"{path.name}: layer {chosen!r} holds no features"
        raise InvalidInput(msg)
    records = []
    geometries: list[BaseGeometry] = []
    for index, row in enumerate(raw.drop(columns="geometry").to_dict("records")):
        where = f"{path.name}: layer {chosen!r} feature {index}"
        properties = {key: (None if _is_missing(value) else value) for key, value in row.items()}
        record = _record(properties, FieldMapping(), where)
        geometries.append(_polygonal(raw.geometry.iloc[index], where, record["code"]))
        records.append(
            {
                **record,
                "feature_id": _text(properties.get("feature_id")) or None,
                "revision": _revision(properties.get("revision"), where),
                "base": _text(properties.get(BASE_FIELD)) or None,
                "source": path.name,
                "feature": index,
            }
        )
    read_from = source_crs or SourceCrs(crs=raw.crs)
    in_wgs84 = _to_wgs84(np.array(geometries, dtype=object), read_from, path)
    frame = gpd.GeoDataFrame(records, geometry=list(in_wgs84), crs=wgs84_crs())
    return DraftFile(frame=frame, layer=chosen, source_crs=read_from)


def _polygon_layer(path: Path, layer: str | None) -> str:
    """The layer to read: `layer` when named, else the file's only layer or its only polygon layer."""
    try:
        layers = [(str(name), str(kind or "")) for name, kind in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        msg = f"{path.name}: not a GeoPackage or GeoJSON file GDAL can read ({err})"
        raise InvalidInput(msg) from None
    names = [name for name, _kind in layers]
    if layer is not None:
        if layer not in names:
            msg = f"{path.name}: no layer {layer!r}; its layers are {', '.join(names) or 'none'}"
            raise InvalidInput(msg)
        return layer
    if len(layers) == 1:
        return names[0]
    polygons = [name for name, kind in layers if any(word in kind.lower() for word in _POLYGON_TYPES)]
    if len(polygons) == 1:
        return polygons[0]
    listed = ", ".join(polygons or names) or "none"
    msg = f"{path.name}: {len(polygons)} polygon layers ({listed}); name the one to import with --layer"
    raise InvalidInput(msg)


def _polygonal(geometry: BaseGeometry | None, where: str, code: str) -> BaseGeometry:
    """A row's geometry, a single-part MultiPolygon as its Polygon; InvalidInput for none or a non-polygon."""
    if geometry is None or geometry.is_empty:
        msg = f"{where} ({code}): no geometry; to remove a feature, delete its row (and import with --delete-missing)"
        raise InvalidInput(msg)
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        msg = f"{where} ({code}): a {geometry.geom_type}, where a grid needs a Polygon or MultiPolygon"
        raise InvalidInput(msg)
    if isinstance(geometry, shapely.MultiPolygon) and len(geometry.geoms) == 1:
        return geometry.geoms[0]
    return geometry


def _revision(value: Any, where: str) -> int | None:
    """The row's revision as exported (None when the row has none: a feature drawn in the other program)."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not number.is_integer() or number < 1:
        msg = f"{where}: revision {value!r} is not one gridmap wrote (a whole number from 1 up)"
        raise InvalidInput(msg)
    return int(number)
