"""Coordinate systems: the metric CRS for measuring, and the Chinese web datums GCJ-02 and BD-09.

GCJ-02 (Amap/Gaode, Tencent, WeChat) and BD-09 (Baidu) are obfuscated datums offset from WGS-84 by a few
hundred metres inside China. The forward formulas are the published ones; the inverses are solved by
fixed-point iteration to well under a centimetre, so a round trip loses nothing a grid worker could see.
CGCS2000 (EPSG:4490) differs from WGS-84 by centimetres and is taken as equal to it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely

if TYPE_CHECKING:  # imported where a CRS is built: `gridmap check` on WGS-84 input runs without PROJ
    import pyproj

FloatArray = npt.NDArray[np.float64]

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_X_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE_DEG = 1e-10
_INVERSE_MAX_STEPS = 30
_OFFSET_BLOCK = 16384  # points per block of the GCJ-02 formula (see `wgs84_to_gcj02`)


class Datum(StrEnum):
    """Datums in which coordinates reach gridmap."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"
    CGCS2000 = "cgcs2000"


def in_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    """The rough rectangle inside which the GCJ-02 offset applies (outside it GCJ-02 equals WGS-84)."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 shift (dlon, dlat) in degrees at WGS-84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    shift_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + wave
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    shift_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + wave
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (shift_lat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (shift_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike, *, jobs: int = 1) -> tuple[FloatArray, FloatArray]:
    """WGS-84 to GCJ-02 by the published formula (identity outside China).

    Long arrays go through in blocks of `_OFFSET_BLOCK` points, so that the formula's forty-odd intermediate
    arrays stay in the processor's cache (a third faster on a country's million vertices), the blocks side by side
    in `jobs` threads when above 1 (numpy runs them without Python's lock); every point's result is the same bits
    as when converted alone.
    """
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if lon_a.size <= _OFFSET_BLOCK or lon_a.shape != lat_a.shape:
        dlon, dlat = _gcj_offset(lon_a, lat_a)
        return lon_a + dlon, lat_a + dlat
    flat_lon, flat_lat = lon_a.ravel(), lat_a.ravel()
    out_lon, out_lat = np.empty_like(flat_lon), np.empty_like(flat_lat)

    def convert(block: slice) -> None:
        dlon, dlat = _gcj_offset(flat_lon[block], flat_lat[block])
        out_lon[block], out_lat[block] = flat_lon[block] + dlon, flat_lat[block] + dlat

    blocks = [slice(start, start + _OFFSET_BLOCK) for start in range(0, flat_lon.size, _OFFSET_BLOCK)]
    if jobs <= 1:
        for block in blocks:
            convert(block)
    else:
        with ThreadPoolExecutor(min(jobs, len(blocks))) as threads:
            list(threads.map(convert, blocks))
    return out_lon.reshape(lon_a.shape), out_lat.reshape(lat_a.shape)


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    target_lon: FloatArray,
    target_lat: FloatArray,
    start_lon: FloatArray,
    start_lat: FloatArray,
    *,
    pointwise: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(lon, lat) == target by fixed-point iteration; the offsets are smooth and small.

    All points step until the worst is within the tolerance, or with `pointwise` each until its own is: a point
    then comes out as it would converted alone (the last steps move it by up to 1e-12 degrees).
    """
    shape = np.shape(target_lon)
    lon, lat = np.array(start_lon, dtype=np.float64).ravel(), np.array(start_lat, dtype=np.float64).ravel()
    goal_lon, goal_lat = np.ravel(target_lon), np.ravel(target_lat)
    moving = np.arange(lon.size)
    for _ in range(_INVERSE_MAX_STEPS):
        fwd_lon, fwd_lat = forward(lon[moving], lat[moving])
        err_lon, err_lat = fwd_lon - goal_lon[moving], fwd_lat - goal_lat[moving]
        lon[moving], lat[moving] = lon[moving] - err_lon, lat[moving] - err_lat
        if pointwise:
            moving = moving[~(np.maximum(np.abs(err_lon), np.abs(err_lat)) < _INVERSE_TOLERANCE_DEG)]
        elif max(np.max(np.abs(err_lon), initial=0.0), np.max(np.abs(err_lat), initial=0.0)) < _INVERSE_TOLERANCE_DEG:
            break
        if not moving.size:
            break
    return lon.reshape(shape)[()], lat.reshape(shape)[()]  # [()]: a scalar in, a scalar out, as numpy does


def gcj02_to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, pointwise: bool = False, jobs: int = 1
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to WGS-84, solving the forward formula by fixed-point iteration (error far below 1 cm); each step's
    formula in `jobs` threads (`wgs84_to_gcj02`), the stopping test over every point: the same bits for any `jobs`."""
    gcj_lon, gcj_lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    forward = functools.partial(wgs84_to_gcj02, jobs=jobs)
    return _invert(forward, gcj_lon, gcj_lat, gcj_lon, gcj_lat, pointwise=pointwise)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 to BD-09 by Baidu's published formula."""
    x, y = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike, *, pointwise: bool = False) -> tuple[FloatArray, FloatArray]:
    """BD-09 to GCJ-02: the approximate closed form refined by fixed-point iteration on the forward one."""
    bd_lon, bd_lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    x, y = bd_lon - 0.0065, bd_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return _invert(gcj02_to_bd09, bd_lon, bd_lat, z * np.cos(theta), z * np.sin(theta), pointwise=pointwise)


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike, *, jobs: int = 1) -> tuple[FloatArray, FloatArray]:
    """WGS-84 to BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat, jobs=jobs))


def bd09_to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, pointwise: bool = False, jobs: int = 1
) -> tuple[FloatArray, FloatArray]:
    """BD-09 to WGS-84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat, pointwise=pointwise), pointwise=pointwise, jobs=jobs)


