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
    assert "2 unparseable rows, 1 repeated ids" in output
    assert "row 3: duplicate_id: id door:胜利街:1 as row 2" in output
    assert "row 4: unparseable: lon/lat are not numbers" in output and "row 5: unparseable: no id" in output
    code, output = run("registry", "import", path, "--store", store_url)
    assert code == 1 and "0 addresses imported" in output and "2 ids stored already skipped" in output
    assert "nothing was imported" in output
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


def test_a_door_plate_registry_in_gbk_with_its_own_columns_reports_duplicates(tmp_path: Path, store_url: str) -> None:
    lines = [
        "序号,门牌地址,经度,纬度,备注",
        "1,胜利街12号,119.5101,27.4601,",
        "2,胜利街１２号,119.5101,27.4601,",  # the same address written with a full-width number
        "3,胜利街14号,119.5103,27.4602,",
        "4,胜利街14号,119.5203,27.4602,",  # the same plate about 1 km east
        "5,朝阳新村1栋1单元101室,119.512,27.463,",
        "6,胜利街16号,,27.46,",  # no longitude
        "7,胜利街对面,119.51,27.46,",  # no door plate
        "8,胜利街18号3栋2单元501室 待核实,119.51,27.46,",  # parts not understood
    ]
    path = tmp_path / "门牌库.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    report = tmp_path / "left-out.csv"
    mapping = ("--column", "address=门牌地址", "--column", "lon=经度", "--column", "lat=纬度")
    code, output = run("registry", "import", path, "--store", store_url, *mapping, "--report", report)
    assert code == 0, output
    assert "3 addresses imported" in output and "from 8 rows" in output
    assert "3 unparseable rows, 0 repeated ids, 1 repeated addresses, 1 door plates at two places" in output
    assert "row 3: duplicate_address: 胜利街12号 as row 2" in output
    assert "row 5: same_plate_two_places: 胜利街14号 as row 4, 987 m away" in output
    assert "row 7: unparseable: no lon/lat" in output
    with report.open(encoding="utf-8-sig", newline="") as handle:
        left_out = list(csv.DictReader(handle))
    assert [r["row"] for r in left_out] == ["3", "5", "7", "8", "9"]
    assert [r["detail"] for r in left_out[-2:]] == [
        "a place relative to another, not a door plate",
        "parts not understood: 待核实",
    ]
    with open_store(store_url) as store:
        assert [a.id for a in store.addresses()] == ["door:胜利街:12", "door:胜利街:14", "room:朝阳新村:1:1:101"]
    code, output = run("registry", "import", path, "--store", store_url, "--column", "address=地址")
    assert code == 2 and "the file has no column '地址'" in output and "门牌地址" in output
    code, output = run("registry", "import", path, "--store", store_url)
    assert code == 2 and "map the file's own with --column" in output


def test_an_xlsx_registry_imports_and_one_with_no_usable_row_imports_nothing(tmp_path: Path, store_url: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "道路", "门牌号", "小区", "楼栋", "单元", "房号", "经度", "纬度"])
    sheet.append(["door:解放街:3", "解放街", 3, None, None, None, None, 119.5105, 27.4605])
    sheet.append(["room:龙庭国际:2:1:301", None, None, "龙庭国际", 2, 1, 301, 119.515, 27.462])
    path = tmp_path / "registry.xlsx"
    book.save(path)
    names = {"id": "编号", "road": "道路", "number": "门牌号", "compound": "小区", "building": "楼栋"}
    names |= {"unit": "单元", "room": "房号"}
    mapping = [
        arg
        for ours, theirs in {**names, "lon": "经度", "lat": "纬度"}.items()
        for arg in ("--column", f"{ours}={theirs}")
    ]
    code, output = run("registry", "import", path, "--store", store_url, *mapping)
    assert code == 0 and "2 addresses imported" in output, output
    with open_store(store_url) as store:
        stored = {a.id: a for a in store.addresses()}
    assert stored["door:解放街:3"].number == "3" and stored["room:龙庭国际:2:1:301"].room == "301"
    sheet.delete_rows(2, 2)
    sheet.append(["x", "解放街", 5, None, None, None, None, "东经", 27.46])
    book.save(path)
    code, output = run("registry", "import", path, "--store", store_url, "--replace", *mapping)
    assert (
        code == 2
        and "none of its 1 rows is a usable registry entry" in output
        and "row 2: lon/lat are not numbers" in output
    )
    with open_store(store_url) as store:
        assert len(store.addresses()) == 2  # --replace emptied nothing
