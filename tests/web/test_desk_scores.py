"""The desk's 考核 Scores tab in a real headless Chromium: a dispatcher sees the table of a month and sorts it by a
rate; a grid worker is not offered the tab."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.incidents.histories import GRID_1, GRID_2, History, china
from tests.web.test_desk import DESK, PHONE, WAIT_MS, open_desk
from tests.web.test_viewer import Server, _need_chromium, _start

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region with November incidents: grid 1 filed on time, grid 2 late twice, once on time."""
    _need_chromium()
    for running in _start(tmp_path_factory.mktemp("desk-scores")):
        store = open_store(running.database_url)
        try:
            store.create_incident(History.reported(1, china(11, 24, 9)).to("accepted", china(11, 24, 10)).incident)
            for number, filed in ((2, china(11, 24, 15)), (3, china(11, 24, 16)), (4, china(11, 24, 10))):
                history = History.reported(number, china(11, 24, 9), grid=GRID_2).to("accepted", filed)
                store.create_incident(history.incident)
        finally:
            store.close()
        yield running


def column(page: Any, index: int) -> list[str]:
    """The texts of a column of the scores table, top to bottom."""
    rows = "[...document.querySelectorAll('#scores-table tbody tr')]"
    script = f"() => {rows}.map((tr) => tr.cells[{index}].textContent)"
    texts: list[str] = page.evaluate(script)
    return texts


def test_a_dispatcher_sorts_the_scores_by_a_rate(browser: Any, server: Server) -> None:
    page = open_desk(browser, server, server.planner_token, DESK).page
    page.click("#scores-tab")
    page.fill("#scores-month", "2026-11")
    page.dispatch_event("#scores-month", "change")
    page.wait_for_selector("#scores[data-state='loaded'][data-rows='2']", timeout=WAIT_MS)
    assert "behind-scores" in (page.get_attribute("#queue-list", "class") or "")
    keys: list[str] = page.evaluate("[...document.querySelectorAll('#scores-table th')].map((th) => th.dataset.key)")
    rate = keys.index("response_rate")
    assert column(page, 0) == [GRID_1, GRID_2]  # in code order as the API gives them
    page.click("#scores-table th[data-key='response_rate'] button")
    assert column(page, rate) == ["33%", "100%"]
    assert column(page, 0) == [GRID_2, GRID_1]
    assert page.get_attribute("#scores-table th[data-key='response_rate']", "aria-sort") == "ascending"
    page.click("#scores-table th[data-key='response_rate'] button")
    assert column(page, rate) == ["100%", "33%"]
    assert "incident-scores?by=grid&month=2026-11&format=xlsx" in (page.get_attribute("#scores-xlsx", "href") or "")
    page.select_option("#scores-by", "worker")
    page.wait_for_function(
        "() => document.querySelector('#scores-table th').dataset.key === 'key'"
        " && document.querySelector('#scores-table th').textContent.includes('Worker')",
        timeout=WAIT_MS,
    )
    page.click(".queue-tab[data-queue='file']")
    assert page.is_hidden("#scores")
    assert "behind-scores" not in (page.get_attribute("#queue-list", "class") or "")


def test_a_worker_is_not_offered_the_scores(browser: Any, server: Server) -> None:
    store = open_store(server.database_url)
    try:
        token = store.add_user("张发敏", Role.WORKER)
    finally:
        store.close()
    page = open_desk(browser, server, token, PHONE).page
    assert page.is_hidden("#scores-tab")
