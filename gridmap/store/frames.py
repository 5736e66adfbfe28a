"""Between boundary frames (the GeoDataFrames `read_boundaries` gives) and the values a version stores.

Everything a feature must be before it can be stored is enforced here, so both backends refuse the same
input with the same message.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.geo.hierarchy import Level, parse_level
from gridmap.store.tables import CODE_LENGTH, MAX_INTEGER, NAME_LENGTH, PERSON_LENGTH
from gridmap.store.version_store import EDITABLE_PROPERTIES, Feature, FeatureValues

# Columns of a boundary frame, in the order read_boundaries gives them (geometry last).
FRAME_COLUMNS: tuple[str, ...] = ("code", "name", "level", "parent", "worker", "households_target")
# Columns of a frame of stored features before its geometry.
FEATURE_COLUMNS: tuple[str, ...] = (*FRAME_COLUMNS, "feature_id", "revision")
_MAX_LISTED = 5


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def lookup_text(value: str, what: str) -> str:
    """Text every backend can take as a parameter (PostgreSQL refuses NUL characters)."""
    if "\x00" in value:
        msg = f"{what} contains a NUL character"
        raise InvalidInput(msg)
    return value


def stored_text(value: str, what: str, max_length: int) -> str:
    """Text fit for a column of `max_length` characters on every backend."""
    lookup_text(value, what)
    if len(value) > max_length:
        msg = f"{what} is longer than {max_length} characters"
        raise InvalidInput(msg)
    return value


def _text(value: object, max_length: int = NAME_LENGTH) -> str | None:
    if _is_missing(value):
        return None
    text = str(value).strip()
    if "\x00" in text:
        msg = "contains a NUL character"
        raise ValueError(msg)
    if len(text) > max_length:
        msg = f"is longer than {max_length} characters"
        raise ValueError(msg)
    return text or None


def _code(value: object) -> str | None:
    return _text(value, CODE_LENGTH)


def _person(value: object) -> str | None:
    return _text(value, PERSON_LENGTH)


def _level(value: object) -> Level | None:
    text = _text(value)
    if text is None:
        return None
    level = parse_level(text)
    if level is None:
        msg = f"unknown level {text!r}; use community, grid or microgrid"
        raise ValueError(msg)
    return level


def _count(value: object) -> int | None:
    if _is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not number.is_integer() or not 0 <= number <= MAX_INTEGER:
        msg = f"must be a whole number of households, not {value!r}"
        raise ValueError(msg)
    return int(number)


def polygonal(geometry: object) -> BaseGeometry:
    """The geometry as a 2D Polygon or MultiPolygon; ValueError when it is missing, empty or not an area."""
    if not isinstance(geometry, BaseGeometry) or geometry.is_empty:
        msg = "the geometry is missing or empty"
        raise ValueError(msg)
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        msg = f"the geometry is a {geometry.geom_type}, not a Polygon or MultiPolygon"
        raise ValueError(msg)
    return shapely.force_2d(geometry)


_CONVERTERS = {
    "code": _code,
    "name": _text,
    "level": _level,
    "parent": _code,
    "worker": _person,
    "households_target": _count,
}


def clean_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Edited properties converted to stored values; InvalidInput for unknown names or bad values."""
    unknown = sorted(set(properties) - set(EDITABLE_PROPERTIES))
    if unknown:
        msg = f"cannot edit {', '.join(unknown)}; editable properties are {', '.join(EDITABLE_PROPERTIES)}"
        raise InvalidInput(msg)
    cleaned: dict[str, Any] = {}
    for name, value in properties.items():
        try:
            cleaned[name] = _CONVERTERS[name](value)
        except ValueError as exc:
            raise InvalidInput(f"{name}: {exc}") from None
    if "code" in cleaned and cleaned["code"] is None:
        msg = "code: a feature needs a code"
        raise InvalidInput(msg)
    if "name" in cleaned and cleaned["name"] is None:
        cleaned["name"] = ""
    return cleaned


def _refuse(problems: Sequence[str], total: int) -> InvalidInput:
    listed = "; ".join(problems[:_MAX_LISTED])
    more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
    return InvalidInput(f"{len(problems)} of {total} features cannot be stored: {listed}{more}")


def values_from_frame(frame: gpd.GeoDataFrame) -> list[FeatureValues]:
    """Validated feature values from a boundary frame; InvalidInput listing what cannot be stored.

    Every feature needs a unique, non-empty code (codes carry identity from one version to the next) and a
    polygonal geometry. Coordinates are converted to WGS-84 when the frame has another CRS.
    """
    if "code" not in frame.columns:
        msg = "the boundaries have no 'code' column"
        raise InvalidInput(msg)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    columns = {name: frame[name].tolist() if name in frame.columns else [None] * len(frame) for name in FRAME_COLUMNS}
    geometries = frame.geometry.tolist()
    problems: list[str] = []
    values: list[FeatureValues] = []
    for i, geometry in enumerate(geometries):
        raw = {name: columns[name][i] for name in FRAME_COLUMNS}
        code = "" if _is_missing(raw["code"]) else str(raw["code"]).strip()
        label = f"feature {code}" if code.isprintable() and 0 < len(code) <= CODE_LENGTH else f"feature {i + 1}"
        try:
            props = clean_properties(raw)
            values.append(FeatureValues(**props, geometry=polygonal(geometry)))
        except (InvalidInput, ValueError) as exc:
            problems.append(f"{label}: {exc}")
    duplicates = [code for code, n in Counter(v.code for v in values).items() if n > 1]
    problems.extend(f"code {code} is used by more than one feature" for code in sorted(duplicates))
    if problems:
        raise _refuse(problems, len(geometries))
    return values


def frame_from_features(features: Sequence[Feature], *, source: str = "") -> gpd.GeoDataFrame:
    """Stored features as a boundary frame (EPSG:4326) with feature_id and revision alongside."""
    rows = [{**f.properties(), "feature_id": f.feature_id, "revision": f.revision} for f in features]
    columns = {name: [row[name] for row in rows] for name in FEATURE_COLUMNS}
    return frame_from_columns(columns, [f.geometry for f in features], source=source)


def frame_from_columns(
    columns: Mapping[str, Sequence[Any]],
    geometries: Sequence[BaseGeometry | None] | npt.NDArray[np.object_],
    *,
    source: str = "",
    numbers: Sequence[int] | None = None,
) -> gpd.GeoDataFrame:
    """A boundary frame (EPSG:4326) from stored values, one sequence per name of FEATURE_COLUMNS (the level as its
    text) and the geometries, in the frame's order; `numbers` are the features' numbers in their whole version
    (by default their positions)."""
    data: dict[str, Any] = {name: list(columns[name]) for name in FEATURE_COLUMNS}
    data["geometry"] = np.asarray(geometries, dtype=object)
    frame = gpd.GeoDataFrame(data, geometry="geometry", crs="EPSG:4326")
    frame["households_target"] = frame["households_target"].astype("Int64")
    frame["source"] = source
    frame["feature"] = range(len(frame)) if numbers is None else list(numbers)
    return frame
