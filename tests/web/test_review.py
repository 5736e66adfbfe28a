"""The address review page (/review) in a real headless Chromium: a planner uploads a GBK CSV, the page lists the
addresses needing review with their candidates, the planner picks one (stored as an alias, so the next geocode
matches it) and "none" for another, and downloads the cleaned CSV. The app runs as in test_viewer.py."""

from __future__ import annotations

import csv
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridmap.services import users as user_service
from gridmap.services.address_registry import import_registry
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.web.test_sign_in import sign_in
from tests.web.test_viewer import REPO, Server, _need_chromium, _start

pytestmark = pytest.mark.browser

PLANNER, PASSWORD = "核对员", "review-password-1"
LOOK_ALIKE = "金域花园A栋1单元301室"  # not a slip of 金城花园: never matched alone
OTHER = "东兴大厦1203室"  # nor of 东升大厦
ROWS = [("H1", "胜利街12号"), ("H2", LOOK_ALIKE), ("H3", LOOK_ALIKE), ("H4", OTHER), ("H5", "北京市朝阳区建国路1号")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the sample region and the sample registry with its aliases, and a planner with a password."""
    _need_chromium()
    for started in _start(tmp_path_factory.mktemp("review")):
        store = open_store(started.database_url)
        try:
            sample = REPO / "data" / "sample"
            import_registry(store, sample / "addresses.csv", aliases=sample / "address_aliases.csv")
            user_service.add_user_with_password(store, name=PLANNER, role=Role.PLANNER, password=PASSWORD)
        finally:
            store.close()
        yield started


def geocoded(server: Server, text: str) -> dict[str, Any]:
    query = urllib.parse.urlencode({"q": text})
    with urllib.request.urlopen(f"{server.base}/api/v1/geocode?{query}", timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
    return answer


def test_a_planner_picks_a_candidate_which_is_stored_as_an_alias(browser: Any, server: Server, tmp_path: Path) -> None:
    assert geocoded(server, LOOK_ALIKE)["status"] == "needs_review"
    upload = tmp_path / "住户.csv"
    lines = ["户号,地址", *(f"{key},{text}" for key, text in ROWS)]
    upload.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))

    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(server.base + "/review")
        page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=20_000)
        assert page.locator("#review-needed").is_visible()
        sign_in(page, PLANNER, PASSWORD)
        page.wait_for_selector("#review-upload", state="visible")
        page.set_input_files("#review-file", str(upload))
        page.wait_for_function("() => document.getElementById('review-column').value === '地址'")
        page.click("#review-run")
        page.wait_for_function("() => document.body.dataset.reviewed !== undefined", timeout=20_000)
        summary = page.locator("#review-summary").inner_text()
        assert "共 5 行" in summary and "待核对 4" in summary and "未匹配 1" in summary

        items = page.locator(".review-item")
        assert items.count() == 3  # 胜利街12号 (a road-level guess), the two look-alikes; each address once
        look_alike = page.locator(f".review-item[data-address='{LOOK_ALIKE}']")
        assert "2 行 rows" in look_alike.inner_text()
        first = look_alike.locator(".review-option").first
        assert "金城花园A栋1单元301室" in first.inner_text() and "金域花园 read as 金城花园" in first.inner_text()
        first.locator("input").check()
        assert page.locator(".review-pin").count() >= 1  # the candidates on the small map
        look_alike.locator(".review-confirm").click()
        look_alike.locator(".outcome", has_text="已保存别名 Alias stored: 金域花园 → 金城花园").wait_for()

        other = page.locator(f".review-item[data-address='{OTHER}']")
        other.locator(".review-option", has_text="都不是 None of these").locator("input").check()
        other.locator(".review-confirm").click()
        other.locator(".outcome", has_text="已标为无").wait_for()

        with page.expect_download() as caught:
            page.click("#review-download")
        cleaned = tmp_path / "cleaned.csv"
        caught.value.save_as(cleaned)
        assert caught.value.suggested_filename == "住户.cleaned.csv"
    finally:
        context.close()
    assert errors == []

    with cleaned.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["户号"]: row for row in csv.DictReader(handle)}
    assert [rows[key]["match_status"] for key in ("H1", "H2", "H3", "H4", "H5")] == [
        "needs_review",
        "reviewed",
        "reviewed",
        "rejected",
        "unmatched",
    ]
    assert rows["H2"]["matched_id"] == "room:金城花园:A:1:301" and rows["H2"]["wgs84_lon"]
    store = open_store(server.database_url)
    try:
        assert [(a.kind, a.name, a.alias) for a in store.address_aliases()][-1] == ("compound", "金城花园", "金域花园")
    finally:
        store.close()
    again = geocoded(server, LOOK_ALIKE)
    assert again["status"] == "matched" and again["match"]["id"] == "room:金城花园:A:1:301"
