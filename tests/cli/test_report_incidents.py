"""`gridmap report incidents` as a user runs it, on a SQLite store holding the sample region and incidents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.incidents.stats import AreaStats, month_period
from gridmap.incidents.workflow import ActorRole
from gridmap.io.incidents import read_incidents
from gridmap.maps.incident_report import hours_text, share_text
from gridmap.services.boundaries import import_boundaries
from gridmap.services.demo import INCIDENTS_FILE, load_demo_region
from gridmap.services.incidents import area_statistics
from gridmap.store import open_store
from gridmap.store.incident_store import IncidentFilter

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
DATONG = "350924100001"
CDN = re.compile(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//")


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the sample region published and the sample incidents imported."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'gridmap.db'}"
    with open_store(url, upgrade=True) as store:
        load_demo_region(store, REPO / "data")
        assert store.import_incidents(read_incidents(REPO / "data" / INCIDENTS_FILE)) > 1000
    return url


def run(*args: str | Path) -> tuple[int, str]:
    """Run the CLI; (exit code, stdout + stderr)."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def readable(page: str) -> str:
    """The page with JSON's \\uXXXX escapes (folium writes layer names and data so) turned into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def cells(page: str, area: str) -> dict[str, str]:
    """The table row of an area: data-field -> text."""
    row = re.search(rf'<tr data-area="{area}">(.*?)</tr>', page)
    assert row, f"no row for {area}"
    return dict(re.findall(r'<td data-field="([^"]+)">([^<]*)</td>', row.group(1)))


def expected_cells(stats: AreaStats) -> dict[str, str]:
    """What the table should show for an area's statistics."""
    values = {
        "total": str(stats.total),
        "median_first_response_h": hours_text(stats.median_first_response_h),
        "median_resolution_h": hours_text(stats.median_resolution_h),
        "share_within_24h": share_text(stats.share_within_24h),
    }
    values.update({f"category:{k}": str(v) for k, v in stats.by_category.items()})
    values.update({f"status:{k}": str(v) for k, v in stats.by_status.items()})
    return values


def test_the_report_shows_the_numbers_of_area_statistics(store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "datong.html"
    code, output = run(
        "report", "incidents", "--community", DATONG, "--month", "2026-10", "--html", out, "--store", store_url
    )
    assert code == 0, output
    assert "大同社区" in output and f"report written to {out}" in output
    page = out.read_text(encoding="utf-8")
    start, end = month_period("2026-10")
    with open_store(store_url) as store:
        by_grid = area_statistics(store, by="grid", start=start, end=end, community=DATONG)
        (total,) = area_statistics(store, by="community", start=start, end=end, community=DATONG)
        version = store.published_version("default")
        assert version is not None
        grids = store.features(version.id, parent=DATONG).features
        where = IncidentFilter(community_code=DATONG, reported_since=start, reported_before=end)
        month = list(store.iter_incidents(where))
    assert len(by_grid) >= 3 and total.total == len(month) > 20
    for stats in by_grid:
        shown = cells(page, stats.area_code)
        assert {k: shown[k] for k in expected_cells(stats)} == expected_cells(stats), stats.area_code
    assert {k: cells(page, DATONG)[k] for k in expected_cells(total)} == expected_cells(total)
    # Every grid of the community has a row, those without incidents too; the terminal repeats the totals.
    assert {g.code for g in grids} <= set(re.findall(r'<tr data-area="(\d+)">', page))
    assert re.search(rf"{DATONG}\s.*community\s.*{total.total}", output)
    # A marker per incident, offline, and nobody's name or words.
    text = readable(page)
    assert f"事件 ({len(month)})" in text and text.count('"type": "Point"') >= len(month)
    assert not CDN.search(page)
    assert "leaflet" in page.lower() and "<title>大同社区 2026年10月 事件报告</title>" in page
    staff = {e.actor for i in month for e in i.audit if e.role is not ActorRole.RESIDENT} | {g.worker for g in grids}
    residents = {i.reporter for i in month if i.audit[0].role is ActorRole.RESIDENT} - staff
    assert all(g.worker in text for g in grids if g.worker)  # names in the data are readable here
    assert residents and not [name for name in residents if name in text]
    assert not [i.description for i in month if i.description in text]


def test_a_month_without_incidents_still_gets_a_report(store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "december.html"
    code, output = run(
        "report", "incidents", "--community", DATONG, "--month", "2026-12", "--html", out, "--store", store_url
    )
    assert code == 0, output
    assert "no incidents were reported" in output
    page = out.read_text(encoding="utf-8")
    assert "本月没有上报的事件" in page
    assert cells(page, DATONG)["total"] == "0" and cells(page, DATONG)["median_resolution_h"] == "–"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--community", "350924199999", "--month", "2026-10"), r"no community '350924199999'.*350924100001 大同社区"),
        (("--community", DATONG, "--month", "2026-13"), r"month '2026-13' is not written YYYY-MM"),
        (("--community", DATONG, "--month", "Oct"), r"YYYY-MM"),
    ],
)
def test_errors_name_what_is_wrong(store_url: str, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    out = tmp_path / "r.html"
    code, output = run("report", "incidents", *args, "--html", out, "--store", store_url)
    assert code == 2, output
    assert re.search(message, " ".join(output.split()))
    assert not out.exists()


def test_no_published_version_is_an_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'draft.db'}"
    args = ("report", "incidents", "--community", DATONG, "--month", "2026-10", "--html", tmp_path / "r.html")
    code, output = run(*args, "--store", url)
    assert code == 2 and "no boundary set named 'default'" in output
    with open_store(url, upgrade=True) as store:
        import_boundaries(store, [REPO / "data/boundaries/shouning_aoyang.geojson"], who="test", why="draft only")
    code, output = run(*args, "--store", url)
    assert code == 2 and "has no published version" in output


def test_help_teaches_with_examples() -> None:
    code, output = run("report", "incidents", "--help")
    assert code == 0
    assert "gridmap report incidents --community 350924100001 --month 2026-10" in output
