"""`gridmap registry import` and the commands that read the registry from the store instead of a file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import NotFound
from gridmap.store import open_store

REPO = Path(__file__).resolve().parents[2]
REGISTRY = REPO / "data" / "sample" / "addresses.csv"
HOUSEHOLDS = REPO / "data" / "sample" / "households.csv"
BOUNDARIES = REPO / "data" / "boundaries" / "shouning_aoyang.geojson"
HEADER = "id,road,number,compound,building,unit,room,lon,lat"
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    """Run the CLI; (exit code, output on one line)."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new SQLite store, also the configured one."""
    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", url)
    return url


def test_import_counts_duplicates_and_unparseable_rows_and_reads_gbk(tmp_path: Path, store_url: str) -> None:
    rows = [
        "door:胜利街:1,胜利街,1,,,,,119.51,27.46",
        "door:胜利街:1,胜利街,1,,,,,119.51,27.46",  # repeated id
        "door:胜利街:2,胜利街,2,,,,,东经119,27.46",  # no usable lon
        ",胜利街,3,,,,,119.51,27.46",  # no id
        "room:朝阳新村:1:1:101,,,朝阳新村,1,1,101,119.512,27.463",
    ]
    path = tmp_path / "registry.csv"
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("gbk"))
    code, output = run("registry", "import", path, "--store", store_url)
    assert code == 0, output
    assert "2 addresses imported" in output and "from 5 rows" in output
    assert (
        "1 duplicate ids skipped, 2 unparseable rows left out" in output
        and "rows (no id, or no usable lon/lat): 3, 4" in output
    )
    code, output = run("registry", "import", path, "--store", store_url)
    assert code == 0 and "0 addresses imported" in output and "3 duplicate ids skipped" in output
    code, output = run("registry", "import", path, "--store", store_url, "--replace")
    assert code == 0 and "2 addresses imported" in output
    with open_store(store_url) as store:
        assert [a.id for a in store.addresses()] == ["door:胜利街:1", "room:朝阳新村:1:1:101"]
    code, output = run("registry", "import", tmp_path / "missing.csv", "--store", store_url)
    assert code == NotFound.exit_code and "no such address registry file" in output


def test_geocode_and_households_import_use_the_stored_registry(tmp_path: Path, store_url: str) -> None:
    households = tmp_path / "households.csv"
    lines = HOUSEHOLDS.read_text(encoding="utf-8").splitlines()[:101]
    lines.append("H900002,朝阳新村1栋1单元101室,,,,2,0,0,0,测试丁,138****0003")  # located by its address only
    households.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "located.csv"
    geocode = ("geocode", households, "--out", out, "--boundaries", BOUNDARIES, "--no-progress")
    code, output = run(*geocode)
    assert code == NotFound.exit_code and "no address registry is loaded: gridmap registry import FILE" in output
    code, output = run("households", "import", households)  # no registry: rows without lon/lat stay unlocated
    assert code == 0 and "(0 located by address)" in output, output
    assert run("registry", "import", REGISTRY)[0] == 0
    code, output = run(*geocode)
    assert code == 0, output
    with out.open(encoding="utf-8", newline="") as handle:
        located = {row["household_id"]: row for row in csv.DictReader(handle)}
    assert located["H900002"]["matched_id"] == "room:朝阳新村:1:1:101"
    lines[-1] = lines[-1].replace("H900002", "H900003")
    households.write_text("\n".join([lines[0], lines[-1]]) + "\n", encoding="utf-8")
    code, output = run("households", "import", households)
    assert code == 0 and "imported 1 households (1 located by address)" in output, output
