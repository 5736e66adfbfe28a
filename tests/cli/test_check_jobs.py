"""`gridmap check --jobs N`: the top level's gap and inlet search runs tile by tile in N processes, same report."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from tests.boundary_builders import cell, feature, write_collection

runner = CliRunner()
COLUMNS, ROWS = 6, 4  # 24 communities: more than one tile holds (coverage_tiles.TILE_FEATURES)


def community_code(number: int) -> str:
    return f"350924100{number:03d}"


def communities_of_grids() -> list[dict[str, Any]]:
    """24 communities of 2 x 2 grids each: an exact coverage over two levels, many parents."""
    features = []
    for row in range(ROWS):
        for col in range(COLUMNS):
            code = community_code(row * COLUMNS + col + 1)
            features.append(feature(code, "community", "", cell(2 * col, 2 * row, 2, 2)))
            for number, (dx, dy) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)], start=1):
                features.append(feature(f"{code}{number:03d}", "grid", code, cell(2 * col + dx, 2 * row + dy)))
    return features


def with_defects(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A hole where two communities' corners are cut (across tiles), a narrow open wedge, an overlap."""
    by_code = {f["properties"]["code"]: f for f in features}

    def reshape(code: str, geometry: shapely.Polygon) -> None:
        by_code[code]["geometry"] = shapely.geometry.mapping(geometry)

    middle = community_code(1 * COLUMNS + 3 + 1)  # row 1, column 3: inside the block, its corner cut off
    reshape(middle, shapely.difference(cell(6, 2, 2, 2), cell(7.5, 3.5, 0.5, 0.5)))
    edge = community_code(COLUMNS)  # row 0 on the east edge: its north-east corner moved 0.2 m south leaves a
    x1, y1 = cell(10, 0, 2, 2).bounds[2:]  # wedge against its northern neighbour, open to the outside
    wedge = shapely.Polygon([(x1, y1), (x1 - 0.001, y1), (x1, y1 - 0.2 / 111_000)])
    reshape(edge, shapely.difference(cell(10, 0, 2, 2), wedge))
    over = community_code(2 * COLUMNS + 1)  # row 2, column 0 reaching over its eastern neighbour
    reshape(over, cell(0, 4, 2.2, 2))
    return list(by_code.values())


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("jobs")
    return write_collection(folder / "communities.geojson", with_defects(communities_of_grids()))


def check_json(path: Path, *args: str) -> str:
    result = runner.invoke(app, ["check", str(path), "--format", "json", "--gap-width", "1", *args])
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_the_report_is_the_same_for_every_number_of_jobs(defective: Path) -> None:
    one = check_json(defective, "--jobs", "1")
    assert check_json(defective, "--jobs", "2") == one
    assert check_json(defective, "--jobs", "3") == one


def test_the_tiled_search_finds_the_hole_and_the_open_wedge(defective: Path) -> None:
    report = json.loads(check_json(defective, "--jobs", "2"))
    gaps = [p for p in report["problems"] if p["kind"] == "gap" and not p["codes"]]  # in the top level's union
    areas = sorted(round(p["area_m2"]) for p in gaps)
    assert len(gaps) == 2, gaps
    assert 8_000 < areas[1] < 14_000  # the cut corner: about 100 m x 110 m
    assert areas[0] < 50  # the wedge: 100 m deep, 0.2 m wide at its mouth
    assert {p["kind"] for p in report["problems"]} >= {"gap", "overlap"}


def test_the_cycle_collector_is_paused_for_the_check_only(defective: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridmap.cli import check as check_command

    collecting: list[bool] = []
    original = check_command.run_check

    def run_check(*args: Any, **kwargs: Any) -> Any:
        collecting.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(check_command, "run_check", run_check)
    check_json(defective, "--jobs", "1")
    assert collecting == [False]
    assert gc.isenabled()


def test_jobs_must_be_positive(defective: Path) -> None:
    result = runner.invoke(app, ["check", str(defective), "--jobs", "0"])
    assert result.exit_code == 2
