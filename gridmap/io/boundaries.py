"""Reading and writing boundary files (GeoJSON, GeoPackage, Shapefile) into the grid model.

The grid model is a GeoDataFrame in WGS-84 with the columns in `COLUMNS`; `source` and `feature` say where
each row came from so that every message can name the file and the feature. GeoJSON is parsed here rather
than through GDAL so that a ring left open or too short is reported, not silently repaired. GeoJSON and plain
GeoPackages are read without pandas (`gridmap.io.geopackage`), and the frame is built only when asked for
(`BoundaryInput.frame`): the check takes the columns (`BoundaryInput.features`) and starts without geopandas.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import Datum, cgcs2000_crs, parse_datum, to_wgs84, wgs84_crs, wgs84_from_projected
from gridmap.geo.hierarchy import Level, parse_level
from gridmap.geo.problems import Problem, ProblemKind, Severity
from gridmap.io.boundary_features import BoundaryFeatures, FileFeatures

if TYPE_CHECKING:  # pandas, geopandas and pyogrio (which imports both) are imported where a frame is built
    import geopandas as gpd
    import pyproj  # imported where a CRS is parsed or a file reprojected: WGS-84 GeoJSON is read without PROJ

COLUMNS = ["code", "name", "level", "parent", "worker", "households_target", "source", "feature", "geometry"]
BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")


@dataclass(frozen=True)
class FieldMapping:
    """Which property holds what, for files from elsewhere (e.g. `adcode` for the code)."""

    code_field: str = "code"
    name_field: str = "name"
    parent_field: str = "parent"
    level_field: str = "level"
    level: Level | None = None  # force every feature of the file to this level
    flat: bool = False  # ignore levels and parents: one flat coverage


@dataclass(frozen=True)
class SourceCrs:
    """The coordinate system the input is in: a Chinese web datum, or any CRS pyproj knows."""

    datum: Datum = Datum.WGS84
    crs: pyproj.CRS | None = None  # a projected or other CRS to reproject from

    @classmethod
    def parse(cls, text: str) -> SourceCrs:
        """`wgs84`, `gcj02`, `bd09`, `cgcs2000`, or an EPSG code such as `EPSG:4549`."""
        try:
            return cls(datum=parse_datum(text))
        except ValueError:
            pass
        import pyproj

        try:
            return cls(crs=pyproj.CRS.from_user_input(text))
        except pyproj.exceptions.CRSError:
            msg = f"unknown coordinate system {text!r}: use wgs84, gcj02, bd09, cgcs2000 or EPSG:NNNN"
            raise InvalidInput(msg) from None


@dataclass
class BoundaryInput:
    """What was read: the features in the grid model, and the problems found while reading."""

    files: list[FileFeatures]  # in the order read, one per file
    problems: list[Problem]
    crs_by_file: dict[str, SourceCrs] = field(default_factory=dict)  # what each file was read from, by path

    @functools.cached_property
    def features(self) -> BoundaryFeatures:
        """The columns the check reads, without pandas."""
        return BoundaryFeatures.from_files(self.files)

    @functools.cached_property
    def frame(self) -> gpd.GeoDataFrame:
        """Every feature as one grid-model GeoDataFrame in WGS-84."""
        import geopandas as gpd
        import pandas as pd

        frames = [
            gpd.GeoDataFrame(file.records, geometry=list(file.geometries), crs=wgs84_crs(), columns=COLUMNS[:-1])
            for file in self.files
        ]
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=wgs84_crs())


def boundary_files(paths: Iterable[Path]) -> list[Path]:
    """The boundary files named by `paths`: files as given, folders by their top-level boundary files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and _looks_like_boundaries(p))
            if not found:
                msg = f"{path}: no boundary files (*.geojson, *.json, *.gpkg, *.shp) in this folder"
                raise NotFound(msg)
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            msg = f"{path}: no such file or folder"
            raise NotFound(msg)
    return files


def _looks_like_boundaries(path: Path) -> bool:
    """In a folder: files with a boundary suffix, but a .json only when it starts like GeoJSON.

    Folders of boundaries also hold other JSON (answer keys, reports), which are not boundary files.
    """
    suffix = path.suffix.lower()
    if suffix != ".json":
        return suffix in BOUNDARY_SUFFIXES
    with path.open("rb") as handle:
        head = handle.read(4096).decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    return head.startswith("{") and '"Feature' in head


