"""The viewer's per-grid score map (考核) in a real headless Chromium: a planner colours the grids by a rate of a
month, the colours and the legend follow the API's scores, and a grid's click shows its score parts; somebody not
signed in is not offered the layer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridmap.store import open_store
from tests.incidents.histories import GRID_1, GRID_2, History, china
from tests.web.test_desk import api
from tests.web.test_viewer import Server, Visit, _click_inside, _need_chromium, _start, open_viewer
from tests.web.test_viewer_layers import switch_on

pytestmark = pytest.mark.browser

GRID_3 = "350924100001003"
SCORE_LAYER = "考核得分"
# The classes of score-classes.js: below 60%, 60-80%, 80-90%, 90-95%, from 95%; grids without a rate are grey.
BREAKS = (0.6, 0.8, 0.9, 0.95)
RAMP = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
NO_DATA = "#ced4da"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region with November's incidents: grid 1 filed on time, grid 2 on time once in three,
    grid 3 on time three times in four; nothing rated."""
    _need_chromium()
    on_time, late = china(11, 24, 10), china(11, 24, 15)
    filings = {GRID_1: (on_time,), GRID_2: (late, late, on_time), GRID_3: (on_time, on_time, late, on_time)}
    for running in _start(tmp_path_factory.mktemp("viewer-scores")):
        store = open_store(running.database_url)
        try:
            number = 0
            for grid, times in filings.items():
                for filed in times:
                    number += 1
                    history = History.reported(number, china(11, 24, 9), grid=grid).to("accepted", filed)
                    store.create_incident(history.incident)
        finally:
            store.close()
        yield running


def expected_fill(rate: float | None) -> str:
    """The colour of a grid with `rate` (None: no rate) on the score map."""
    if rate is None:
        return NO_DATA
    return RAMP[sum(rate >= limit for limit in BREAKS)]


def grid_fills(page: Any) -> dict[str, str]:
    """Grid code -> the fill the map drew it with."""
    fills: dict[str, str] = page.evaluate(
        "() => Object.fromEntries(window.gridmapViewer.layers.grid.getLayers()"
        ".map((layer) => [layer.feature.properties.code, layer.getElement().getAttribute('fill')]))"
    )
    return fills


def show_month(page: Any, month: str) -> None:
    page.fill("#score-month", month)
    page.dispatch_event("#score-month", "change")
    page.wait_for_function(
        "(month) => document.getElementById('thematic-title').textContent.endsWith(month)", arg=month
    )


def test_a_planner_colours_the_grids_by_their_scores(browser: Any, server: Server, tmp_path: Path) -> None:
    visit = open_viewer(browser, server.base, token=server.planner_token)
    page = visit.page
    try:
        page.wait_for_selector(f".leaflet-control-layers-overlays label:has-text('{SCORE_LAYER}')")
        switch_on(page, SCORE_LAYER)
        page.wait_for_function("() => document.body.dataset.thematic === 'scores'")
        show_month(page, "2026-11")

        scores = api(server, server.planner_token, "incident-scores?by=grid&month=2026-11")
        rows = {row["key"]: row for row in scores["rows"]}
        assert {code: rows[code]["response_rate"] for code in (GRID_1, GRID_2, GRID_3)} == {
            GRID_1: 1.0, GRID_2: 0.3333, GRID_3: 0.75,
        }  # fmt: skip
        fills = grid_fills(page)
        assert len(fills) == len(server.of_level("grid"))
        for code, fill in fills.items():
            assert fill == expected_fill(rows[code]["response_rate"] if code in rows else None), code
        assert len({fills[GRID_1], fills[GRID_2], fills[GRID_3]}) == 3

        legend = page.locator("#thematic-ramp li")
        assert [legend.nth(i).inner_text() for i in range(legend.count())][:5] == [
            "< 60%", "60–80%", "80–90%", "90–95%", "≥ 95%",
        ]  # fmt: skip
        swatches: list[str] = page.evaluate(
            "() => [...document.querySelectorAll('#thematic-ramp .swatch')].map((s) => s.style.background)"
        )
        assert len(swatches) == len(RAMP) + 1
        assert "按时响应率" in page.locator("#thematic-title").inner_text()

        # A grid's score parts in its details: the rate with the counts behind it.
        _click_inside(page, next(f for f in server.of_level("grid") if f["properties"]["code"] == GRID_2))
        page.wait_for_selector(f"#details-scores[data-code='{GRID_2}'] dl")
        parts = page.locator("#details-scores").inner_text()
        assert re.search(r"按时响应率 Response rate\s+33% \(1 / 3\)", parts)
        assert re.search(r"上报 Reports\s+3\b", parts)
        page.screenshot(path=str(tmp_path / "scores.png"))

        # Nobody rated an incident: by satisfaction every grid is grey; a month without reports is grey too.
        page.select_option("#score-measure", "satisfaction_rate")
        page.wait_for_function("() => document.getElementById('thematic-title').textContent.startsWith('满意率')")
        assert set(grid_fills(page).values()) == {NO_DATA}
        page.select_option("#score-measure", "response_rate")
        show_month(page, "2026-10")
        assert set(grid_fills(page).values()) == {NO_DATA}
        assert "本月无上报" in page.locator("#details-scores").inner_text()
        assert visit.console_errors == []
        assert visit.outside_requests() == []
    finally:
        page.context.close()


def test_somebody_not_signed_in_is_not_offered_the_scores(visit: Visit) -> None:
    overlays = visit.page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "住户数" in overlays and SCORE_LAYER not in overlays
