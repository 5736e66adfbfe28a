"""`gridmap lifecircle report` and `site` as a user runs them, on a small hand-made town in tmp_path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.geo.crs import LocalMetres

runner = CliRunner()
LON0, LAT0 = 119.51, 27.46
FRAME = LocalMetres(LON0 - 0.01, LAT0 - 0.01, LON0 + 0.01, LAT0 + 0.01)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS-84 of local metres."""
    point = FRAME.to_wgs84(shapely.Point(x, y))
    return point.x, point.y


def collection(path: Path, features: list[tuple[dict[str, object], shapely.Geometry]]) -> Path:
    """Write local-metre geometries with properties as a WGS-84 GeoJSON FeatureCollection."""
    document = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(FRAME.to_wgs84(geom))}
            for props, geom in features
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def town(tmp_path: Path) -> dict[str, Path]:
    """Two crossing streets, three facilities, households along the east-west street, two grids."""
    network = collection(
        tmp_path / "streets.geojson",
        [
            ({"name": "东西路"}, shapely.LineString([(-500, 0), (500, 0)])),
            ({"name": "南北路"}, shapely.LineString([(0, -500), (0, 500)])),
        ],
    )
    facilities = collection(
        tmp_path / "facilities.geojson",
        [
            ({"name": "西驿站", "type": "red_station"}, shapely.Point(-300, 10)),
            ({"name": "中心小学", "type": "primary_school"}, shapely.Point(0, 20)),
            ({"name": "北菜场", "type": "food_market"}, shapely.Point(15, 400)),
        ],
    )
    rows = ["lon,lat,people"] + [
        "{:.7f},{:.7f},{}".format(*lonlat(x, 8.0), people)
        for x, people in zip(np.arange(-480, 481, 40), [1, 2, 3, 4] * 7, strict=False)
    ]
    households = tmp_path / "households.csv"
    households.write_text("\n".join(rows) + "\n", encoding="utf-8")
    west, east = shapely.box(-600, -600, 0, 600), shapely.box(0, -600, 600, 600)
    boundaries = collection(
        tmp_path / "grids.geojson",
        [
            ({"code": "350924100001", "name": "大同社区", "level": "community"}, shapely.union(west, east)),
            ({"code": "350924100001001", "name": "西网格", "level": "grid", "parent": "350924100001"}, west),
            ({"code": "350924100001002", "name": "东网格", "level": "grid", "parent": "350924100001"}, east),
        ],
    )
    return {"network": network, "facilities": facilities, "households": households, "boundaries": boundaries}


def run(*args: str | Path) -> tuple[int, str]:
    """Run the CLI; (exit code, stdout + stderr)."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def inputs(town: dict[str, Path], *names: str) -> list[str | Path]:
    """The --network/--facilities/... options for the town's files."""
    return [item for name in names for item in (f"--{name}", town[name])]


