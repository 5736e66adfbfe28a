"""Problem locations in the input's own coordinates, beside the WGS-84 ones the check works in.

The check reads GCJ-02 (Amap, DataV), BD-09 (Baidu), CGCS2000 or projected files and converts them to
WGS-84 first, so every problem it finds is placed in WGS-84. A planner who edits the GCJ-02 file must find
the problem in GCJ-02, a few hundred metres away, so each location is also given in the coordinate
system the file was read from. The shapes go back vertex by vertex (the inverse of the reader's conversion,
exact for a vertex) and the point is chosen there; a self-intersection is found again by GEOS in the input's
coordinates (gridmap.services.check), since the datum shift bends edges between vertices by centimetres.
`gridmap fix` writes its repaired features back in those coordinates the same way (`frame_in_input`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import Datum, FloatArray, from_wgs84, to_wgs84
from gridmap.geo.problems import LOCATION_DECIMALS, Problem, representative_point
from gridmap.io.boundaries import WGS84, SourceCrs

if TYPE_CHECKING:  # frames only for `gridmap fix`: the check starts without geopandas
    import geopandas as gpd

CGCS2000 = pyproj.CRS.from_epsg(4490)
PROJECTED_DECIMALS = 4  # metres: a tenth of a millimetre


def _reprojected(source: SourceCrs) -> pyproj.CRS | None:
    """The CRS the reader reprojected from (None when it took the coordinates as lon/lat as they are)."""
    crs = source.crs
    if crs is None or crs.equals(WGS84) or crs.equals(CGCS2000):
        return None
    return crs


@functools.lru_cache(maxsize=64)  # naming a pyproj CRS by its EPSG code searches the database
def crs_name(source: SourceCrs) -> str:
    """How reports name the input's coordinate system: wgs84, gcj02, bd09, cgcs2000, or EPSG:NNNN."""
    crs = _reprojected(source)
    if crs is None:
        if source.datum is Datum.WGS84 and source.crs is not None and source.crs.equals(CGCS2000):
            return Datum.CGCS2000.value
        return source.datum.value
    epsg = crs.to_epsg()
    name = f"EPSG:{epsg}" if epsg else crs.name
    return name if source.datum is Datum.WGS84 else f"{name} ({source.datum.value})"


def is_wgs84(source: SourceCrs) -> bool:
    """True when the input's coordinates are WGS-84 lon/lat as they stand (nothing to map back)."""
    return crs_name(source) == Datum.WGS84.value


def bends_edges(source: SourceCrs) -> bool:
    """True when the reader's conversion is not affine: a straight edge of the file is no longer straight in WGS-84
    (a projected CRS, GCJ-02, BD-09), so a vertex put on a neighbour's edge in the file may lie off it after."""
    return _reprojected(source) is not None or source.datum in (Datum.GCJ02, Datum.BD09)


def input_geometries_to_wgs84(geometries: Any, source: SourceCrs) -> Any:
    """Geometries (one or an array) in the input's coordinates back in WGS-84, vertex by vertex, as the reader does."""

    def forward(coords: FloatArray) -> FloatArray:
        return np.column_stack(input_to_wgs84(coords[:, 0], coords[:, 1], source))

    return shapely.transform(geometries, forward)


def is_geographic(source: SourceCrs) -> bool:
    """True when the input's coordinates are degrees (every datum, and geographic CRSs)."""
    crs = _reprojected(source)
    return crs is None or crs.is_geographic


@functools.lru_cache(maxsize=16)
def _transformer(from_crs: pyproj.CRS, to_crs: pyproj.CRS) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(from_crs, to_crs, always_xy=True)


def wgs84_to_input(lon: npt.ArrayLike, lat: npt.ArrayLike, source: SourceCrs) -> tuple[FloatArray, FloatArray]:
    """WGS-84 lon/lat in the input's coordinates: the reader's conversion run backwards (datum, then CRS)."""
    x, y = from_wgs84(lon, lat, source.datum)
    crs = _reprojected(source)
    if crs is not None:
        x, y = (np.asarray(v, dtype=np.float64) for v in _transformer(WGS84, crs).transform(x, y))
    return x, y


def input_to_wgs84(x: npt.ArrayLike, y: npt.ArrayLike, source: SourceCrs) -> tuple[FloatArray, FloatArray]:
    """Input coordinates in WGS-84 lon/lat, as the reader converts them (CRS, then datum)."""
    lon, lat = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    crs = _reprojected(source)
    if crs is not None:
        lon, lat = (np.asarray(v, dtype=np.float64) for v in _transformer(crs, WGS84).transform(lon, lat))
    return to_wgs84(lon, lat, source.datum)


