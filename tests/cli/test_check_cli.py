"""`gridmap check` and `gridmap fix` as a user runs them: exit codes, messages, files written."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, cell, community_of_grids, feature, write_collection

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    """Run the CLI; (exit code, stdout + stderr)."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_clean_file_exits_zero(tmp_path: Path) -> None:
    code, output = run("check", write_collection(tmp_path / "ok.geojson", community_of_grids()))
    assert code == 0, output
    assert "OK" in output


def test_json_report_follows_the_contract(tmp_path: Path) -> None:
    features = community_of_grids()
    features[1]["geometry"] = shapely.geometry.mapping(cell(0, 1, 1.5, 1))
    code, output = run("check", write_collection(tmp_path / "x.geojson", features), "--format", "json")
    assert code == 1
    report = json.loads(output)
    assert set(report) == {"ok", "summary", "problems"}
    assert report["ok"] is False
    assert set(report["summary"]) == {"features", "levels", "problems", "input_crs"}
    assert report["summary"]["problems"]["overlap"] == 1
    assert report["summary"]["input_crs"] == "wgs84"
    for problem in report["problems"]:
        assert {"kind", "severity", "level", "codes", "area_m2", "message", "geometry"} <= set(problem)
        assert problem["severity"] in ("error", "warning")
        assert problem["location_input"] == problem["location"]  # WGS-84 input: the same [lon, lat]


def test_output_and_html_are_written_and_offline(tmp_path: Path) -> None:
    features = community_of_grids()
    features.pop(3)
    source = write_collection(tmp_path / "gap.geojson", features)
    code, _ = run("check", source, "--output", tmp_path / "p.geojson", "--html", tmp_path / "m.html")
    assert code == 1
    problems = json.loads((tmp_path / "p.geojson").read_text())
    assert problems["type"] == "FeatureCollection"
    assert [f["properties"]["kind"] for f in problems["features"]] == ["gap"]
    page = (tmp_path / "m.html").read_text()
    assert "L.map(" in page or "L.map (" in page
    assert 'src="http' not in page and 'href="http' not in page.replace('href="https://leafletjs.com', "")
    assert "gap" in page


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"type": "FeatureCollection", "features": [', "malformed JSON at line 1"),
        ('{"type": "Topology"}', "not a GeoJSON FeatureCollection"),
        (
            '{"type": "FeatureCollection", "features": '
            '[{"type": "Feature", "properties": {"name": "a"}, "geometry": null}]}',
            "feature 0: no 'code' property",
        ),
    ],
)
def test_unreadable_input_exits_two_with_file_and_feature(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    code, output = run("check", path)
    assert code == 2
    assert str(path) in output.replace("\n", "")
    assert expected in output.replace("\n", "")
    assert "Traceback" not in output


def test_missing_path_exits_two(tmp_path: Path) -> None:
    code, output = run("check", tmp_path / "nope.geojson")
    assert code == 2
    assert "no such file" in output


def test_open_and_short_rings_are_invalid_geometry(tmp_path: Path) -> None:
    features = community_of_grids()
    open_ring = shapely.geometry.mapping(cell(0, 0))["coordinates"][0][:-1]
    features[3]["geometry"] = {"type": "Polygon", "coordinates": [open_ring]}
    features.append(
        feature(
            f"{COMMUNITY}009",
            "grid",
            COMMUNITY,
            {"type": "Polygon", "coordinates": [[[LON0, LAT0], [LON0, LAT0 + STEP], [LON0, LAT0]]]},
        )
    )
    code, output = run("check", write_collection(tmp_path / "rings.geojson", features), "--format", "json")
    assert code == 1
    messages = [p["message"] for p in json.loads(output)["problems"] if p["kind"] == "invalid_geometry"]
    assert any("not closed" in m and "feature 3" in m for m in messages)
    assert any("has 3 points" in m and "feature 5" in m for m in messages)


def test_field_mapping_level_and_gcj02(tmp_path: Path) -> None:
    counties = []
    for i in range(3):
        box = cell(i, 0)
        lon, lat = wgs84_to_gcj02(*shapely.get_coordinates(box).T)
        shifted = shapely.polygons(list(zip(lon, lat, strict=True)))
        counties.append(
            {
                "type": "Feature",
                "properties": {"adcode": 350921 + i, "name": f"县{i}"},
                "geometry": shapely.geometry.mapping(shifted),
            }
        )
    path = tmp_path / "datav.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": counties}))
    code, output = run("check", path, "--code-field", "adcode", "--crs", "gcj02", "--format", "json")
    assert code == 0, output
    assert json.loads(output)["summary"]["levels"] == {"flat": 3}
    code, output = run("check", path, "--code-field", "adcode", "--level", "community", "--format", "json")
    assert json.loads(output)["summary"]["problems"] == {"bad_code": 3}  # 6-digit county codes are no community codes