def read_boundaries(
    paths: Sequence[Path], *, mapping: FieldMapping | None = None, source_crs: SourceCrs | None = None, jobs: int = 1
) -> BoundaryInput:
    """Read every boundary file under `paths` into one grid-model frame in WGS-84 (a Chinese datum's formula in
    `jobs` threads: the same coordinates for any number)."""
    mapping = mapping or FieldMapping()
    read: list[FileFeatures] = []
    problems: list[Problem] = []
    crs_by_file: dict[str, SourceCrs] = {}
    files = boundary_files(paths)
    for path in files:
        if path.suffix.lower() == ".zip":
            _check_zipped_shapefiles(path)
        if path.suffix.lower() in (".geojson", ".json"):
            features, read_problems, crs_by_file[str(path)] = _read_geojson(path, mapping, source_crs, jobs)
            problems.extend(read_problems)
        else:
            features, crs_by_file[str(path)] = _read_layer(path, mapping, source_crs, jobs)
        read.append(features)
    if not any(file.records for file in read):  # nothing to check or import: `check` and `import` refuse it (exit 2)
        msg = f"no features in {', '.join(map(str, files))}"
        raise InvalidInput(msg)
    return BoundaryInput(files=read, problems=problems, crs_by_file=crs_by_file)


def _read_geojson(
    path: Path, mapping: FieldMapping, source_crs: SourceCrs | None, jobs: int
) -> tuple[FileFeatures, list[Problem], SourceCrs]:
    """Parse a GeoJSON file feature by feature, keeping what GDAL would silently repair."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        msg = f"{path}: malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}"
        raise InvalidInput(msg) from None
    except UnicodeDecodeError:
        msg = f"{path}: not UTF-8 text; GeoJSON must be UTF-8"
        raise InvalidInput(msg) from None
    if not isinstance(document, dict) or document.get("type") not in ("FeatureCollection", "Feature"):
        msg = f"{path}: not a GeoJSON FeatureCollection (top-level 'type' must be 'FeatureCollection')"
        raise InvalidInput(msg)
    features = document["features"] if document["type"] == "FeatureCollection" else [document]
    if not isinstance(features, list):
        msg = f"{path}: 'features' must be a list"
        raise InvalidInput(msg)
    records: list[dict[str, Any]] = []
    geometries: list[BaseGeometry | _PolygonRings | None] = []
    problems: list[Problem] = []
    for index, feature in enumerate(features):
        where = f"{path}: feature {index}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            msg = f"{where}: not a GeoJSON Feature"
            raise InvalidInput(msg)
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            msg = f"{where}: 'properties' must be an object"
            raise InvalidInput(msg)
        record = _record(properties, mapping, where)
        geometry, problem = _geometry(feature.get("geometry"), where, record)
        if problem is not None:
            problems.append(problem)
        records.append({**record, "source": str(path), "feature": index})
        geometries.append(geometry)
    read_from = source_crs or SourceCrs(crs=_declared_crs(document, path))
    # the problems' points are in the file's coordinates, like the features: both go to WGS-84
    located = _to_wgs84(_geometry_array([p.geometry for p in problems]), read_from, path)
    problems = [replace(p, geometry=g) for p, g in zip(problems, located, strict=True)]
    return FileFeatures(records, _to_wgs84(_built_geometries(geometries), read_from, path, jobs)), problems, read_from


def _geometry_array(geometries: Sequence[BaseGeometry | None]) -> npt.NDArray[np.object_]:
    """Geometries (or None) as a one-dimensional object array."""
    array = np.empty(len(geometries), dtype=object)
    array[:] = geometries
    return array


def _built_geometries(geometries: Sequence[BaseGeometry | _PolygonRings | None]) -> npt.NDArray[np.object_]:
    """The features' geometries, every feature's polygon rings built in a few GEOS calls for the whole file.

    A feature of one polygon is a Polygon, of several a MultiPolygon, of none None (as read ring by ring).
    """
    array = _geometry_array([None if isinstance(g, _PolygonRings) else g for g in geometries])
    gathered = [(index, rings) for index, rings in enumerate(geometries) if isinstance(rings, _PolygonRings)]
    parts = [part for _, rings in gathered for part in rings.parts]
    if not parts:
        return array
    rings = [ring for part in parts for ring in part]
    polygons = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON,
        np.concatenate(rings),
        (np.cumsum([0, *map(len, rings)]), np.cumsum([0, *map(len, parts)])),
    )
    features = np.array([index for index, _ in gathered])
    part_counts = np.array([len(rings.parts) for _, rings in gathered])
    single, several = part_counts == 1, part_counts > 1
    array[features[single]] = polygons[np.repeat(single, part_counts)]
    if several.any():
        owner = np.repeat(np.arange(int(several.sum())), part_counts[several])
        array[features[several]] = shapely.multipolygons(polygons[np.repeat(several, part_counts)], indices=owner)
    return array


def _declared_crs(document: dict[str, Any], path: Path) -> pyproj.CRS | None:
    """The CRS named by an old-style GeoJSON `crs` member, if any."""
    crs_member = document.get("crs")
    if not crs_member:
        return None
    import pyproj

    name = (crs_member.get("properties") or {}).get("name") if isinstance(crs_member, dict) else None
    try:
        return pyproj.CRS.from_user_input(name)
    except (pyproj.exceptions.CRSError, TypeError):
        msg = f"{path}: unknown 'crs' {name!r}; name it like 'urn:ogc:def:crs:EPSG::4549' or pass --crs"
        raise InvalidInput(msg) from None


def _record(properties: dict[str, Any], mapping: FieldMapping, where: str) -> dict[str, Any]:
    """The grid-model properties of one feature."""
    if mapping.code_field not in properties:
        present = ", ".join(sorted(properties)) or "none"
        msg = f"{where}: no {mapping.code_field!r} property (present: {present}); map it with --code-field"
        raise InvalidInput(msg)
    level: str | None = mapping.level.value if mapping.level else None
    if level is None and not mapping.flat and properties.get(mapping.level_field) not in (None, ""):
        parsed = parse_level(str(properties[mapping.level_field]))
        if parsed is None:
            value = properties[mapping.level_field]
            msg = (
                f"{where}: unknown level {value!r} in {mapping.level_field!r}; "
                "use community, grid or microgrid, or --flat to ignore levels"
            )
            raise InvalidInput(msg)
        level = parsed.value
    return {
        "code": _text(properties.get(mapping.code_field)),
        "name": _text(properties.get(mapping.name_field)),
        "level": level,
        "parent": _text(properties.get(mapping.parent_field)) if level else "",
        "worker": _text(properties.get("worker")) or None,
        "households_target": _integer(properties.get("households_target"), where),
    }


def _text(value: Any) -> str:
    """A property as text; numeric codes lose a trailing '.0'; {'adcode': ...} objects give their code."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("adcode", value.get("code", ""))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _integer(value: Any, where: str) -> int | None:
    """An optional whole-number property."""
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{where}: households_target {value!r} is not a number"
        raise InvalidInput(msg) from None
    return None if math.isnan(number) else int(number)


