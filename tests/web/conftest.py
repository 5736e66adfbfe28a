"""Fixtures shared by the browser tests: one Chromium per test process, and a freshly loaded viewer per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright import sync_api as playwright_sync

from tests.web.test_viewer import CHROMIUM, CHROMIUM_ARGS, Server, Visit, _need_chromium, open_viewer


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, one per test process: each test opens its own context (cookies, storage and
    cache apart) and closes it, so no test sees another's."""
    _need_chromium()
    with playwright_sync.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def visit(browser: Any, server: Server) -> Iterator[Visit]:
    """The viewer, freshly loaded, nobody signed in."""
    opened = open_viewer(browser, server.base)
    yield opened
    opened.page.context.close()