def to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, datum: Datum, *, pointwise: bool = False, jobs: int = 1
) -> tuple[FloatArray, FloatArray]:
    """Coordinates in `datum` converted to WGS-84 (`pointwise`: each as it would be alone, see `_invert`; `jobs`:
    threads for the GCJ-02 formula, the same bits for any number)."""
    if datum is Datum.GCJ02:
        return gcj02_to_wgs84(lon, lat, pointwise=pointwise, jobs=jobs)
    if datum is Datum.BD09:
        return bd09_to_wgs84(lon, lat, pointwise=pointwise, jobs=jobs)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def from_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, datum: Datum, *, jobs: int = 1) -> tuple[FloatArray, FloatArray]:
    """WGS-84 coordinates converted to `datum` (e.g. to draw on GCJ-02 base-map tiles; `jobs` as in `to_wgs84`)."""
    if datum is Datum.GCJ02:
        return wgs84_to_gcj02(lon, lat, jobs=jobs)
    if datum is Datum.BD09:
        return wgs84_to_bd09(lon, lat, jobs=jobs)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def parse_datum(text: str) -> Datum:
    """The datum named by `text` (wgs84, gcj02, bd09, cgcs2000, or an EPSG code for the two ellipsoidal ones)."""
    aliases = {
        "epsg:4326": Datum.WGS84,
        "4326": Datum.WGS84,
        "epsg:4490": Datum.CGCS2000,
        "4490": Datum.CGCS2000,
    }
    key = text.strip().lower().replace("-", "").replace("_", "")
    if key in aliases:
        return aliases[key]
    try:
        return Datum(key)
    except ValueError:
        names = ", ".join(d.value for d in Datum)
        msg = f"unknown coordinate system {text!r}; use one of {names}"
        raise ValueError(msg) from None


# Widest longitude span measured in one 3-degree Gauss-Kruger zone before an equal-area CRS is used instead.
_MAX_GK_SPAN_DEG = 6.0