def _geometry(
    geometry: Any, where: str, record: dict[str, Any]
) -> tuple[BaseGeometry | _PolygonRings | None, Problem | None]:
    """The feature's geometry (polygons as their rings), closing open rings; with an invalid_geometry problem when a
    ring is bad."""
    if geometry is None:
        return None, None
    if not isinstance(geometry, dict) or "type" not in geometry:
        msg = f"{where}: 'geometry' must be a GeoJSON geometry object or null"
        raise InvalidInput(msg)
    if geometry["type"] in ("Polygon", "MultiPolygon"):
        polygons = geometry.get("coordinates")
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        return _polygon_rings(polygons, where, record)
    try:
        shape = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as err:
        msg = f"{where}: unreadable {geometry['type']} geometry: {err}"
        raise InvalidInput(msg) from None
    _require_finite(shapely.get_coordinates(shape), where)
    return shape, None


def _require_finite(coordinates: npt.ArrayLike, where: str) -> None:
    """InvalidInput naming the first coordinate pair holding NaN or Infinity (a broken export, not a place)."""
    pairs = np.asarray(coordinates, dtype=np.float64).reshape(-1, 2)
    if np.isfinite(pairs).all():
        return
    bad = np.flatnonzero(~np.isfinite(pairs).all(axis=1))
    if len(bad):
        msg = f"{where}: coordinates {pairs[bad[0]].tolist()} are not finite numbers (NaN or Infinity)"
        raise InvalidInput(msg)


@dataclass(frozen=True)
class _PolygonRings:
    """A feature's polygons as [lon, lat] arrays, each its shell then its holes: built with the file's others."""

    parts: list[list[npt.NDArray[np.float64]]]


