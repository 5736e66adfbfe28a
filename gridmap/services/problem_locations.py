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
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import Datum, FloatArray, cgcs2000_crs, from_wgs84, to_wgs84, wgs84_crs
from gridmap.geo.problems import LOCATION_DECIMALS, Problem, geojson_mappings, representative_points, rounded_pairs
from gridmap.io.boundaries import SourceCrs

if TYPE_CHECKING:  # frames only for `gridmap fix`: the check starts without geopandas, and without PROJ
    import geopandas as gpd  # until a location is converted (gridmap.geo.crs.wgs84_crs)
    import pyproj

PROJECTED_DECIMALS = 4  # metres: a tenth of a millimetre


def _reprojected(source: SourceCrs) -> pyproj.CRS | None:
    """The CRS the reader reprojected from (None when it took the coordinates as lon/lat as they are)."""
    crs = source.crs
    if crs is None or crs.equals(wgs84_crs()) or crs.equals(cgcs2000_crs()):
        return None
    return crs


@functools.lru_cache(maxsize=64)  # naming a pyproj CRS by its EPSG code searches the database
def crs_name(source: SourceCrs) -> str:
    """How reports name the input's coordinate system: wgs84, gcj02, bd09, cgcs2000, or EPSG:NNNN."""
    crs = _reprojected(source)
    if crs is None:
        if source.datum is Datum.WGS84 and source.crs is not None and source.crs.equals(cgcs2000_crs()):
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
    import pyproj

    return pyproj.Transformer.from_crs(from_crs, to_crs, always_xy=True)


def wgs84_to_input(
    lon: npt.ArrayLike, lat: npt.ArrayLike, source: SourceCrs, *, jobs: int = 1
) -> tuple[FloatArray, FloatArray]:
    """WGS-84 lon/lat in the input's coordinates: the reader's conversion run backwards (datum, then CRS; the datum's
    formula in `jobs` threads, the same bits for any number)."""
    x, y = from_wgs84(lon, lat, source.datum, jobs=jobs)
    crs = _reprojected(source)
    if crs is not None:
        x, y = (np.asarray(v, dtype=np.float64) for v in _transformer(wgs84_crs(), crs).transform(x, y))
    return x, y


def input_to_wgs84(
    x: npt.ArrayLike, y: npt.ArrayLike, source: SourceCrs, *, pointwise: bool = False
) -> tuple[FloatArray, FloatArray]:
    """Input coordinates in WGS-84 lon/lat, as the reader converts them (CRS, then datum; `pointwise`: each
    point as it would be converted alone, see `gridmap.geo.crs.to_wgs84`)."""
    lon, lat = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    crs = _reprojected(source)
    if crs is not None:
        lon, lat = (np.asarray(v, dtype=np.float64) for v in _transformer(crs, wgs84_crs()).transform(lon, lat))
    return to_wgs84(lon, lat, source.datum, pointwise=pointwise)


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
    if source.datum is Datum.CGCS2000 or (source.crs is not None and source.crs.equals(cgcs2000_crs())):
        return cgcs2000_crs()
    return wgs84_crs()


def frame_in_input(frame: gpd.GeoDataFrame, source: SourceCrs) -> gpd.GeoDataFrame:
    """A WGS-84 frame with its geometries back in the input's coordinates and the input's CRS declared."""
    if is_wgs84(source):
        return frame
    converted = frame.copy()
    converted[frame.geometry.name] = _in_input(np.asarray(frame.geometry.values, dtype=object), source)
    return converted.set_crs(declared_crs(source), allow_override=True)


def locations(
    problems: Sequence[Problem], points: npt.NDArray[np.object_], source: SourceCrs
) -> list[tuple[list[float] | None, list[float] | None]]:
    """Each problem's location in WGS-84 ([lon, lat]) and in the input's coordinates ([x, y]), or None, given its
    WGS-84 point (`representative_points`); every conversion runs once over all the problems.

    For input that is not WGS-84 the point is chosen in the input's coordinates (the centroid of an
    overlap there, GEOS's crossing there) and the WGS-84 location is that point converted as the reader
    converts, so that the two are the same place exactly.
    """
    placed = ~shapely.is_missing(points)
    in_wgs84: list[list[float] | None] = [None] * len(points)
    at_points = rounded_pairs(shapely.get_x(points[placed]), shapely.get_y(points[placed]), LOCATION_DECIMALS)
    for i, location in zip(np.flatnonzero(placed).tolist(), at_points, strict=True):
        in_wgs84[i] = location
    if is_wgs84(source):
        return [(same, None if same is None else list(same)) for same in in_wgs84]
    given = np.array([p.input_location is not None for p in problems], dtype=bool)
    x, y = np.full(len(problems), math.nan), np.full(len(problems), math.nan)
    x[given], y[given] = np.array([p.input_location for p in problems if p.input_location is not None]).reshape(-1, 2).T
    chosen = placed & ~given
    shapes = np.array([p.geometry for p in problems], dtype=object)[chosen]
    found = representative_points(_in_input(shapes, source))
    x[chosen], y[chosen] = shapely.get_x(found), shapely.get_y(found)
    lon, lat = np.full(len(problems), math.nan), np.full(len(problems), math.nan)
    found_input = np.isfinite(x) & np.isfinite(y)  # a shape with no point in the input is not converted
    lon[found_input], lat[found_input] = input_to_wgs84(x[found_input], y[found_input], source, pointwise=True)
    finite = placed & found_input & np.isfinite(lon) & np.isfinite(lat)
    decimals = LOCATION_DECIMALS if is_geographic(source) else PROJECTED_DECIMALS
    # no place, or e.g. far outside a projected CRS's area: the WGS-84 point alone
    located: list[tuple[list[float] | None, list[float] | None]] = [(same, None) for same in in_wgs84]
    both = np.flatnonzero(finite)
    at_wgs84 = rounded_pairs(lon[both], lat[both], LOCATION_DECIMALS)
    at_input = rounded_pairs(x[both], y[both], decimals)
    for i, location, location_input in zip(both.tolist(), at_wgs84, at_input, strict=True):
        located[i] = (location, location_input)
    return located


def problems_json(problems: Sequence[Problem], source: SourceCrs) -> list[dict[str, Any]]:
    """Each problem's report JSON with `location` (WGS-84) and `location_input` (the input's coordinates)."""
    geometries = np.array([p.geometry for p in problems], dtype=object)
    points = representative_points(geometries)
    return [
        {**problem.json_with(geometry, location), "location_input": location_input}
        for problem, geometry, (location, location_input) in zip(
            problems, geojson_mappings(geometries), locations(problems, points, source), strict=True
        )
    ]


def problem_json(problem: Problem, source: SourceCrs) -> dict[str, Any]:
    """One problem's report JSON (`problems_json`)."""
    return problems_json([problem], source)[0]


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
