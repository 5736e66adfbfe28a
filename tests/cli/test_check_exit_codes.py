"""`gridmap check` exit codes: 0 clean, 1 problems found, 2 bad usage or unreadable input, 3 an internal error.

A crash must never look like "problems found": a script that runs `gridmap check` and reads 1 as "fix the grids"
would send planners after problems that are not there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.geo.problems import ProblemKind
from gridmap.io.boundaries import FieldMapping
from gridmap.services import check_run
from gridmap.services.check import CheckOptions, CheckReport
from gridmap.services.check_run import CheckFiles, run_check
from tests.boundary_builders import cell, community_of_grids, write_collection

runner = CliRunner()


def exit_code(*args: str | Path) -> tuple[int, str]:
    """Run `gridmap ARGS`; (exit code, stdout + stderr)."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    """A community of four grids, an exact coverage."""
    return write_collection(tmp_path / "clean.geojson", community_of_grids())


@pytest.fixture
def overlapping(tmp_path: Path) -> Path:
    """The same community with one grid reaching over its neighbour: an overlap error."""
    features = community_of_grids()
    features[1]["geometry"] = shapely.geometry.mapping(cell(0, 1, 1.5, 1))
    return write_collection(tmp_path / "overlap.geojson", features)


def test_clean_input_exits_0(clean: Path) -> None:
    code, output = exit_code("check", clean)
    assert code == 0, output


def test_problems_found_exit_1_in_text_and_json(overlapping: Path) -> None:
    assert exit_code("check", overlapping)[0] == 1
    code, output = exit_code("check", overlapping, "--format", "json")
    assert code == 1
    assert json.loads(output)["ok"] is False


@pytest.mark.parametrize(
    "args",
    [
        ("--no-such-option",),
        ("--compare-to", "current.geojson"),  # compares households: needs --households
        ("--level", "district"),
        ("--format", "yaml"),
        ("--crs", "EPSG:99999999"),
    ],
    ids=["unknown-option", "compare-without-households", "unknown-level", "unknown-format", "unknown-crs"],
)
def test_bad_usage_exits_2(clean: Path, args: tuple[str, ...]) -> None:
    code, output = exit_code("check", clean, *args)
    assert code == 2, output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"type": "FeatureCollection", "features": []}'],
    ids=["broken-json", "no-features"],
)
def test_unreadable_input_exits_2_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text(content, encoding="utf-8")
    code, output = exit_code("check", path)
    assert code == 2, output
    assert "broken.geojson" in output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    assert exit_code("check", tmp_path / "nowhere.geojson")[0] == 2


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_a_crash_exits_3_never_1(clean: Path, monkeypatch: pytest.MonkeyPatch, output_format: str) -> None:
    def broken_engine(*_args: object, **_kwargs: object) -> CheckReport:
        msg = "engine bug"
        raise RuntimeError(msg)

    monkeypatch.setattr(check_run, "check_boundaries", broken_engine)
    code, output = exit_code("check", clean, "--format", output_format)
    assert code == 3, output
    assert "internal error" in output
    assert "RuntimeError" in output  # the traceback, to report the bug with
    assert '"ok"' not in output  # no report that a tool could take for an answer


def test_help_documents_the_exit_codes() -> None:
    code, output = exit_code("check", "--help")
    assert code == 0
    text = " ".join(output.split())
    for words in ("0 no errors", "1 problems found", "2 bad usage", "3 an internal error"):
        assert words in text


def test_the_service_computes_the_report_json_once(overlapping: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The locations in the input's coordinates cost a GEOS call per problem: the text, the JSON and the --output
    # GeoJSON share one document.
    calls: list[int] = []
    original = CheckReport.to_json

    def counted(report: CheckReport) -> dict[str, object]:
        calls.append(1)
        return original(report)

    monkeypatch.setattr(CheckReport, "to_json", counted)
    output = overlapping.parent / "out" / "problems.geojson"
    run = run_check(
        [overlapping], mapping=FieldMapping(), source_crs=None, options=CheckOptions(), files=CheckFiles(output=output)
    )
    assert len(calls) == 1
    assert run.exit_code == 1
    assert run.written == [output]
    written = json.loads(output.read_text(encoding="utf-8"))
    kinds = [feature["properties"]["kind"] for feature in written["features"]]
    assert kinds == [problem["kind"] for problem in run.document["problems"]]
    assert ProblemKind.OVERLAP.value in kinds
