"""`gridmap fix` and slivers as a user runs it: what it prints, what the check then finds, what --help says."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, cell, feature, write_collection

runner = CliRunner()
METRE_LAT = 1.0 / 111_195


def polygon(*corners: tuple[float, float]) -> shapely.Polygon:
    """A lon/lat polygon from corners in grid steps."""
    return shapely.Polygon([(LON0 + x * STEP, LAT0 + y * STEP) for x, y in corners])


def test_fix_merges_a_sliver_part_and_says_so(tmp_path: Path) -> None:
    height = METRE_LAT / STEP
    strip = polygon((0.3, 0), (1, 0), (1.2, 0), (1.2, height), (1, height), (0.3, height))
    north = polygon((0, 1), (1, 1), (2, 1), (2, 2), (0, 2))
    features = [
        feature(COMMUNITY, "community", "", cell(0, 0, 2, 2)),
        feature(f"{COMMUNITY}001", "grid", COMMUNITY, shapely.MultiPolygon([north, strip])),
        feature(f"{COMMUNITY}002", "grid", COMMUNITY, shapely.difference(cell(0, 0), strip)),
        feature(f"{COMMUNITY}003", "grid", COMMUNITY, shapely.difference(cell(1, 0), strip)),
    ]
    source = write_collection(tmp_path / "in.geojson", features)
    out = tmp_path / "fixed.geojson"
    result = runner.invoke(app, ["fix", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("sliver merged"))
    assert f"sliver part of {COMMUNITY}001" in line and f"into {COMMUNITY}002" in line and "m2" in line
    written = {f["properties"]["code"]: f for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    grid = shapely.normalize(shapely.geometry.shape(written[f"{COMMUNITY}001"]["geometry"]))
    assert shapely.equals_exact(grid, shapely.normalize(north), tolerance=1e-7)  # written to 7 decimals
    check = runner.invoke(app, ["check", str(out), "--format", "json"])
    assert check.exit_code == 0, check.output
    assert json.loads(check.output)["problems"] == []


def test_fix_help_explains_slivers() -> None:
    result = runner.invoke(app, ["fix", "--help"])
    assert result.exit_code == 0
    assert "--merge-sliver-features" in result.output and "--sliver-width" in result.output
    assert "longest shared border" in result.output
