"""Areas and distances in metres for WGS-84 geometries, in the CRS `gridmap.geo.crs.metric_crs` picks."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import metric_crs, projected_from_wgs84


def _projected(geometries: Sequence[BaseGeometry], crs: pyproj.CRS) -> npt.NDArray[np.object_]:
    transformer = projected_from_wgs84(crs)

    def project(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geometries, dtype=object), project)


def areas_m2(geometries: Sequence[BaseGeometry]) -> npt.NDArray[np.float64]:
    """Area of each WGS-84 geometry in m2, all measured in one metric CRS chosen for their extent."""
    if not geometries:
        return np.zeros(0)
    bounds = shapely.total_bounds(np.asarray(geometries, dtype=object))
    crs = metric_crs(*(float(b) for b in bounds))
    return np.asarray(shapely.area(_projected(geometries, crs)), dtype=np.float64)


def distances_m(geometries: Sequence[BaseGeometry], lon: float, lat: float) -> npt.NDArray[np.float64]:
    """Distance in metres from the point (lon, lat) to each WGS-84 geometry (0 for those covering it)."""
    if not geometries:
        return np.zeros(0)
    crs = metric_crs(lon, lat, lon, lat)
    point = _projected([shapely.Point(lon, lat)], crs)[0]
    return np.asarray(shapely.distance(_projected(geometries, crs), point), dtype=np.float64)


# Metres per degree of latitude vary by under 1 % and per degree of longitude shrink with cos(latitude), so a
# window this many times the nearest distance in degrees holds every feature that may be nearest in metres.
_SCALE_MARGIN = 1.05
_MIN_COS_LAT = 0.05


def degree_window_factor(lat: float) -> float:
    """How much to widen a window (in degrees) so that it holds everything as near in metres."""
    return _SCALE_MARGIN / max(math.cos(math.radians(lat)), _MIN_COS_LAT)


_MIN_METRES_PER_DEGREE = 110_574.0  # of latitude, at the equator: fewer metres per degree than anywhere else


def degrees_reaching(metres: float, lat: float) -> float:
    """Degrees that hold every point within `metres` of a point at latitude `lat`, in longitude and latitude."""
    return metres / _MIN_METRES_PER_DEGREE * degree_window_factor(lat)


_MEAN_EARTH_RADIUS_M = 6_371_008.8


def ground_distances_m(lon: float, lat: float, lons: npt.ArrayLike, lats: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Great-circle metres from (lon, lat) to each WGS-84 point (haversine on the mean sphere: within 0.5 %)."""
    lon1, lat1 = math.radians(lon), math.radians(lat)
    lon2, lat2 = np.radians(np.asarray(lons, dtype=np.float64)), np.radians(np.asarray(lats, dtype=np.float64))
    half_chord = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return np.asarray(2 * _MEAN_EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(half_chord, 0.0, 1.0))), dtype=np.float64)
