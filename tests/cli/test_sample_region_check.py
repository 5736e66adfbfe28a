"""`gridmap check` on the committed sample region and on its broken twin with the answer key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app

DATA = Path(__file__).resolve().parents[2] / "data" / "boundaries"
runner = CliRunner()


def report_for(path: Path) -> tuple[int, dict]:
    """Exit code and JSON report of `gridmap check PATH --format json`."""
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.output)


def test_sample_region_is_clean() -> None:
    code, report = report_for(DATA)
    assert code == 0
    assert report["ok"] is True
    assert report["problems"] == []
    assert report["summary"]["levels"] == {"community": 9, "grid": 46, "microgrid": 150}


PLANTED = json.loads((DATA / "broken" / "planted.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def broken_report() -> dict:
    code, report = report_for(DATA / "broken")
    assert code == 1
    return report


@pytest.mark.parametrize("planted", PLANTED, ids=[f"{p['kind']}-{'-'.join(p['codes'])}" for p in PLANTED])
def test_every_planted_problem_is_found(broken_report: dict, planted: dict) -> None:
    candidates = [p for p in broken_report["problems"] if p["kind"] == planted["kind"]]
    matching = [p for p in candidates if set(planted["codes"]) & set(p["codes"])]
    assert matching, f"{planted['description']}: not among {[p['codes'] for p in candidates]}"
    if planted["area_m2"] is not None:
        assert any(p["area_m2"] == pytest.approx(planted["area_m2"], rel=0.01) for p in matching)


def test_nothing_unplanted_is_reported(broken_report: dict) -> None:
    planted = {(p["kind"], tuple(sorted(p["codes"]))) for p in PLANTED}
    reported = {(p["kind"], tuple(sorted(p["codes"]))) for p in broken_report["problems"]}
    unexplained = {r for r in reported if not any(r[0] == k and set(r[1]) & set(c) for k, c in planted)}
    assert not unexplained


def test_fix_resolves_the_broken_twins_overlaps_and_escapes(tmp_path: Path) -> None:
    out = tmp_path / "fixed.geojson"
    result = runner.invoke(app, ["fix", str(DATA / "broken"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "35092410000100403" in result.output  # the overlap's loser, with the area it lost
    code, report = report_for(out)
    assert code == 1  # the wide gaps remain errors
    kinds = report["summary"]["problems"]
    assert "overlap" not in kinds and "not_nested" not in kinds and "invalid_geometry" not in kinds
    # the wide gaps (a deleted microgrid, orphaned children) are reported by fix and still found by check
    assert kinds["gap"] == 4
    assert result.output.count("not filled") == 3


def test_broken_map_is_fitted_to_the_town_not_to_the_stray_feature(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    result = runner.invoke(app, ["check", str(DATA / "broken"), "--html", str(page)])
    assert result.exit_code == 1
    html = page.read_text(encoding="utf-8")
    fit = re.search(r"map_\w+\.fitBounds\(\s*(\[\[.*?\]\])", html, re.DOTALL)
    assert fit is not None
    fit = fit.group(1)
    assert "27.4" in fit and "48.8" not in fit  # Shouning, not Paris
    assert html.count('"kind": "missing_parent"') == 3  # code problems are drawn on the feature they name
