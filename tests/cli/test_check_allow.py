"""`gridmap check --allow` and `gridmap fix --allow`: a registered river gap is listed as allowed, never failing or
repaired; `gridmap allow list|add|remove` keeps the register of a stored set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from tests.boundary_builders import LAT0, LON0, STEP, cell, feature, write_collection

runner = CliRunner()
RIVER_BANKS = (1.4, 1.6)  # the river runs north-south between these columns, from row 1 to row 2


def run(*args: str | Path) -> tuple[int, str]:
    """Run the CLI; (exit code, stdout + stderr)."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def shape(*corners: tuple[float, float]) -> shapely.Polygon:
    """A polygon through grid-step coordinates (as `cell` measures them)."""
    return shapely.Polygon([(LON0 + x * STEP, LAT0 + y * STEP) for x, y in corners])


def river_region(folder: Path) -> Path:
    """Four communities whose shared borders match vertex for vertex, around a 40 m wide river (a hole)."""
    west, east = RIVER_BANKS
    features = [
        feature("350924100001", "community", "", shape((0, 2), (west, 2), (east, 2), (3, 2), (3, 3), (0, 3))),
        feature("350924100002", "community", "", shape((0, 0), (3, 0), (3, 1), (east, 1), (west, 1), (0, 1))),
        feature("350924100003", "community", "", shape((0, 1), (west, 1), (west, 2), (0, 2))),
        feature("350924100004", "community", "", shape((east, 1), (3, 1), (3, 2), (east, 2))),
    ]
    return write_collection(folder / "river.geojson", features)


def allow_file(folder: Path, *features: dict[str, Any]) -> Path:
    """An --allow file of these features."""
    path = folder / "allowed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False))
    return path


def river_gap(**properties: Any) -> dict[str, Any]:
    """The river, drawn a little wider than the gap, allowed as a gap."""
    geometry = shapely.geometry.mapping(cell(1.38, 0.98, 0.24, 1.04))
    return {
        "type": "Feature",
        "properties": {"kind": "gap", "reason": "蟾溪 river", **properties},
        "geometry": geometry,
    }


def test_a_river_gap_fails_without_allow_and_passes_with_it_listed_as_allowed(tmp_path: Path) -> None:
    region = river_region(tmp_path)
    code, output = run("check", region, "--strict")
    assert code == 1 and "FAILED: 1 errors" in output and "gap" in output

    allowed = allow_file(tmp_path, river_gap())
    for strict in ([], ["--strict"]):
        code, output = run("check", region, "--allow", allowed, *strict)
        assert code == 0, output
        assert "OK: no errors (1 allowed (listed))" in output
        assert "(allowed: exception 1, 蟾溪 river)" in output

    code, output = run("check", region, "--allow", allowed, "--format", "json")
    report = json.loads(output)
    assert report["ok"] is True and report["summary"]["allowed"] == 1
    [problem] = report["problems"]
    assert (problem["kind"], problem["severity"]) == ("gap", "info")
    assert problem["details"]["allowed_by"] == {"id": 1, "kind": "gap", "reason": "蟾溪 river"}
    assert problem["area_m2"] > 7_000


def test_an_exception_elsewhere_allows_nothing(tmp_path: Path) -> None:
    elsewhere = river_gap()
    elsewhere["geometry"] = shapely.geometry.mapping(cell(5, 5))
    code, output = run("check", river_region(tmp_path), "--allow", allow_file(tmp_path, elsewhere))
    assert code == 1 and "allowed" not in output


def test_a_bad_allow_file_is_named_with_exit_2(tmp_path: Path) -> None:
    no_reason = river_gap(reason="")
    code, output = run("check", river_region(tmp_path), "--allow", allow_file(tmp_path, river_gap(), no_reason))
    assert code == 2
    assert "allowed.geojson: feature 2: an allowed exception needs a reason" in output


def test_fix_does_not_fill_an_allowed_river(tmp_path: Path) -> None:
    region, allowed = river_region(tmp_path), allow_file(tmp_path, river_gap())
    code, output = run("fix", region, "--out", tmp_path / "filled.geojson", "--gap-width", "50")
    assert code == 0 and "350924100003" in output  # without the exception the river is handed to a bank
    assert run("check", tmp_path / "filled.geojson", "--strict")[0] == 0

    code, output = run("fix", region, "--out", tmp_path / "kept.geojson", "--gap-width", "50", "--allow", allowed)
    assert code == 0, output
    assert "What moved (0 features changed)" in output
    assert "allowed gap (exception 1: 蟾溪 river) left as it is" in output
    code, output = run("check", tmp_path / "kept.geojson", "--allow", allowed, "--strict")
    assert code == 0 and "1 allowed (listed)" in output


def test_the_register_of_a_stored_set(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'gridmap.db'}"
    region = river_region(tmp_path)
    allowed = allow_file(tmp_path, river_gap(allowed_by="张发敏"))
    env = {"GRIDMAP_DATABASE_URL": store}
    assert runner.invoke(app, ["import", str(region), "--set", "town", "--why", "t"], env=env).exit_code == 0
    assert runner.invoke(app, ["publish", "1", "--why", "ok"], env=env).exit_code == 1  # the river fails the check
    code, output = run("allow", "add", allowed, "--set", "nowhere", "--store", store)
    assert code == 2 and "no boundary set named 'nowhere'" in output

    code, output = run("allow", "add", allowed, "--set", "town", "--store", store)
    assert code == 0 and "Allowed gap 1 in set 'town'" in output
    code, output = run("allow", "list", "--set", "town", "--store", store, "--format", "geojson")
    [listed] = json.loads(output)["features"]
    assert listed["properties"]["allowed_by"] == "张发敏" and listed["properties"]["reason"] == "蟾溪 river"
    result = runner.invoke(app, ["publish", "1", "--why", "ok"], env=env)
    assert result.exit_code == 0, result.output  # the stored exception lets the river through the publish check

    assert run("allow", "remove", "1", "--set", "town", "--store", store)[0] == 0
    assert run("allow", "remove", "1", "--set", "town", "--store", store)[0] == 2
    code, output = run("allow", "list", "--set", "town", "--store", store, "--format", "geojson")
    assert code == 0 and json.loads(output)["features"] == []
