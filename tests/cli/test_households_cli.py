"""`gridmap geocode` as a user runs it: files written, the summary, the store, privacy, user errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import EXIT_CONFLICT
from gridmap.services.boundaries import import_boundaries, publish_version
from gridmap.store import open_store

REPO_ROOT = Path(__file__).resolve().parents[2]
REGISTRY = REPO_ROOT / "data" / "sample" / "addresses.csv"
HOUSEHOLDS = REPO_ROOT / "data" / "sample" / "households.csv"
BOUNDARIES = REPO_ROOT / "data" / "boundaries" / "shouning_aoyang.geojson"

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    """Run the CLI; (exit code, stdout + stderr)."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def households(tmp_path: Path) -> Path:
    """The first 400 sample households, with a row that cannot be located added."""
    lines = HOUSEHOLDS.read_text(encoding="utf-8").splitlines()[:401]
    lines.append("H999999,不详,,,,1,0,0,0,测试人,138****9999")
    path = tmp_path / "households.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def geocode_args(households: Path, out: Path) -> list[str | Path]:
    return ["geocode", households, "--out", out, "--registry", REGISTRY, "--no-progress"]


def test_geocode_writes_results_unmatched_rows_and_a_summary(households: Path, tmp_path: Path) -> None:
    out = tmp_path / "located.csv"
    code, output = run(*geocode_args(households, out), "--boundaries", BOUNDARIES)
    assert code == 0, output
    rows = read_csv(out)
    assert len(rows) == 401
    assert sum(r["match_level"] == "door" for r in rows) > 350
    # the matched registry id is the household's labelled one wherever the match is a door plate or room
    assert all(r["matched_id"] == r["address_id"] for r in rows if r["match_level"] == "door")
    assert all(r["matched_address"] for r in rows if r["match_level"] != "none")
    assert all(r["grid_code"].startswith(r["community_code"]) for r in rows if r["grid_code"])
    assert all(r["microgrid_code"].startswith(r["grid_code"]) for r in rows if r["microgrid_code"])
    unmatched = read_csv(tmp_path / "located.unmatched.csv")
    assert [r["household_id"] for r in unmatched] == ["H999999"]
    assert "match level" in output and "door" in output and "unmatched reason" in output
    assert "401 rows" in output


def test_personal_data_never_reaches_the_console(households: Path, tmp_path: Path) -> None:
    code, output = run(*geocode_args(households, tmp_path / "o.csv"), "--boundaries", BOUNDARIES)
    assert code == 0, output
    for row in read_csv(households):
        assert row["head_name"] not in output
        assert row["phone"] not in output


def test_from_store_assigns_the_published_version(
    households: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", url)
    code, output = run(*geocode_args(households, tmp_path / "store.csv"), "--from-store")
    assert code == 2 and ("no boundary set" in output or "no published version" in output)
    with open_store(url, upgrade=True) as store:
        draft = import_boundaries(store, [BOUNDARIES], who="test", why="sample").version
        publish_version(store, draft.id, who="test", why="sample")
    code, output = run(*geocode_args(households, tmp_path / "store.csv"), "--from-store")
    assert code == 0, output
    code, output = run(*geocode_args(households, tmp_path / "file.csv"), "--boundaries", BOUNDARIES)
    assert code == 0, output
    from_store = [r["microgrid_code"] for r in read_csv(tmp_path / "store.csv")]
    from_file = [r["microgrid_code"] for r in read_csv(tmp_path / "file.csv")]
    assert from_store == from_file and sum(map(bool, from_file)) == 400


def test_user_errors_exit_two_with_one_line(households: Path, tmp_path: Path) -> None:
    code, output = run(*geocode_args(households, tmp_path / "o.csv"), "--crs", "mars")
    assert code == 2 and "unknown coordinate system" in output
    no_columns = tmp_path / "no_columns.csv"
    no_columns.write_text("household_id,addr\nH1,胜利街5号\n", encoding="utf-8")
    code, output = run(
        *geocode_args(no_columns, tmp_path / "o.csv"), "--address-column", "地址", "--boundaries", BOUNDARIES
    )
    assert code == 2 and "--address-column" in output and "Traceback" not in output
    code, output = run(*geocode_args(tmp_path / "missing.csv", tmp_path / "o.csv"), "--boundaries", BOUNDARIES)
    assert code == 2 and "no such file" in output


def test_households_import_skips_bad_rows_and_places_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", url)
    with open_store(url, upgrade=True) as store:
        draft = import_boundaries(store, [BOUNDARIES], who="test", why="sample").version
        publish_version(store, draft.id, who="test", why="sample")
    lines = HOUSEHOLDS.read_text(encoding="utf-8").splitlines()[:51]
    lines.append("H900001,朝阳新村1栋1单元101室,,,,two,0,0,0,测试丙,138****0002")  # people is not a count
    lines.append("H900002,朝阳新村1栋1单元101室,,,,2,0,0,0,测试丁,138****0003")  # located by its address
    lines.append("")
    path = tmp_path / "households.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    code, output = run("households", "import", path, "--registry", REGISTRY)
    assert code == 0, output
    assert "imported 51 households (1 located by address), skipped 1 rows; 51 placed" in output.replace("\n", " ")
    assert "line 52: people is not a count" in output
    assert "测试" not in output and "138****" not in output
    with open_store(url) as store:
        total = sum(store.household_counts(draft.id, code).households for code in _community_codes())
        assert total == 51
    code, output = run("households", "import", path, "--registry", REGISTRY)
    assert code == EXIT_CONFLICT and "already" in output


def _community_codes() -> list[str]:
    features = json.loads(BOUNDARIES.read_text(encoding="utf-8"))["features"]
    return [f["properties"]["code"] for f in features if f["properties"]["level"] == "community"]
