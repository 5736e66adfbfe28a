"""`gridmap fix` writes its output in the input's coordinate system: a projected GeoPackage stays projected (a QGIS
user's layers still line up, metric tolerances stay metres), GCJ-02 goes back to GCJ-02, WGS-84 stays WGS-84."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.geo.crs import wgs84_to_gcj02
from tests.boundary_builders import COMMUNITY, community_of_grids, write_collection

runner = CliRunner()
X0, Y0 = 450_600.0, 3_037_000.0  # EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E) metres, near Shouning
SIDE = 200.0


def metric_grids() -> gpd.GeoDataFrame:
    """A community of four 200 m grids in EPSG:4549 in which grid 001 overlaps grid 002 by a 1 m strip."""
    box = shapely.box
    rows = [
        (COMMUNITY, "community", "", box(X0, Y0, X0 + 2 * SIDE, Y0 + 2 * SIDE)),
        (f"{COMMUNITY}001", "grid", COMMUNITY, box(X0, Y0, X0 + SIDE + 1.0, Y0 + SIDE)),
        (f"{COMMUNITY}002", "grid", COMMUNITY, box(X0 + SIDE, Y0, X0 + 2 * SIDE, Y0 + SIDE)),
        (f"{COMMUNITY}003", "grid", COMMUNITY, box(X0, Y0 + SIDE, X0 + SIDE, Y0 + 2 * SIDE)),
        (f"{COMMUNITY}004", "grid", COMMUNITY, box(X0 + SIDE, Y0 + SIDE, X0 + 2 * SIDE, Y0 + 2 * SIDE)),
    ]
    codes, levels, parents, shapes = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"code": codes, "name": [f"名称{c[-3:]}" for c in codes], "level": levels, "parent": parents},
        geometry=list(shapes),
        crs="EPSG:4549",
    )


def fix(source: Path, out: Path, *options: str) -> str:
    """Run `gridmap fix` and return what it printed."""
    result = runner.invoke(app, ["fix", str(source), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return result.output


def by_code(frame: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    """The geometries of a frame by feature code, normalised for comparison."""
    return {str(c): shapely.normalize(g) for c, g in zip(frame["code"], frame.geometry, strict=True)}


def test_a_projected_geopackage_comes_back_in_its_crs_and_in_metres(tmp_path: Path) -> None:
    source = tmp_path / "grids_4549.gpkg"
    pyogrio.write_dataframe(metric_grids(), source, driver="GPKG")
    printed = fix(source, tmp_path / "fixed.gpkg")
    assert "EPSG:4549" in printed

    written = pyogrio.read_dataframe(tmp_path / "fixed.gpkg")
    assert pyproj.CRS(written.crs).to_epsg() == 4549
    xmin, ymin, xmax, ymax = written.total_bounds
    assert abs(xmin - X0) < 1e-3 and abs(ymin - Y0) < 1e-3  # metres, not degrees
    assert abs(xmax - (X0 + 2 * SIDE)) < 1e-3 and abs(ymax - (Y0 + 2 * SIDE)) < 1e-3
    grids = written[written["level"] == "grid"]
    assert shapely.coverage_is_valid(np.asarray(grids.geometry.values, dtype=object))
    # The 200 m2 overlap is gone and nothing is left uncovered (to within the millimetres by which the repair's
    # edges, straight in WGS-84 where it works, bend in Gauss-Kruger).
    assert abs(grids.area.sum() - (2 * SIDE) ** 2) < 1.0
    # The community keeps its shape to the millimetre after the trip through WGS-84 and back.
    community = written[written["level"] == "community"].geometry.iloc[0]
    assert shapely.hausdorff_distance(community, metric_grids().geometry.iloc[0]) < 1e-3

    # The same geometry as the repair of the same features handed over in WGS-84 (which is written in WGS-84).
    wgs84_source = tmp_path / "grids_wgs84.geojson"
    pyogrio.write_dataframe(metric_grids().to_crs(4326), wgs84_source, driver="GeoJSON")
    fix(wgs84_source, tmp_path / "fixed_wgs84.geojson")
    in_wgs84 = by_code(pyogrio.read_dataframe(tmp_path / "fixed_wgs84.geojson"))
    back_in_wgs84 = by_code(written.to_crs(4326))
    assert in_wgs84.keys() == back_in_wgs84.keys()
    for code, shape in in_wgs84.items():
        assert shapely.equals_exact(back_in_wgs84[code], shape, tolerance=1e-7), code


def test_gcj02_input_goes_back_to_gcj02(tmp_path: Path) -> None:
    features = community_of_grids()
    gcj02 = []
    for feature in features:
        shape = shapely.geometry.shape(feature["geometry"])
        moved = shapely.transform(shape, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
        gcj02.append({**feature, "geometry": shapely.geometry.mapping(moved)})
    source = write_collection(tmp_path / "gcj02.geojson", gcj02)
    out = tmp_path / "fixed.geojson"
    assert "gcj02" in fix(source, out, "--crs", "gcj02")

    written = {f["properties"]["code"]: f for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    for feature in gcj02:  # a clean coverage: nothing moves, and the coordinates are GCJ-02 as read
        shape = shapely.normalize(shapely.geometry.shape(written[feature["properties"]["code"]]["geometry"]))
        expected = shapely.normalize(shapely.geometry.shape(feature["geometry"]))
        assert shapely.equals_exact(shape, expected, tolerance=1e-7), feature["properties"]["code"]


def test_wgs84_input_stays_wgs84(tmp_path: Path) -> None:
    source = write_collection(tmp_path / "wgs84.geojson", community_of_grids())
    out = tmp_path / "fixed.gpkg"
    assert "wgs84" in fix(source, out)
    written = pyogrio.read_dataframe(out)
    assert pyproj.CRS(written.crs).to_epsg() == 4326
    assert by_code(written) == by_code(gpd.read_file(source))