def test_geopackage_in_gauss_kruger_is_reprojected(tmp_path: Path) -> None:
    frame = gpd.read_file(write_collection(tmp_path / "ok.geojson", community_of_grids()))
    frame.to_crs(4549).to_file(tmp_path / "gk.gpkg", driver="GPKG")
    code, output = run("check", tmp_path / "gk.gpkg", "--format", "json")
    assert code == 0, output
    assert json.loads(output)["summary"]["features"] == 5


def test_fix_repairs_overlap_and_never_overwrites(tmp_path: Path) -> None:
    features = community_of_grids()
    features[1]["geometry"] = shapely.geometry.mapping(cell(0, 1, 1.3, 1))
    source = write_collection(tmp_path / "in.geojson", features)
    before = source.read_bytes()
    code, output = run("fix", source, "--out", source)
    assert code == 2 and "refusing to overwrite" in output
    code, output = run("fix", source, "--out", tmp_path / "fixed.geojson")
    assert code == 0, output
    assert "350924100001" in output
    assert source.read_bytes() == before
    code, output = run("check", tmp_path / "fixed.geojson", "--format", "json")
    kinds = json.loads(output)["summary"]["problems"]
    assert not {"overlap", "gap", "not_nested"} & set(kinds)


def test_help_teaches_with_examples() -> None:
    code, output = run("check", "--help")
    assert code == 0
    assert "Examples" in output and "--crs" in output


def test_geojson_with_declared_crs_is_reprojected(tmp_path: Path) -> None:
    frame = gpd.read_file(write_collection(tmp_path / "ok.geojson", community_of_grids())).to_crs(4549)
    document = json.loads(frame.to_json())
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}
    path = tmp_path / "gk.geojson"
    path.write_text(json.dumps(document))
    code, output = run("check", path, "--format", "json")
    assert code == 0, output
    assert json.loads(output)["summary"]["levels"] == {"community": 1, "grid": 4}


def test_projected_coordinates_without_a_crs_get_a_hint(tmp_path: Path) -> None:
    frame = gpd.read_file(write_collection(tmp_path / "ok.geojson", community_of_grids())).to_crs(4549)
    document = json.loads(frame.to_json())
    document.pop("crs", None)  # metres, but no word of it
    path = tmp_path / "metres.geojson"
    path.write_text(json.dumps(document))
    code, output = run("check", path)
    assert code == 1
    assert "EPSG:4549" in output.replace("\n", "")


def test_households_that_would_change_grid_are_counted_per_pair(tmp_path: Path) -> None:
    current = write_collection(tmp_path / "current.geojson", community_of_grids())
    draft_features = community_of_grids()
    first, second = draft_features[1]["geometry"], draft_features[2]["geometry"]
    draft_features[1]["geometry"], draft_features[2]["geometry"] = second, first  # grids 001 and 002 swap places
    draft = write_collection(tmp_path / "draft.geojson", draft_features)
    households = tmp_path / "households.csv"
    north_west = (LON0 + STEP * 0.5, LAT0 + STEP * 1.5)
    north_east = (LON0 + STEP * 1.5, LAT0 + STEP * 1.5)
    south = (LON0 + STEP * 0.5, LAT0 + STEP * 0.5)
    rows = [north_west] * 3 + [north_east, south]
    households.write_text("lon,lat\n" + "".join(f"{x},{y}\n" for x, y in rows), encoding="utf-8")
    args = ["check", draft, "--households", households, "--compare-to", current]
    code, output = run(*args, "--format", "json")
    assert code == 0, output
    impact = json.loads(output)["summary"]["household_impact"]
    assert impact["moved"] == 4
    assert impact["pairs"] == [
        {"from": f"{COMMUNITY}001", "to": f"{COMMUNITY}002", "count": 3},
        {"from": f"{COMMUNITY}002", "to": f"{COMMUNITY}001", "count": 1},
    ]
    code, output = run(*args)
    assert "4 households would change grid" in output
    code, output = run("check", draft, "--compare-to", current)
    assert code == 2 and "--households" in output