def metric_crs(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> pyproj.CRS:
    """A projected CRS in metres suited to data with these WGS-84 bounds.

    Inside China and for a county-sized extent: the CGCS2000 3-degree Gauss-Kruger zone whose central
    meridian is nearest (EPSG:4534 at 75E to EPSG:4554 at 135E; EPSG:4549 for 120E). Elsewhere: the UTM
    zone. For an extent wider than 6 degrees of longitude (a large province, the country): an Albers
    equal-area projection centred on the data, so that areas stay right across many zones.
    """
    import pyproj

    centre_lon, centre_lat = (min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0
    if max_lon - min_lon > _MAX_GK_SPAN_DEG:
        south, north = min_lat + (max_lat - min_lat) / 6.0, max_lat - (max_lat - min_lat) / 6.0
        return pyproj.CRS.from_proj4(
            f"+proj=aea +lat_1={south:.4f} +lat_2={north:.4f} +lat_0={centre_lat:.4f} "
            f"+lon_0={centre_lon:.4f} +ellps=GRS80 +units=m +no_defs"
        )
    central_meridian = round(centre_lon / 3.0) * 3
    if 75 <= central_meridian <= 135 and bool(in_china(np.array(centre_lon), np.array(centre_lat))):
        return pyproj.CRS.from_epsg(4534 + (central_meridian - 75) // 3)
    zone = int((centre_lon + 180.0) // 6.0) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if centre_lat >= 0 else 32700) + zone)


@functools.cache
def wgs84_crs() -> pyproj.CRS:
    """WGS-84 (EPSG:4326), built on first use: PROJ is imported by the commands that reproject."""
    import pyproj

    return pyproj.CRS.from_epsg(4326)


@functools.cache
def cgcs2000_crs() -> pyproj.CRS:
    """CGCS2000 (EPSG:4490), taken as WGS-84 (they differ by centimetres)."""
    import pyproj

    return pyproj.CRS.from_epsg(4490)


@functools.lru_cache(maxsize=64)
def projected_from_wgs84(crs: pyproj.CRS) -> pyproj.Transformer:
    """The WGS-84 → `crs` transformer (lon/lat order), built once per CRS and process.

    Building one costs PROJ about 0.1 s, using one microseconds; pyproj's transformers are thread-safe.
    """
    import pyproj

    return pyproj.Transformer.from_crs(4326, crs, always_xy=True)


@functools.lru_cache(maxsize=64)
def wgs84_from_projected(crs: pyproj.CRS) -> pyproj.Transformer:
    """The `crs` → WGS-84 transformer (lon/lat order), built once per CRS and process (as `projected_from_wgs84`)."""
    import pyproj

    return pyproj.Transformer.from_crs(crs, wgs84_crs(), always_xy=True)


_EARTH_RADIUS_M = 6371008.8
_METRES_PER_DEGREE = _EARTH_RADIUS_M * np.pi / 180.0


class LocalMetres:
    """An affine lon/lat → metres map centred on the data, for topology; true areas from `metric_crs`.

    Topology must be computed where the input's straight edges stay straight: projecting to Gauss-Kruger
    bends lines of constant latitude, so a vertex on a neighbour's edge would drift off it by centimetres
    and show up as a false gap or overlap. An affine map keeps every straight edge straight and every shared
    vertex identical, while making widths and buffers roughly metric. Reported areas are then measured on
    the WGS-84 shapes in the proper projected CRS.
    """

    def __init__(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> None:
        self.lon0 = (min_lon + max_lon) / 2.0
        self.lat0 = (min_lat + max_lat) / 2.0
        self.kx = _METRES_PER_DEGREE * float(np.cos(np.radians(self.lat0)))
        self.ky = _METRES_PER_DEGREE
        self._bounds = (min_lon, min_lat, max_lon, max_lat)

    def to_local(self, geometries: Any) -> Any:
        """WGS-84 geometries in local metres."""
        return shapely.transform(geometries, self._forward)

    def local_xy(self, lonlat: FloatArray) -> FloatArray:
        """WGS-84 coordinates (rows of lon, lat) in local metres, without making geometries."""
        return self._forward(lonlat)

    def to_wgs84(self, geometries: Any) -> Any:
        """Local-metre geometries back in WGS-84."""
        return shapely.transform(geometries, self._inverse)

    def true_area(self, local_geometries: Any) -> Any:
        """Areas in m2 of local-metre geometries, measured in the projected CRS."""
        return self.wgs84_area(self.to_wgs84(local_geometries))

    def wgs84_area(self, wgs84_geometries: Any) -> Any:
        """Areas in m2 of WGS-84 geometries (local ones taken `to_wgs84`), measured in the projected CRS."""
        return shapely.area(shapely.transform(wgs84_geometries, self._project))

    def _forward(self, xy: FloatArray) -> FloatArray:
        return np.column_stack([(xy[:, 0] - self.lon0) * self.kx, (xy[:, 1] - self.lat0) * self.ky])

    def _inverse(self, xy: FloatArray) -> FloatArray:
        return np.column_stack([xy[:, 0] / self.kx + self.lon0, xy[:, 1] / self.ky + self.lat0])

    @cached_property
    def _to_projected(self) -> pyproj.Transformer:
        # Looked up on first use: a clean check measures no area.
        return projected_from_wgs84(metric_crs(*self._bounds))

    def _project(self, xy: FloatArray) -> FloatArray:
        return np.column_stack(self._to_projected.transform(xy[:, 0], xy[:, 1]))