def _in_input(geometries: Any, source: SourceCrs) -> Any:
    """WGS-84 geometries (one or an array) in the input's coordinates, vertex by vertex."""

    def back(coords: FloatArray) -> FloatArray:
        return np.column_stack(wgs84_to_input(coords[:, 0], coords[:, 1], source))

    return shapely.transform(geometries, back)


def geometry_in_input(geometry: BaseGeometry, source: SourceCrs) -> BaseGeometry:
    """A WGS-84 geometry in the input's coordinates, vertex by vertex (a vertex goes back exactly)."""
    shape: BaseGeometry = _in_input(geometry, source)
    return shape


def declared_crs(source: SourceCrs) -> pyproj.CRS:
    """The CRS a file in the input's coordinates declares: the projected or other CRS it was reprojected from,
    CGCS2000, else WGS-84 (GCJ-02 and BD-09 coordinates have no CRS of their own; their files declare WGS-84)."""
    crs = _reprojected(source)
    if crs is not None:
        return crs
    if source.datum is Datum.CGCS2000 or (source.crs is not None and source.crs.equals(CGCS2000)):
        return CGCS2000
    return WGS84


def frame_in_input(frame: gpd.GeoDataFrame, source: SourceCrs) -> gpd.GeoDataFrame:
    """A WGS-84 frame with its geometries back in the input's coordinates and the input's CRS declared."""
    if is_wgs84(source):
        return frame
    converted = frame.copy()
    converted[frame.geometry.name] = _in_input(np.asarray(frame.geometry.values, dtype=object), source)
    return converted.set_crs(declared_crs(source), allow_override=True)


def locations(problem: Problem, source: SourceCrs) -> tuple[list[float] | None, list[float] | None]:
    """The problem's location in WGS-84 ([lon, lat]) and in the input's coordinates ([x, y]), or None.

    For input that is not WGS-84 the point is chosen in the input's coordinates (the centroid of an
    overlap there, GEOS's crossing there) and the WGS-84 location is that point converted as the reader
    converts, so that the two are the same place exactly.
    """
    point = problem.location
    if point is None:
        return None, None
    if is_wgs84(source):
        same = [round(point.x, LOCATION_DECIMALS), round(point.y, LOCATION_DECIMALS)]
        return same, list(same)
    if problem.input_location is not None:
        x, y = problem.input_location
    else:
        assert problem.geometry is not None
        found = representative_point(geometry_in_input(problem.geometry, source))
        x, y = (found.x, found.y) if found is not None else (math.nan, math.nan)
    lon, lat = (float(v) for v in input_to_wgs84(x, y, source))
    if not all(math.isfinite(v) for v in (x, y, lon, lat)):  # e.g. far outside a projected CRS's area
        return [round(point.x, LOCATION_DECIMALS), round(point.y, LOCATION_DECIMALS)], None
    decimals = LOCATION_DECIMALS if is_geographic(source) else PROJECTED_DECIMALS
    return [round(lon, LOCATION_DECIMALS), round(lat, LOCATION_DECIMALS)], [round(x, decimals), round(y, decimals)]


def problem_json(problem: Problem, source: SourceCrs) -> dict[str, Any]:
    """The problem's report JSON with `location` (WGS-84) and `location_input` (the input's coordinates)."""
    location, location_input = locations(problem, source)
    return {**problem.to_json(), "location": location, "location_input": location_input}


def common_input_crs(crs_by_file: Mapping[str, SourceCrs]) -> tuple[SourceCrs, str | None]:
    """The one coordinate system the files were read from; WGS-84 and a note when they differ."""
    names = {path: crs_name(source) for path, source in crs_by_file.items()}
    if len(set(names.values())) <= 1:
        return next(iter(crs_by_file.values()), SourceCrs()), None
    listed = ", ".join(f"{path}: {name}" for path, name in names.items())
    note = f"the files are in different coordinate systems ({listed}): locations are given in WGS-84 only"
    return SourceCrs(), note


def format_location(problem_json_object: Mapping[str, Any], source: SourceCrs) -> str | None:
    """For people: "x, y (crs; WGS-84 lon, lat)", or None when the problem has no location.

    Degrees with 6 decimals (about 10 cm), metres with 2; WGS-84 input gives the WGS-84 pair alone.
    """
    location, location_input = problem_json_object.get("location"), problem_json_object.get("location_input")
    if location is None:
        return None
    wgs84 = f"{location[0]:.6f}, {location[1]:.6f}"
    if is_wgs84(source) or location_input is None:
        return wgs84
    digits = 6 if is_geographic(source) else 2
    return f"{location_input[0]:.{digits}f}, {location_input[1]:.{digits}f} ({crs_name(source)}; WGS-84 {wgs84})"