def test_report_prints_tables_and_writes_an_offline_map(town: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "lc.html"
    options = inputs(town, "network", "facilities", "households", "boundaries")
    code, output = run("lifecircle", "report", *options, "--html", out, "--sites", "1")
    assert code == 0, output
    assert "Life-circle coverage" in output
    assert "red_station" in output
    assert "Worst-served grids" in output
    assert "东网格" in output  # the east grid has no red station: it is listed
    assert "Proposed new sites" in output
    page = out.read_text(encoding="utf-8")
    assert "L.map(" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", page)
    assert "proposed sites" in page
    assert "gap areas" in page


def test_report_without_boundaries_or_map(town: dict[str, Path]) -> None:
    options = inputs(town, "network", "facilities", "households")
    code, output = run("lifecircle", "report", *options, "--no-boundaries", "--sites", "0")
    assert code == 0, output
    assert "completeness: 5-minute" in output
    assert "Worst-served grids" not in output
    assert "Proposed new sites" not in output


def test_slower_walking_lowers_coverage(town: dict[str, Path]) -> None:
    options = inputs(town, "network", "facilities", "households", "boundaries")
    _, fast = run("lifecircle", "report", *options, "--sites", "0")
    _, slow = run("lifecircle", "report", *options, "--sites", "0", "--speed", "0.3")
    share = re.compile(r"completeness: 5-minute ([\d.]+)%")
    fast_match, slow_match = share.search(fast), share.search(slow)
    assert fast_match is not None and slow_match is not None
    assert float(slow_match.group(1)) < float(fast_match.group(1))


def test_missing_input_is_a_one_line_error(town: dict[str, Path], tmp_path: Path) -> None:
    options = inputs(town, "facilities", "households", "boundaries")
    code, output = run("lifecircle", "report", "--network", tmp_path / "nowhere.geojson", *options)
    assert code == 2
    assert "no such file" in output
    assert "Traceback" not in output


def test_site_proposes_and_reports_the_gain(town: dict[str, Path]) -> None:
    options = inputs(town, "network", "facilities", "households")
    code, output = run("lifecircle", "site", "--type", "red_station", "-k", "1", *options)
    assert code == 0, output
    assert "households gained" in output
    gain = re.search(r"gain ([\d,]+)", output)
    assert gain is not None and int(gain.group(1).replace(",", "")) > 0


def test_site_rejects_an_unknown_type(town: dict[str, Path]) -> None:
    options = inputs(town, "network", "facilities", "households")
    code, output = run("lifecircle", "site", "--type", "casino", *options)
    assert code == 2
    assert "unknown facility type" in output


def test_help_shows_examples() -> None:
    for command in ("report", "site"):
        code, output = run("lifecircle", command, "--help")
        assert code == 0
        assert "Examples" in output


def test_report_and_site_read_the_store(town: dict[str, Path], tmp_path: Path) -> None:
    from gridmap.services.boundaries import import_boundaries, publish_version
    from gridmap.store import open_store
    from gridmap.store.household_store import HouseholdRecord

    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    with open_store(url, upgrade=True) as store:
        draft = import_boundaries(store, [town["boundaries"]], who="测试", why="test town").version
        publish_version(store, draft.id, who="测试", why="test town")
        west, east = lonlat(-300, 8.0), lonlat(400, 8.0)
        store.add_households(
            [
                HouseholdRecord("R1", "西街1号", *west, people=2),
                HouseholdRecord("R2", "东街1号", *east, people=3),
                HouseholdRecord("R3", "无门牌", None, None, people=1),
            ]
        )
    code, output = run("lifecircle", "report", "--store", url, *inputs(town, "network", "facilities"), "--sites", "0")
    assert code == 0, output
    words = " ".join(output.split())  # rich wraps long lines
    assert "(2 households)" in words  # the register's two located households, not the file's 25
    assert "sources: boundaries store v1, households store" in words
    assert "1 households of the register have no point" in words
    assert "西网格" in output  # worst-served grids come from the store's version

    code, output = run(
        "lifecircle", "site", "--type", "red_station", "-k", "1", "--store", url, *inputs(town, "network", "facilities")
    )
    assert code == 0, output
    assert re.search(r"covered 1 → 2 of 2 households", output), output


def test_a_store_without_boundaries_is_a_one_line_error(town: dict[str, Path], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, output = run("lifecircle", "report", "--store", url, *inputs(town, "network", "facilities", "households"))
    assert code != 0
    assert output.strip() == "gridmap: there is no boundary set named 'default'"


def test_fragments_are_joined_within_the_gap_or_reported(town: dict[str, Path], tmp_path: Path) -> None:
    """A footway ending 20 m short of the street: joined at the default 25 m, reported with 10 m."""
    streets = collection(
        tmp_path / "streets_footway.geojson",
        [
            ({"name": "东西路"}, shapely.LineString([(-500, 0), (500, 0)])),
            ({"name": "南北路"}, shapely.LineString([(0, -500), (0, 500)])),
            ({"highway": "footway"}, shapely.LineString([(300, 20), (300, 60)])),
        ],
    )
    households = tmp_path / "households_footway.csv"
    households.write_text("lon,lat\n{:.7f},{:.7f}\n{:.7f},{:.7f}\n".format(*lonlat(305, 55), *lonlat(-290, 8)))
    options = ["--network", streets, "--households", households, *inputs(town, "facilities")]
    code, joined = run("lifecircle", "report", *options, "--no-boundaries", "--sites", "0")
    assert code == 0, joined
    flat = " ".join(joined.split())
    assert "within 25 m (--connect-fragments 25): 1 links" in flat
    assert "no household is nearest a cut-off piece" in flat
    out = tmp_path / "fragments.html"
    code, cut = run(
        "lifecircle", "report", *options, "--no-boundaries", "--sites", "0", "--connect-fragments", "10", "--html", out
    )
    assert code == 0, cut
    flat = " ".join(cut.split())
    assert "warning:" in flat
    assert "1 households (50.0%) are nearest a street piece cut off" in flat
    assert "households on fragments (1)" in out.read_text(encoding="utf-8")


def test_report_sites_only_types_present_unless_asked(town: dict[str, Path]) -> None:
    """The town has red stations, a primary school and a food market: no kindergarten is proposed unasked."""
    options = [*inputs(town, "network", "facilities", "households"), "--no-boundaries", "--sites", "1"]
    code, output = run("lifecircle", "report", *options)
    assert code == 0, output
    proposed = output.split("Proposed new sites")[1]
    assert "kindergarten" not in proposed
    assert "red_station" in proposed or "food_market" in proposed
    code, output = run("lifecircle", "report", *options, "--site-type", "kindergarten")
    assert code == 0, output
    proposed = output.split("Proposed new sites")[1]
    assert "kindergarten" in proposed
    assert "red_station" not in proposed
    code, output = run("lifecircle", "report", *options, "--site-type", "moon_base")
    assert code == 2
    assert "unknown facility types moon_base" in output
