"""The sample region's local frame: design in metres around the town centre, store WGS-84 rounded to 1 cm.

Layouts are drawn in metres relative to the centre, in the metric CRS `metric_crs` picks for the region
(EPSG:4549 for Shouning). Coordinates leave the frame rounded to 7 decimals (about 1 cm), the precision
the GeoJSON files keep, so that shared edges are identical before and after writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import metric_crs

COORDINATE_DECIMALS = 7

GeometryArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]


def round_lonlat(coords: FloatArray) -> FloatArray:
    """Coordinates rounded to the decimals the files keep (the nearest double to a 7-decimal number)."""
    return np.round(coords, COORDINATE_DECIMALS)


@dataclass(frozen=True)
class LocalFrame:
    """Metres east/north of a centre point, in the region's metric CRS, and the way back to WGS-84."""

    centre_lon: float
    centre_lat: float
    crs: pyproj.CRS = field(init=False, repr=False)
    centre_xy: tuple[float, float] = field(init=False, repr=False)
    _to_metric: pyproj.Transformer = field(init=False, repr=False, compare=False)
    _to_lonlat: pyproj.Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs = metric_crs(self.centre_lon, self.centre_lat, self.centre_lon, self.centre_lat)
        to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        x, y = to_metric.transform(self.centre_lon, self.centre_lat)
        object.__setattr__(self, "crs", crs)
        object.__setattr__(self, "centre_xy", (float(x), float(y)))
        object.__setattr__(self, "_to_metric", to_metric)
        object.__setattr__(self, "_to_lonlat", to_lonlat)

    def local_to_lonlat(self, coords: FloatArray) -> FloatArray:
        """Local metre coordinates (n, 2) to WGS-84 lon/lat rounded to 7 decimals."""
        lon, lat = self._to_lonlat.transform(coords[:, 0] + self.centre_xy[0], coords[:, 1] + self.centre_xy[1])
        return round_lonlat(np.column_stack([lon, lat]))

    def lonlat_to_metric(self, coords: FloatArray) -> FloatArray:
        """WGS-84 lon/lat (n, 2) to absolute metric CRS coordinates (for areas and lengths)."""
        x, y = self._to_metric.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y]).astype(np.float64)

    def lonlat_to_local(self, coords: FloatArray) -> FloatArray:
        """WGS-84 lon/lat (n, 2) to local metres around the centre."""
        return self.lonlat_to_metric(coords) - np.asarray(self.centre_xy, dtype=np.float64)

    def to_lonlat(self, geometries: GeometryArray) -> GeometryArray:
        """Geometries in local metres to WGS-84, rounded, without repeated points the rounding created."""
        moved = shapely.transform(geometries, self.local_to_lonlat)
        return np.asarray(shapely.remove_repeated_points(moved, tolerance=0.0), dtype=object)

    def to_metric(self, geometries: GeometryArray) -> GeometryArray:
        """WGS-84 geometries to the metric CRS (absolute coordinates), for measuring."""
        return np.asarray(shapely.transform(geometries, self.lonlat_to_metric), dtype=object)

    def to_local(self, geometries: GeometryArray) -> GeometryArray:
        """WGS-84 geometries to local metres around the centre."""
        return np.asarray(shapely.transform(geometries, self.lonlat_to_local), dtype=object)

    def one_to_lonlat(self, geometry: BaseGeometry) -> BaseGeometry:
        """One geometry in local metres to rounded WGS-84."""
        result: BaseGeometry = self.to_lonlat(np.array([geometry], dtype=object))[0]
        return result

    def one_to_local(self, geometry: BaseGeometry) -> BaseGeometry:
        """One WGS-84 geometry to local metres."""
        result: BaseGeometry = self.to_local(np.array([geometry], dtype=object))[0]
        return result

    def area_m2(self, geometries: GeometryArray) -> FloatArray:
        """Areas of WGS-84 geometries in square metres, measured in the metric CRS."""
        return np.asarray(shapely.area(self.to_metric(geometries)), dtype=np.float64)


# Shouning county town (鳌阳镇), WGS-84.
SHOUNING_CENTRE = (119.5105, 27.4600)
