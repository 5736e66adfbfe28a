"""Each page lists its entry module's whole static import graph as <link rel="modulepreload">, so that the browser
asks for every module at once instead of one import level at a time; and only that graph: a module imported with
import(), when first used, is not preloaded (it would be fetched with the page, and nothing saved)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from gridmap.api.pages import IMPORT_MAP

# The pages with an entry module, and one module each imports only through others (so only the walk finds it).
MODULE_PAGES = {
    "/": "/vendor/leaflet/leaflet-src.esm.js",
    "/edit": "/vendor/geoman/leaflet-geoman.js",
    "/report": "/js/report/map.js",
    "/admin": "/js/session.js",
    "/desk": "/js/desk/queue-list.js",
    "/review": "/js/review/map.js",
}
# Modules the viewer imports only with import(): the map's tools once the first view is drawn, the statistics table
# on first use, the incident layers' drawing when one is first switched on, leaflet.heat's when the heat map is.
VIEWER_LATER = (
    "/js/viewer/map-tools.js",
    "/js/viewer/stats-table.js",
    "/js/viewer/incident-points.js",
    "/js/viewer/incident-areas.js",
    "/js/heat-layer.js",
)
PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)">')
ENTRY = re.compile(r'<script type="module" src="([^"]+)">')
# Looser than the server's reading on purpose: any `from "..."` or `import "..."` naming a module, wherever it is.
SPECIFIER = re.compile(r"""\b(?:from|import)\s*["']([^"']+)["']""")


def imported_urls(url: str, text: str) -> set[str]:
    """The URLs a module's text names as imports (a .js path or a package in the import map), resolved as the page
    resolves them."""
    imports: dict[str, str] = IMPORT_MAP["imports"]
    specifiers = SPECIFIER.findall(text)
    paths = {urljoin(url, spec) for spec in specifiers if spec.startswith((".", "/")) and spec.endswith(".js")}
    return paths | {imports[spec] for spec in specifiers if spec in imports}


@pytest.mark.parametrize("page", MODULE_PAGES)
def test_a_page_preloads_exactly_its_entry_modules_graph(client: TestClient, page: str) -> None:
    html = client.get(page).text
    head = html.split("</head>")[0]
    preloads = PRELOAD.findall(head)
    assert len(preloads) == len(set(preloads)), "a module preloaded twice"
    entries = ENTRY.findall(html)
    # The graph, walked here from the served modules themselves.
    graph, queue = set(entries), list(entries)
    while queue:
        url = queue.pop()
        answer = client.get(url)
        assert answer.status_code == 200, url
        if url.startswith("/js/"):
            for imported in imported_urls(url, answer.text) - graph:
                graph.add(imported)
                queue.append(imported)
    assert set(preloads) == graph
    assert MODULE_PAGES[page] in preloads
    if '<script type="importmap">' in head:  # a module fetched before the import map would stop the map applying
        assert head.index('<script type="importmap">') < head.index('rel="modulepreload"')


def test_the_viewer_preloads_none_of_the_modules_it_imports_later(client: TestClient) -> None:
    preloads = PRELOAD.findall(client.get("/").text.split("</head>")[0])
    assert "/js/viewer/main.js" in preloads
    for url in VIEWER_LATER:
        assert client.get(url).status_code == 200, url
        assert url not in preloads, url


def test_a_page_without_modules_preloads_none(client: TestClient) -> None:
    assert 'rel="modulepreload"' not in client.get("/docs").text
