"""The viewer's page says which set and version it will most likely open (`<meta name="gridmap-opening">`), so that
first-requests.js can ask for that version's first requests all at once: the published default version, and only
when anyone may read it (the guess names a version and its size)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import AppFactory

GUESS = re.compile(r'<meta name="gridmap-opening" content="([^"]*)">')


def guess_of(page: str) -> dict[str, Any] | None:
    found = GUESS.search(page.split("</head>")[0])
    return None if found is None else dict(json.loads(html.unescape(found.group(1))))


def test_the_viewer_page_names_the_published_default_version(client: TestClient) -> None:
    versions = client.get("/api/v1/boundary-sets/default/versions").json()["versions"]
    published = next(version for version in versions if version["status"] == "published")
    assert guess_of(client.get("/").text) == {
        "set": "default",
        "version": published["id"],
        "feature_count": published["feature_count"],
        "crs": client.get("/api/v1/config").json()["output_crs"],
    }


def test_the_guess_is_in_the_datum_the_viewer_asks_in(make_client: AppFactory) -> None:
    client = make_client(tiles_url="https://tiles.example/{z}/{x}/{y}.png", tiles_datum="gcj02")
    guess = guess_of(client.get("/").text)
    assert guess is not None and guess["crs"] == "gcj02" == client.get("/api/v1/config").json()["output_crs"]


def test_no_guess_when_reading_needs_a_token_nor_on_other_pages(make_client: AppFactory) -> None:
    assert guess_of(make_client(public_read=False).get("/").text) is None
    assert guess_of(make_client().get("/edit").text) is None