def gcj02_grids_with_a_bow_tie(tmp_path: Path) -> tuple[Path, tuple[float, float]]:
    """The community of four grids in GCJ-02 (as DataV or Amap hand it out), grid 004 drawn as a bow-tie.

    Returns the file and the bow-tie's crossing in the file's own (GCJ-02) coordinates.
    """
    features = community_of_grids()
    for item in features:
        box = shapely.geometry.shape(item["geometry"])
        lon, lat = wgs84_to_gcj02(*shapely.get_coordinates(box).T)
        item["geometry"] = shapely.geometry.mapping(shapely.polygons(list(zip(lon, lat, strict=True))))
    x0, y0, x1, y1 = shapely.geometry.shape(features[4]["geometry"]).bounds
    features[4]["geometry"] = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    return write_collection(tmp_path / "gcj.geojson", features), ((x0 + x1) / 2, (y0 + y1) / 2)


def test_gcj02_input_reports_locations_in_its_own_coordinates(tmp_path: Path) -> None:
    source, crossing = gcj02_grids_with_a_bow_tie(tmp_path)
    code, output = run("check", source, "--crs", "gcj02", "--format", "json")
    assert code == 1
    report = json.loads(output)
    assert report["summary"]["input_crs"] == "gcj02"
    (bow_tie,) = [p for p in report["problems"] if p["kind"] == "invalid_geometry"]
    assert bow_tie["location_input"] == pytest.approx(crossing, abs=1e-7)
    assert bow_tie["location"] == pytest.approx([float(v) for v in gcj02_to_wgs84(*crossing)], abs=1e-9)

    code, output = run("check", source, "--crs", "gcj02")
    text = " ".join(output.split())  # the console wraps long lines
    assert "in gcj02 coordinates" in text
    lon, lat = bow_tie["location"]
    assert f"at {crossing[0]:.6f}, {crossing[1]:.6f} (gcj02; WGS-84 {lon:.6f}, {lat:.6f})" in text


def test_wgs84_text_output_gives_no_second_location(tmp_path: Path) -> None:
    features = community_of_grids()
    features[1]["geometry"] = shapely.geometry.mapping(cell(0, 1, 1.5, 1))
    code, output = run("check", write_collection(tmp_path / "x.geojson", features))
    assert code == 1
    assert " at " not in output and "WGS-84" not in output and "coordinates" not in output


def test_problem_geojson_stays_wgs84_and_carries_the_input_location(tmp_path: Path) -> None:
    source, crossing = gcj02_grids_with_a_bow_tie(tmp_path)
    out, page = tmp_path / "problems.geojson", tmp_path / "map.html"
    code, _ = run("check", source, "--crs", "gcj02", "--output", out, "--html", page)
    assert code == 1
    features = json.loads(out.read_text())["features"]
    (bow_tie,) = [f for f in features if f["properties"]["kind"] == "invalid_geometry"]
    properties = bow_tie["properties"]
    assert properties["input_crs"] == "gcj02"
    assert (properties["input_x"], properties["input_y"]) == pytest.approx(crossing, abs=1e-7)
    assert bow_tie["geometry"]["coordinates"] == pytest.approx(properties["location"], abs=1e-6)  # RFC 7946
    html = page.read_text()
    assert "location (gcj02)" in html
    assert f"{crossing[0]:.6f}, {crossing[1]:.6f} (gcj02; WGS-84" in html


