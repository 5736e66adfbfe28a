"""`repair_boundaries` merging slivers: the broken twin's planted slivers, idempotency, no side effects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gridmap.io.boundaries import read_boundaries
from gridmap.services.check import check_boundaries
from gridmap.services.repair import RepairResult, repair_boundaries

BROKEN = Path(__file__).resolve().parents[2] / "data" / "boundaries" / "broken"
PLANTED_SLIVERS = [
    p for p in json.loads((BROKEN / "planted.json").read_text(encoding="utf-8")) if p["kind"] == "sliver"
]


def fix(source: Path, out: Path, **options: Any) -> RepairResult:
    """repair_boundaries on the files at `source`, written to `out`."""
    frame = read_boundaries([source]).frame
    return repair_boundaries(frame, out, inputs=[source], **options)


def features_of(path: Path) -> dict[str, dict[str, Any]]:
    """The written features by code (duplicate codes keep their last feature)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f for f in document["features"]}


def sliver_codes(path: Path) -> set[str]:
    """Codes the full check reports as slivers in the file at `path`."""
    report = check_boundaries(read_boundaries([path]).frame)
    return {code for p in report.problems if p.kind.value == "sliver" for code in p.codes}


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[RepairResult, Path]:
    """The broken twin fixed with whole sliver features merged."""
    out = tmp_path_factory.mktemp("fixed") / "merged.geojson"
    return fix(BROKEN, out, merge_sliver_features=True), out


def test_the_answer_key_has_slivers() -> None:
    assert PLANTED_SLIVERS


@pytest.mark.parametrize("planted", PLANTED_SLIVERS, ids=[p["codes"][0] for p in PLANTED_SLIVERS])
def test_planted_sliver_is_reported_but_kept_by_default(tmp_path: Path, planted: dict[str, Any]) -> None:
    out = tmp_path / "fixed.geojson"
    result = fix(BROKEN, out)
    code = planted["codes"][0]
    assert not [s for s in result.slivers if s.from_code == code]
    assert any(code in note and "--merge-sliver-features" in note for note in result.notes)
    assert code in features_of(out)
    assert code in sliver_codes(out)


@pytest.mark.parametrize("planted", PLANTED_SLIVERS, ids=[p["codes"][0] for p in PLANTED_SLIVERS])
def test_planted_sliver_is_merged_back_when_asked(merged: tuple[RepairResult, Path], planted: dict[str, Any]) -> None:
    result, out = merged
    code = planted["codes"][0]
    merges = [s for s in result.slivers if s.from_code == code]
    assert len(merges) == 1 and merges[0].whole_feature
    assert merges[0].area_m2 == pytest.approx(planted["area_m2"], rel=0.01)
    origin = re.search(r"split off (\d+)", planted["description"])
    assert origin is not None and merges[0].to_code == origin.group(1)  # back to the microgrid it came from
    assert merges[0].to_code.startswith(merges[0].from_code[:15])  # same grid
    assert code not in features_of(out)
    assert code not in sliver_codes(out)
    assert any(code in note and "households" in note for note in result.notes)  # it carried households_target


def test_merging_changes_only_the_sliver_and_its_receiver(tmp_path: Path, merged: tuple[RepairResult, Path]) -> None:
    result, out = merged
    kept = tmp_path / "kept.geojson"
    fix(BROKEN, kept)
    with_merge, without = features_of(out), features_of(kept)
    touched = {s.from_code for s in result.slivers} | {s.to_code for s in result.slivers}
    assert set(without) - set(with_merge) == {s.from_code for s in result.slivers if s.whole_feature}
    assert {c for c in with_merge if with_merge[c] != without[c]} == touched - set(without).difference(with_merge)


def test_fix_is_idempotent(tmp_path: Path, merged: tuple[RepairResult, Path]) -> None:
    _, out = merged
    again = tmp_path / "again.geojson"
    result = fix(out, again, merge_sliver_features=True)
    assert result.slivers == []
    assert result.changes == []
    assert features_of(again) == features_of(out)
