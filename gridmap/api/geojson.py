"""Features out as GeoJSON: geometries written by GEOS in one vectorised call, optionally shifted to GCJ-02.

Stored coordinates are WGS-84. Chinese base maps (Amap-style tiles) are drawn in GCJ-02, so a viewer on such
tiles asks for `crs=gcj02` and the shift happens here, on the way out, with gridmap.geo.crs.from_wgs84.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from fastapi.responses import Response
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import Datum, from_wgs84
from gridmap.store.version_store import Feature

GEOJSON_MEDIA_TYPE = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class GeoJSONResponse(Response):
    """A response whose body is already serialised GeoJSON text."""

    media_type = GEOJSON_MEDIA_TYPE


def _shift_coordinates(coords: npt.NDArray[np.float64], datum: Datum) -> npt.NDArray[np.float64]:
    lon, lat = from_wgs84(coords[:, 0], coords[:, 1], datum)
    return np.column_stack([lon, lat])


def in_datum(geometries: Sequence[BaseGeometry | None], datum: Datum) -> npt.NDArray[np.object_]:
    """The WGS-84 geometries expressed in `datum` (unchanged for WGS-84 and CGCS2000)."""
    array = np.asarray(geometries, dtype=object)
    if datum in (Datum.WGS84, Datum.CGCS2000) or array.size == 0:
        return array
    shifted: npt.NDArray[np.object_] = shapely.transform(array, lambda coords: _shift_coordinates(coords, datum))
    return shifted


def feature_properties(feature: Feature) -> dict[str, Any]:
    """The properties a feature is served with: the editable ones and its revision."""
    return {**feature.properties(), "revision": feature.revision}


def features_json(features: Sequence[Feature], datum: Datum) -> list[str]:
    """Each feature as GeoJSON Feature text, `id` being the stable feature id."""
    geometries = shapely.to_geojson(in_datum([f.geometry for f in features], datum))
    return [
        f'{{"type":"Feature","id":{json.dumps(f.feature_id)},"geometry":{geometry},'
        f'"properties":{json.dumps(feature_properties(f), ensure_ascii=False)}}}'
        for f, geometry in zip(features, np.atleast_1d(geometries), strict=True)
    ]


def collection_json(features: Sequence[Feature], datum: Datum, members: dict[str, Any]) -> str:
    """A FeatureCollection of `features` with the extra top-level members (links, numberMatched, ...)."""
    head = json.dumps({"type": "FeatureCollection", **members}, ensure_ascii=False)
    # `head` ends with "}"; the features go in as the last member.
    return head[:-1] + ',"features":[' + ",".join(features_json(features, datum)) + "]}"


def geometry_json(geometry: BaseGeometry | None, datum: Datum) -> dict[str, Any] | None:
    """One geometry as a GeoJSON dict in `datum`."""
    if geometry is None or geometry.is_empty:
        return None
    shifted = in_datum([geometry], datum)[0]
    result: dict[str, Any] = json.loads(shapely.to_geojson(shifted))
    return result


def shift_report(report: dict[str, Any], datum: Datum) -> dict[str, Any]:
    """A check report (JSON) with every problem geometry shifted to `datum`."""
    if datum in (Datum.WGS84, Datum.CGCS2000):
        return report
    problems = []
    for problem in report.get("problems", []):
        geometry = problem.get("geometry")
        if geometry:
            problem = {**problem, "geometry": geometry_json(shapely.geometry.shape(geometry), datum)}
        problems.append(problem)
    return {**report, "problems": problems}