def test_files_in_different_crss_are_located_in_wgs84_with_a_note(tmp_path: Path) -> None:
    features = community_of_grids()
    write_collection(tmp_path / "communities.geojson", features[:1])
    frame = gpd.read_file(write_collection(tmp_path / "g.geojson", features[1:])).to_crs(4549)
    (tmp_path / "g.geojson").unlink()
    frame.to_file(tmp_path / "grids.gpkg", driver="GPKG")
    code, output = run("check", tmp_path, "--format", "json")
    assert code == 0, output
    summary = json.loads(output)["summary"]
    assert summary["input_crs"] == "wgs84"
    assert any("different coordinate systems" in note and "EPSG:4549" in note for note in summary["notes"])


def test_check_and_import_both_refuse_an_empty_feature_collection(tmp_path: Path) -> None:
    empty = write_collection(tmp_path / "empty.geojson", [])
    code, output = run("check", empty)
    assert code == 2
    assert output.strip() == f"gridmap: no features in {empty}"
    result = runner.invoke(app, ["import", str(empty)], env={"GRIDMAP_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"})
    assert result.exit_code == 2
    assert result.output.strip() == f"gridmap: no features in {empty}"


def _shapefile_without_dbf(folder: Path) -> Path:
    """A Shapefile whose .dbf was not copied along (the usual mistake), in `folder`."""
    folder.mkdir()
    frame = gpd.GeoDataFrame({"code": [COMMUNITY]}, geometry=[cell(0, 0)], crs="EPSG:4326")
    frame.to_file(folder / "grids.shp")
    (folder / "grids.dbf").unlink()
    return folder / "grids.shp"


def test_a_shapefile_without_its_dbf_is_named_not_asked_for_a_code_field(tmp_path: Path) -> None:
    shapefile = _shapefile_without_dbf(tmp_path / "parts")
    code, output = run("check", shapefile)
    assert code == 2
    assert output.strip() == (
        f"gridmap: {shapefile}: its attribute table grids.dbf is missing; a Shapefile needs its .shp, .shx and .dbf "
        "side by side (and its .prj for the coordinate system)"
    )
    assert "--code-field" not in output


def test_a_zipped_shapefile_without_its_dbf_names_the_archive(tmp_path: Path) -> None:
    import zipfile

    shapefile = _shapefile_without_dbf(tmp_path / "parts")
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in shapefile.parent.iterdir():
            zipped.write(part, arcname=part.name)
    code, output = run("check", archive)
    assert code == 2
    assert output.strip().startswith(f"gridmap: grids.shp in {archive}: its attribute table grids.dbf is missing")


def test_empty_features_are_errors_unless_allowed_as_placeholders(tmp_path: Path) -> None:
    # GEOS calls a coverage with empty polygons valid; for grids an empty feature is a data error, unless the
    # file carries empty placeholders on purpose (--allow-empty): then it is listed as info and never fails.
    features = community_of_grids(2, 1)
    placeholder = f"{COMMUNITY}003"
    features.append(feature(placeholder, "grid", COMMUNITY, None))
    features.append(feature(f"{COMMUNITY}004", "grid", COMMUNITY, {"type": "Polygon", "coordinates": []}))
    path = write_collection(tmp_path / "placeholders.geojson", features)

    code, output = run("check", path, "--format", "json")
    assert code == 1
    empty = [p for p in json.loads(output)["problems"] if p["kind"] == "empty_geometry"]
    assert [p["severity"] for p in empty] == ["error", "error"]

    for strict in ([], ["--strict"]):
        code, output = run("check", path, "--allow-empty", *strict, "--format", "json")
        assert code == 0, output
        report = json.loads(output)
        assert report["ok"] is True
        empty = [p for p in report["problems"] if p["kind"] == "empty_geometry"]
        assert [(p["severity"], p["codes"]) for p in empty] == [("info", [placeholder]), ("info", [f"{COMMUNITY}004"])]
        # the placeholders take no part in the coverage rules: no gap, overlap or nesting problem is made of them
        assert {p["kind"] for p in report["problems"]} == {"empty_geometry"}
    code, output = run("check", path, "--allow-empty")
    assert code == 0 and "OK: no errors (2 info)" in output
