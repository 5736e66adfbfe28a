"""Reading an --allow file: a GeoJSON FeatureCollection of allowed gaps and overlaps, in WGS-84 (RFC 7946)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.allowed_exceptions import AllowedException, allowed_exception

_WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326"}


def read_allowed_exceptions(path: Path) -> list[AllowedException]:
    """The exceptions of a GeoJSON file, each with its position (from 1) as id.

    Each feature's properties: `kind` (gap or overlap), `reason`, and optionally `codes` (a list, or codes
    separated by commas: the features allowed to overlap), `outside` (true: everything outside the area is
    allowed) and `allowed_by` (who allowed it). InvalidInput names the file and feature when one is wrong.
    """
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        msg = f"{path}: not a GeoJSON file ({err})"
        raise InvalidInput(msg) from None
    if not isinstance(document, dict) or document.get("type") not in ("FeatureCollection", "Feature"):
        msg = f"{path}: expected a GeoJSON FeatureCollection of allowed gaps and overlaps"
        raise InvalidInput(msg)
    _require_wgs84(document, path)
    features = document.get("features") if document["type"] == "FeatureCollection" else [document]
    if not isinstance(features, list):
        msg = f"{path}: the FeatureCollection has no list of features"
        raise InvalidInput(msg)
    return [_exception(feature, position, path) for position, feature in enumerate(features, start=1)]


def _require_wgs84(document: dict[str, Any], path: Path) -> None:
    """Refuse a file that declares a CRS other than WGS-84 lon/lat (exceptions are stored and compared in it)."""
    crs = document.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs is not None and name not in _WGS84_NAMES:
        msg = f"{path}: allowed exceptions must be in WGS-84 lon/lat (RFC 7946 GeoJSON), not {name or crs!r}"
        raise InvalidInput(msg)


def _exception(feature: Any, position: int, path: Path) -> AllowedException:
    """One feature as an exception; InvalidInput naming the file and feature when it is not one."""
    where = f"{path}: feature {position}"
    if not isinstance(feature, dict):
        msg = f"{where}: not a GeoJSON Feature"
        raise InvalidInput(msg)
    properties = feature.get("properties") or {}
    codes = properties.get("codes") or []
    if isinstance(codes, str):
        codes = [code for code in codes.split(",") if code.strip()]
    try:
        return allowed_exception(
            kind=str(properties.get("kind", "")),
            geometry=feature.get("geometry"),
            reason=str(properties.get("reason") or ""),
            codes=[str(code) for code in codes] if isinstance(codes, list) else [str(codes)],
            outside=properties.get("outside") is True,
            id=position,
            allowed_by=str(properties["allowed_by"]) if properties.get("allowed_by") else None,
        )
    except InvalidInput as err:
        raise InvalidInput(f"{where}: {err.detail}") from None
