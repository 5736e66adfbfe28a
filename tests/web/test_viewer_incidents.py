"""The viewer's incident layers in a real headless Chromium: clusters, points with their history, filters,
counts per grid, the heat map and the time slider.

The app runs as in test_viewer.py on the sample region with the sample's households; 36 incidents are stored
in six of its grids before the pages open. A test waits for `document.body.dataset.incidentsRendered` (a
counter incidents.js raises after each render) or for what it expects to see, never for a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import shapely

from gridmap.incidents.intake import advance, open_incident
from gridmap.incidents.model import Channel
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import Route
from gridmap.store import open_store
from tests.web.test_viewer import Server, Visit, _need_chromium, open_viewer, start_with_households

pytestmark = pytest.mark.browser

T0 = datetime(2026, 9, 2, 2, 0, tzinfo=UTC)  # 10:00 on 2 September in China
PER_GRID = 6
GRIDS = 6
HANDLED = "IM-00-0"  # accepted and dispatched: a history of three steps


@dataclass
class Stored:
    """What was stored: each incident's id, grid, category, report time and WGS-84 point."""

    id: str
    grid: str
    category: str
    at: datetime
    lon: float
    lat: float


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region with households (for the per-1,000 rate)."""
    _need_chromium()
    yield from start_with_households(tmp_path_factory.mktemp("incidents"), ("households.csv",))


@pytest.fixture(scope="module")
def stored(server: Server) -> list[Stored]:
    """36 incidents: six in each of six grids, two thirds noise, one third rubbish, one every two days."""
    made: list[Stored] = []
    store = open_store(server.database_url)
    try:
        for g, grid in enumerate(server.of_level("grid")[:GRIDS]):
            centre = shapely.geometry.shape(grid["geometry"]).representative_point()
            code = grid["properties"]["code"]
            for i in range(PER_GRID):
                number = g * PER_GRID + i
                item = Stored(
                    id=f"IM-{g:02d}-{i}",
                    grid=code,
                    category="noise_livestock" if i % 3 else "living_environment",
                    at=T0 + timedelta(days=2 * number),
                    lon=centre.x + 0.00004 * (i - 2.5),
                    lat=centre.y,
                )
                store.create_incident(_incident(item, grid["properties"]))
                made.append(item)
        store.change_incident(
            HANDLED, lambda i: advance(i, "accepted", actor="网格员甲", role="worker", at=T0 + timedelta(hours=1))
        )
        store.change_incident(
            HANDLED,
            lambda i: advance(
                i, "dispatched", actor="调度员乙", role="planner", at=T0 + timedelta(hours=2), note="速去"
            ),
        )
    finally:
        store.close()
    return made


def _incident(item: Stored, grid: dict[str, Any]) -> Any:
    request = ReportRequest(
        service_code=item.category,
        lon=item.lon,
        lat=item.lat,
        description=f"{item.id} 的描述",
        address="鳌阳镇胜利街1号",
        channel=Channel.APP,
        media_url=None,
        contact={},
    )
    route = Route(
        lon=item.lon,
        lat=item.lat,
        community_code=grid["parent"],
        grid_code=item.grid,
        microgrid_code=None,
        worker=grid.get("worker"),
        boundary_distance_m=40.0,
        near_boundary=False,
    )
    return open_incident(
        incident_id=item.id, request=request, route=route, reporter="居民", role="resident", at=item.at
    )


@pytest.fixture
def visit(browser: Any, server: Server, stored: list[Stored]) -> Iterator[Visit]:
    """The viewer, nobody signed in, the incidents stored."""
    opened = open_viewer(browser, server.base)
    yield opened
    opened.page.context.close()


@pytest.fixture
def planner_visit(browser: Any, server: Server, stored: list[Stored]) -> Iterator[Visit]:
    """The viewer with a planner signed in."""
    opened = open_viewer(browser, server.base, token=server.planner_token)
    yield opened
    opened.page.context.close()


def rendered(page: Any) -> int:
    count: int = page.evaluate("Number(document.body.dataset.incidentsRendered || 0)")
    return count


def show(page: Any, layer: str) -> None:
    """Turn an incident layer on and wait for its first render."""
    before = rendered(page)
    page.evaluate(f"window.gridmapIncidents.show('{layer}')")
    page.wait_for_function(f"() => Number(document.body.dataset.incidentsRendered || 0) > {before}", timeout=20_000)


def cluster_total(page: Any) -> int:
    total: int = page.evaluate(
        "[...document.querySelectorAll('.incident-cluster')].reduce((n, e) => n + Number(e.dataset.count), 0)"
    )
    return total


def wait_total(page: Any, total: int) -> None:
    page.wait_for_function(f"() => document.body.dataset.incidentsTotal === '{total}'", timeout=20_000)


def reported_between(stored: list[Stored], first: date, end: date) -> int:
    """How many incidents were reported from China date `first` until the day before `end`."""
    china = timezone(timedelta(hours=8))
    return sum(first <= item.at.astimezone(china).date() < end for item in stored)


def set_date(page: Any, field: str, day: str) -> None:
    page.fill(field, day)
    page.dispatch_event(field, "change")


def test_clusters_add_up_to_every_incident_and_a_click_zooms_in(visit: Visit, stored: list[Stored]) -> None:
    page = visit.page
    show(page, "incidents")
    assert page.evaluate("document.body.dataset.incidentsMode") == "clusters"  # nobody signed in: never points
    assert cluster_total(page) == len(stored) == int(page.evaluate("document.body.dataset.incidentsTotal"))
    assert page.locator(".incident-cluster").count() <= len(stored)
    assert "36" in page.locator("#incidents-summary").inner_text()
    zoom = page.evaluate("window.gridmapViewer.map.getZoom()")
    before = rendered(page)
    page.locator(".incident-cluster").first.click()
    page.wait_for_function(f"() => Number(document.body.dataset.incidentsRendered) > {before}", timeout=20_000)
    assert page.evaluate("window.gridmapViewer.map.getZoom()") > zoom
    assert page.evaluate("document.body.dataset.incidentsMode") == "clusters"
    assert visit.console_errors == []
    assert visit.outside_requests() == []
    assert not any("/incident-map/points" in url for url in visit.requests)


def test_zooming_in_gives_points_with_a_popup_and_history(planner_visit: Visit, stored: list[Stored]) -> None:
    page = planner_visit.page
    page.evaluate("window.gridmapIncidents.state.pointLimit = 10")  # 36 in view: clusters until fewer than 11
    show(page, "incidents")
    assert page.evaluate("document.body.dataset.incidentsMode") == "clusters"
    handled = next(item for item in stored if item.id == HANDLED)
    page.evaluate(f"window.gridmapViewer.map.setView([{handled.lat}, {handled.lon}], 18, {{animate: false}})")
    page.wait_for_function("() => document.body.dataset.incidentsMode === 'points'", timeout=20_000)
    ids = page.evaluate("window.gridmapIncidents.pointIds()")
    assert HANDLED in ids and set(ids) <= {item.id for item in stored}
    point = page.locator(f".incident-point[data-incident-id='{HANDLED}']")
    assert point.count() == 1
    point.click()
    popup = page.locator(".incident-popup[data-loaded='true']")
    popup.wait_for(timeout=20_000)
    text = popup.inner_text()
    assert HANDLED in text and f"{HANDLED} 的描述" in text and "鳌阳镇胜利街1号" in text
    assert "处理经过" in text and "网格员甲" in text and "调度员乙" in text and "速去" in text
    assert page.locator(".incident-history li").count() == 3
    assert "已派遣" in text  # the current status
    assert planner_visit.console_errors == []
    assert planner_visit.outside_requests() == []


def test_a_category_filter_changes_the_counts(visit: Visit, stored: list[Stored]) -> None:
    page = visit.page
    show(page, "incidents")
    wait_total(page, len(stored))
    page.wait_for_selector("#incident-category option[value='noise_livestock']", state="attached")
    page.select_option("#incident-category", "noise_livestock")
    noise = sum(item.category == "noise_livestock" for item in stored)
    wait_total(page, noise)
    assert cluster_total(page) == noise == 24
    page.select_option("#incident-status", "dispatched")  # only HANDLED...
    wait_total(page, 0)  # ...which is about rubbish
    page.select_option("#incident-category", "")
    wait_total(page, 1)
    page.select_option("#incident-status", "")
    set_date(page, "#incident-from", "2026-10-01")
    after = sum(item.at >= datetime(2026, 9, 30, 16, tzinfo=UTC) for item in stored)
    wait_total(page, after)
    assert 0 < after < len(stored)
    assert visit.console_errors == []


def test_counts_per_grid_colour_the_grids(visit: Visit, server: Server, stored: list[Stored]) -> None:
    page = visit.page
    show(page, "areas")
    grids = server.of_level("grid")
    paths = page.locator(".leaflet-incidentArea-pane path")
    assert paths.count() == len(grids)
    values = page.evaluate("Object.fromEntries(window.gridmapIncidents.state.areaValues)")
    assert values == {g["properties"]["code"]: PER_GRID if n < GRIDS else 0 for n, g in enumerate(grids)}
    busy, quiet = grids[0]["properties"]["code"], grids[-1]["properties"]["code"]
    colour = "p => document.querySelector(`.leaflet-incidentArea-pane path[data-code='${p}']`).getAttribute('fill')"
    assert page.evaluate(colour, busy) != page.evaluate(colour, quiet)
    # 0 to 6 incidents: "0–1", "2–3", "4–5", "≥ 6" (no class lies wholly above the largest count).
    assert page.locator("#incident-legend li").all_inner_texts() == ["0–1", "2–3", "4–5", "≥ 6"]
    # Per 1,000 households: six incidents over each grid's households.
    before = rendered(page)
    page.select_option("#incident-rate", "per1000")
    page.wait_for_function(f"() => Number(document.body.dataset.incidentsRendered) > {before}", timeout=20_000)
    rates = page.evaluate("Object.fromEntries(window.gridmapIncidents.state.areaValues)")
    counts = page.evaluate("fetch('/api/v1/household-counts?level=grid').then(r => r.json()).then(b => b.counts)")
    households = {c["code"]: c["households"] for c in counts}
    assert rates[busy] == pytest.approx(PER_GRID * 1000 / households[busy])
    assert "1,000" in page.locator("#incident-legend-title").inner_text()
    assert visit.console_errors == []


def test_the_heat_map_draws_on_a_canvas(visit: Visit) -> None:
    page = visit.page
    show(page, "heat")
    canvas = page.locator("canvas.leaflet-heatmap-layer")
    assert canvas.count() == 1
    painted = page.evaluate(
        """() => {
            const canvas = document.querySelector('canvas.leaflet-heatmap-layer');
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let lit = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) lit++;
            return lit;
        }"""
    )
    assert painted > 100
    page.evaluate("window.gridmapIncidents.show('heat', false)")
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
    assert visit.console_errors == []


def test_the_time_slider_steps_and_plays_through_the_months(visit: Visit, stored: list[Stored]) -> None:
    page = visit.page
    show(page, "incidents")
    page.select_option("#incident-step", "month")
    # The incidents run from September to November 2026 (China time): three months, September first.
    page.wait_for_function(
        "() => document.body.dataset.incidentsPeriod === '2026-09-01T00:00:00+08:00/2026-10-01T00:00:00+08:00'"
    )
    assert page.evaluate("document.getElementById('incident-slider').max") == "2"

    def in_month(month: int) -> int:
        return reported_between(stored, date(2026, month, 1), date(2026, month + 1, 1))

    wait_total(page, in_month(9))
    slider = page.locator("#incident-slider")
    slider.evaluate("s => { s.value = '1'; s.dispatchEvent(new Event('input')); }")
    wait_total(page, in_month(10))
    assert "10月" in page.locator("#incident-period-label").inner_text()
    assert in_month(9) + in_month(10) + in_month(11) == len(stored)
    # Play: from October on to November, then it stops by itself.
    page.click("#incident-play")
    page.wait_for_function("() => document.body.dataset.incidentsPeriod.startsWith('2026-11-01')", timeout=20_000)
    wait_total(page, in_month(11))
    page.wait_for_function("() => !window.gridmapIncidents.state.playing", timeout=20_000)
    assert page.locator("#incident-play").inner_text().startswith("▶")
    assert visit.console_errors == []


def test_weekly_frames_are_cut_to_the_filters_dates_and_add_up_to_the_month(visit: Visit, stored: list[Stored]) -> None:
    page = visit.page
    show(page, "incidents")
    set_date(page, "#incident-from", "2026-10-01")
    set_date(page, "#incident-to", "2026-10-31")
    october = reported_between(stored, date(2026, 10, 1), date(2026, 11, 1))
    wait_total(page, october)
    page.select_option("#incident-step", "week")
    # 1 October 2026 is a Thursday and 31 October a Saturday: the first and last weeks keep only October's days.
    page.wait_for_function(
        "() => document.body.dataset.incidentsPeriod === '2026-10-01T00:00:00+08:00/2026-10-05T00:00:00+08:00'"
    )
    assert page.locator("#incident-period-label").inner_text() == "2026-10-01 – 2026-10-04"
    mondays = [date(2026, 10, 5) + timedelta(weeks=n) for n in range(4)]
    weeks = list(zip([date(2026, 10, 1), *mondays], [*mondays, date(2026, 11, 1)], strict=True))
    assert page.evaluate("document.getElementById('incident-slider').max") == str(len(weeks) - 1)
    expected = [reported_between(stored, first, end) for first, end in weeks]
    assert sum(expected) == october == 15
    slider = page.locator("#incident-slider")
    for frame, count in enumerate(expected):
        slider.evaluate(f"s => {{ s.value = '{frame}'; s.dispatchEvent(new Event('input')); }}")
        wait_total(page, count)
    assert page.evaluate("document.body.dataset.incidentsPeriod").endswith("/2026-11-01T00:00:00+08:00")
    assert visit.console_errors == []


def test_a_popup_opened_near_the_top_stays_open_after_its_auto_pan_reloads_the_points(
    planner_visit: Visit, stored: list[Stored]
) -> None:
    page = planner_visit.page
    page.evaluate("window.gridmapIncidents.state.pointLimit = 10")
    show(page, "incidents")
    handled = next(item for item in stored if item.id == HANDLED)
    page.evaluate(f"window.gridmapViewer.map.setView([{handled.lat}, {handled.lon}], 18, {{animate: false}})")
    page.wait_for_function("() => document.body.dataset.incidentsMode === 'points'", timeout=20_000)
    # The point 40 px under the top of the map: its popup opens above it, so Leaflet pans the map to show it.
    before = rendered(page)
    page.evaluate(
        "() => { const map = window.gridmapViewer.map; map.panBy([0, map.getSize().y / 2 - 40], {animate: false}); }"
    )
    page.wait_for_function(f"() => Number(document.body.dataset.incidentsRendered) > {before}", timeout=20_000)
    centre = page.evaluate("window.gridmapViewer.map.getCenter()")
    before = rendered(page)
    page.locator(f".incident-point[data-incident-id='{HANDLED}']").click()
    page.wait_for_function(f"() => Number(document.body.dataset.incidentsRendered) > {before}", timeout=20_000)
    assert page.evaluate("window.gridmapViewer.map.getCenter()") != centre  # the auto-pan reloaded the points
    assert page.evaluate("document.body.dataset.incidentsMode") == "points"
    popup = page.locator(f".incident-popup[data-incident-id='{HANDLED}'][data-loaded='true']")
    popup.wait_for(timeout=20_000)
    assert popup.is_visible()
    assert planner_visit.console_errors == []
