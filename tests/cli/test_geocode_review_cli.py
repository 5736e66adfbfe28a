"""`gridmap geocode` marks unsure answers needs_review with their top 3 candidates, in columns Excel shows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app

REPO = Path(__file__).resolve().parents[2]
BOUNDARIES = REPO / "data" / "boundaries" / "shouning_aoyang.geojson"
runner = CliRunner()
REGISTRY = [
    "id,road,number,compound,building,unit,room,lon,lat",
    "door:胜利街:4,胜利街,4,,,,,119.5101,27.4601",
    "room:金城花园:1:-:101,,,金城花园,1,,101,119.5120,27.4630",
    "room:金城花园:1:-:102,,,金城花园,1,,102,119.5121,27.4630",
    "room:鳌峰花园:1:-:101,,,鳌峰花园,1,,101,119.5140,27.4650",
]
CANDIDATE_COLUMNS = [f"candidate_{n}_{part}" for n in (1, 2, 3) for part in ("address", "id", "confidence", "reason")]


def geocode(tmp_path: Path, *options: str) -> tuple[dict[str, dict[str, str]], str]:
    """The rows of `gridmap geocode` on three households, by id, and what it printed."""
    registry = tmp_path / "registry.csv"
    registry.write_text("\n".join(REGISTRY) + "\n", encoding="utf-8")
    households = tmp_path / "households.csv"
    lines = ["household_id,address", "H1,胜利街4号", "H2,金域花园1栋101室", "H3,北京市朝阳区建国路1号", "H4,胜利4号"]
    households.write_text("\n".join(lines) + "\n", encoding="gbk")
    out = tmp_path / "located.csv"
    arguments = ["geocode", households, "--out", out, "--registry", registry, "--boundaries", BOUNDARIES]
    result = runner.invoke(app, [str(a) for a in [*arguments, "--no-progress", *options]])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames is not None and reader.fieldnames[-12:] == CANDIDATE_COLUMNS
        assert "match_status" in reader.fieldnames
        return {row["household_id"]: row for row in reader}, " ".join(result.output.split())


def test_unsure_rows_get_their_candidates_and_sure_ones_none(tmp_path: Path) -> None:
    rows, output = geocode(tmp_path)
    assert [rows[h]["match_status"] for h in ("H1", "H2", "H3")] == ["matched", "needs_review", "unmatched"]
    assert "addresses matched: 2, needs_review: 1, unmatched: 1" in output
    unsure = rows["H2"]
    assert unsure["candidate_1_address"] == "金城花园1栋101室" and unsure["candidate_1_id"] == "room:金城花园:1:-:101"
    assert 0 < float(unsure["candidate_1_confidence"]) < 0.9
    assert unsure["candidate_1_reason"].startswith("金域花园 read as 金城花园")
    assert unsure["candidate_2_id"] == "room:鳌峰花园:1:-:101"
    assert unsure["candidate_3_address"] == ""
    assert all(rows["H1"][column] == "" for column in CANDIDATE_COLUMNS)
    assert rows["H1"]["matched_id"] == "door:胜利街:4"


def test_the_threshold_is_an_option_defaulting_to_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows, _ = geocode(tmp_path)
    assert float(rows["H4"]["match_confidence"]) == 0.9 and rows["H4"]["match_status"] == "matched"  # 胜利 for 胜利街
    rows, _ = geocode(tmp_path, "--review-below", "0.95")
    assert rows["H4"]["match_status"] == "needs_review" and rows["H4"]["candidate_1_id"] == "door:胜利街:4"
    assert rows["H1"]["match_status"] == "matched"  # a door plate written as registered is sure (1.0)
    monkeypatch.setenv("GRIDMAP_REVIEW_BELOW", "0.95")
    rows, _ = geocode(tmp_path)
    assert rows["H4"]["match_status"] == "needs_review"