def _ring_points(ring: Any) -> npt.NDArray[np.float64]:
    """A ring's positions as an (n, 2) array of lon, lat (a height is dropped); TypeError, ValueError or
    IndexError when a position is not a list of numbers."""
    try:
        array = np.array(ring)
    except (TypeError, ValueError, OverflowError):  # ragged positions, numbers too large: read one by one
        array = np.empty(0, dtype=object)
    if array.ndim != 2 or array.shape[1] < 2 or array.dtype.kind not in "bif":  # what float() makes exactly
        array = np.array([(float(x[0]), float(x[1])) for x in ring], dtype=np.float64).reshape(-1, 2)
    return array[:, :2].astype(np.float64)


def _polygon_rings(polygons: Any, where: str, record: dict[str, Any]) -> tuple[_PolygonRings, Problem | None]:
    """(Multi)Polygon parts ring by ring, reporting open or too-short rings instead of failing."""
    parts: list[list[npt.NDArray[np.float64]]] = []
    faults: list[str] = []
    location: npt.NDArray[np.float64] | None = None  # where the problem is shown, if there is one
    try:
        for p, rings in enumerate(polygons):
            closed_rings: list[npt.NDArray[np.float64]] = []
            for r, ring in enumerate(rings):
                points = _ring_points(ring)
                _require_finite(points, where)
                if len(points) and location is None:
                    location = points[0]
                if len(points) >= 2 and (points[0] != points[-1]).any():
                    first = tuple(points[0].tolist())
                    faults.append(f"ring {r} of polygon {p} is not closed (first point {first} != last)")
                    location = points[-1]
                    points = np.concatenate([points, points[:1]])
                if len(points) < 4:
                    faults.append(f"ring {r} of polygon {p} has {len(points)} points, a ring needs at least 4")
                    closed_rings = []
                    break
                closed_rings.append(points)
            if closed_rings:
                parts.append(closed_rings)
    except (TypeError, ValueError, IndexError):
        msg = f"{where}: polygon coordinates must be lists of [lon, lat] positions"
        raise InvalidInput(msg) from None
    if not faults:
        return _PolygonRings(parts), None
    problem = Problem(
        kind=ProblemKind.INVALID_GEOMETRY,
        severity=Severity.ERROR,
        message=f"{where} ({record['code'] or 'no code'}): " + "; ".join(faults),
        level=record["level"],
        codes=(record["code"],),
        geometry=None if location is None else shapely.Point(location),
        details={"reason": "; ".join(faults), "unusable": not parts},
    )
    return _PolygonRings(parts), problem


def _check_zipped_shapefiles(path: Path) -> None:
    """A zip archive's sizes pass the zip-bomb checks, and each Shapefile in it has its .dbf."""
    from gridmap.io.archives import archive_members  # zipfile: imported by the runs reading an archive

    names = [member.filename for member in archive_members(path)]
    _require_dbf(path, [name for name in names if name.lower().endswith(".shp")], names)


def _require_dbf(where: Path, shapefiles: Sequence[str], names: Sequence[str]) -> None:
    """InvalidInput naming the first Shapefile (among `names`, the files beside it) whose .dbf is missing.

    Without its .dbf a Shapefile has geometry but no properties, so every feature would lack its code.
    """
    present = {name.lower() for name in names}
    for shapefile in shapefiles:
        dbf = shapefile[: -len(".shp")] + ".dbf"
        if dbf.lower() not in present:
            inside = f" in {where}" if where.suffix.lower() == ".zip" else ""
            msg = (
                f"{shapefile}{inside}: its attribute table {PurePosixPath(dbf).name} is missing; a Shapefile "
                "needs its .shp, .shx and .dbf side by side (and its .prj for the coordinate system)"
            )
            raise InvalidInput(msg)


def _read_layer(
    path: Path, mapping: FieldMapping, source_crs: SourceCrs | None, jobs: int
) -> tuple[FileFeatures, SourceCrs]:
    """Read a GeoPackage or Shapefile (or anything GDAL reads) into the grid model."""
    if path.suffix.lower() == ".shp":
        _require_dbf(path.parent, [str(path)], [str(p) for p in path.parent.iterdir()])
    plain = None
    if path.suffix.lower() == ".gpkg":
        from gridmap.io import geopackage  # sqlite3: imported by the runs reading a GeoPackage

        plain = geopackage.read_plain_layer(path)
    rows, geometries, crs = (plain.properties, plain.geometries, plain.crs) if plain else _read_with_gdal(path)
    records = [
        {**_record(properties, mapping, f"{path}: feature {index}"), "source": str(path), "feature": index}
        for index, properties in enumerate(rows)
    ]
    read_from = source_crs or SourceCrs(crs=crs)
    return FileFeatures(records, _to_wgs84(geometries, read_from, path, jobs)), read_from


def _read_with_gdal(path: Path) -> tuple[list[dict[str, Any]], npt.NDArray[np.object_], pyproj.CRS | None]:
    """The properties (empty cells as None), geometries and CRS of a file's first layer, read by GDAL."""
    import pyogrio

    try:
        raw = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError) as err:
        msg = f"{path}: cannot read ({err})"
        raise InvalidInput(msg) from None
    columns = [c for c in raw.columns if c != "geometry"]
    rows = [{k: (None if _is_missing(v) else v) for k, v in row.items()} for row in raw[columns].to_dict("records")]
    return rows, np.asarray(raw.geometry.values, dtype=object), raw.crs


def _is_missing(value: Any) -> bool:
    """True for None and the NaN/NA values pandas fills empty cells with."""
    import pandas as pd

    return value is None or (not isinstance(value, (str, bytes, dict, list)) and bool(pd.isna(value)))


def _to_wgs84(
    geometries: npt.NDArray[np.object_], source_crs: SourceCrs, path: Path, jobs: int = 1
) -> npt.NDArray[np.object_]:
    """The geometries reprojected from their source CRS (and datum, its formula in `jobs` threads) to WGS-84."""
    crs = source_crs.crs
    if crs is not None and not crs.equals(wgs84_crs()) and not crs.equals(cgcs2000_crs()):
        import pyproj

        transformer = wgs84_from_projected(crs)
        try:
            geometries = _transformed(geometries, transformer.transform)
        except pyproj.exceptions.ProjError as err:
            msg = f"{path}: cannot reproject from {crs.name} to WGS-84: {err}"
            raise InvalidInput(msg) from None
    if source_crs.datum in (Datum.GCJ02, Datum.BD09):
        datum = source_crs.datum

        def shift(coords: Any) -> Any:
            lon, lat = to_wgs84(coords[:, 0], coords[:, 1], datum, jobs=jobs)
            return np.column_stack([lon, lat])

        geometries = shapely.transform(geometries, shift)
    return geometries


def _transformed(geometries: npt.NDArray[np.object_], transform: Callable[..., Any]) -> npt.NDArray[np.object_]:
    """Every vertex through a pyproj transform, x and y (and z where a geometry has it), as geopandas' to_crs does."""
    result = np.empty_like(geometries)
    has_z = shapely.has_z(geometries)
    for with_z in (False, True):
        chosen = geometries[has_z == with_z]
        coordinates = shapely.get_coordinates(chosen, include_z=with_z)
        moved = transform(*(coordinates[:, axis] for axis in range(coordinates.shape[1])))
        result[has_z == with_z] = shapely.set_coordinates(chosen.copy(), np.array(moved).T)
    return result


WRITE_DRIVERS = {
    "geojson": ("GeoJSON", ".geojson"),
    "gpkg": ("GPKG", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp"),
}


def write_boundaries(frame: gpd.GeoDataFrame, path: Path, fmt: str) -> Path:
    """Write grid-model features to `path` as geojson, gpkg or shp, in the frame's CRS (WGS-84 when it declares
    none); returns the path written."""
    if fmt not in WRITE_DRIVERS:
        msg = f"unknown format {fmt!r}; use one of {', '.join(WRITE_DRIVERS)}"
        raise InvalidInput(msg)
    import pyogrio

    driver, suffix = WRITE_DRIVERS[fmt]
    out = frame[[c for c in COLUMNS if c in frame.columns and c not in ("source", "feature")]].copy()
    out["level"] = out["level"].fillna("")
    path = path if path.suffix else path.with_suffix(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(out if out.crs is not None else out.set_crs(wgs84_crs()), path, driver=driver)
    return path


def read_outline(path: Path, *, source_crs: SourceCrs | None = None) -> BaseGeometry:
    """The union of every polygon in a file (an --extent outline), in WGS-84; properties are ignored."""
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    _, geometries, crs = _read_with_gdal(path)
    outline: BaseGeometry = shapely.union_all(_to_wgs84(geometries, source_crs or SourceCrs(crs=crs), path))
    return outline
