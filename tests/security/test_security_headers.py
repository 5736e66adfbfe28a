"""Security headers on every page and answer (errors and 500s included), pages without inline script or style,
and an OpenAPI document that declares the problems the API really answers (400 where FastAPI would say 422)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gridmap.api.headers import content_security_policy, tile_source
from gridmap.api.pages import WEB_DIR
from gridmap.api.problems import PROBLEM_MEDIA_TYPE
from gridmap.store.account_store import Role
from tests.api.conftest import AppFactory, add_token, bearer

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def assert_secured(response: Any) -> str:
    """The answer carries every security header; returns its Content-Security-Policy."""
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    policy: str = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    return policy


def test_every_kind_of_answer_carries_the_headers(make_client: AppFactory) -> None:
    client = make_client(max_upload_bytes=1000)
    planner = bearer(add_token(client, "规划员", Role.PLANNER))
    answers = [
        client.get("/"),
        client.get("/report"),
        client.get("/docs"),
        client.get("/js/viewer/main.js"),
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/collections/grids/items?limit=1"),
        client.get("/api/v1/no-such-thing"),  # 404 problem
        client.get("/api/v1/locate?lon=x&lat=1"),  # 400 problem
        client.get("/api/v1/incidents"),  # 401 problem
        client.post("/api/v1/boundary-sets/default/versions", content=b"x" * 5000, headers=planner),  # 413
    ]
    assert [a.status_code for a in answers[-4:]] == [404, 400, 401, 413]
    for answer in answers:
        assert_secured(answer)


def test_an_unexpected_error_is_answered_with_the_headers_too(make_client: AppFactory) -> None:
    client = make_client()

    @client.app.get("/boom")  # type: ignore[attr-defined]
    def boom() -> None:
        msg = "a bug"
        raise RuntimeError(msg)

    quiet = TestClient(client.app, raise_server_exceptions=False)
    response = quiet.get("/boom")
    assert response.status_code == 500
    assert_secured(response)


@pytest.mark.parametrize(
    ("tiles_url", "source"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", "https://*.is.autonavi.com"),
        ("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
        ("", None),
    ],
)
def test_the_tile_host_and_nothing_else_is_added_to_img_src(tiles_url: str, source: str | None) -> None:
    assert tile_source(tiles_url) == source
    directives = dict(d.split(" ", 1) for d in content_security_policy((source,) if source else ()).split("; "))
    assert directives["img-src"] == " ".join(["'self'", "data:", "blob:", *([source] if source else [])])
    assert all(directives[name] == "'self'" for name in ("default-src", "script-src", "style-src", "connect-src"))


def test_the_served_policy_allows_the_configured_tiles(make_client: AppFactory) -> None:
    client = make_client(tiles_url="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://*.tile.openstreetmap.org;" in assert_secured(client.get("/"))


@pytest.mark.parametrize("page", sorted(path.name for path in WEB_DIR.glob("*.html")))
def test_pages_hold_no_inline_script_handler_or_style(page: str) -> None:
    html = (WEB_DIR / page).read_text(encoding="utf-8")
    # The one inline script a page may hold is its import map, allowed by its hash (see the next test).
    assert not re.search(r'<script(?![^>]*\bsrc=)(?![^>]*\btype="importmap")[^>]*>', html), "an inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), "an on… event handler attribute"
    assert not re.search(r"\sstyle\s*=|<style", html, re.IGNORECASE), "an inline style"


def test_the_policy_allows_exactly_the_import_maps_of_the_pages(make_client: AppFactory) -> None:
    client = make_client()
    pages = [client.get(path).text for path in ("/", "/report")]
    import_maps = {
        found for html in pages for found in re.findall(r'<script type="importmap">(.*?)</script>', html, re.DOTALL)
    }
    assert len(import_maps) == 1  # the viewer and the reporting page name the same packages
    hashes = {f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'" for text in import_maps}
    directives = dict(d.split(" ", 1) for d in assert_secured(client.get("/docs")).split("; "))
    assert set(directives["script-src"].split()) == {"'self'", *hashes}


def test_only_the_page_modules_are_served_under_js(make_client: AppFactory) -> None:
    client = make_client()
    module = client.get("/js/viewer/main.js")
    assert module.status_code == 200 and module.headers["content-type"].startswith("text/javascript")
    assert 'from "./boundaries.js"' in module.text
    for path in ("/js/viewer/nothing.js", "/js/..%2F..%2Fpyproject.toml", "/js/../gridmap/api/pages.py"):
        assert client.get(path).status_code == 404, path


def test_no_page_or_asset_takes_a_file_name_from_the_query(make_client: AppFactory) -> None:
    # An asset route once took its file name as a defaulted argument, which FastAPI reads from the query
    # string: /viewer.js?name=../pyproject.toml served any file under the repository.
    client = make_client()
    pages = [r.path for r in client.app.routes if getattr(r, "methods", None) == {"GET"} and "{" not in r.path]  # type: ignore[attr-defined]
    served = [path for path in pages if not path.startswith("/api/") and not path.startswith("/open311/")]
    assert "/" in served and "/report" in served
    for path in served:
        for name in ("name", "module", "path", "file"):
            answer = client.get(path, params={name: "../pyproject.toml", "media_type": "text/plain"})
            assert "[build-system]" not in answer.text, (path, name)


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_the_document_declares_problem_json_and_no_default_422(make_client: AppFactory) -> None:
    document = make_client().get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in str(document)
    assert {"type", "title", "status", "detail"} <= set(document["components"]["schemas"]["Problem"]["required"])
    operations = _operations(document)
    assert len(operations) > 40
    for label, operation in operations:
        responses = operation["responses"]
        success = [status for status in responses if status.startswith("2")]
        assert success, label
        with_body = [status for status in success if status != "204"]  # 204 No Content has no body by definition
        assert all(responses[status].get("content") for status in with_body), f"{label}: no response schema"
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (label, status)
        if operation.get("parameters") or "requestBody" in operation:
            assert "400" in responses, label


def test_auth_is_declared_as_the_routes_enforce_it(make_client: AppFactory) -> None:
    operations = dict(_operations(make_client().get("/api/v1/openapi.json").json()))
    public = operations["GET /api/v1/collections"]
    assert public["security"] == [{}, {"HTTPBearer": []}] and "401" in public["responses"]
    planners = operations["POST /api/v1/boundary-sets/{name}/versions"]
    assert planners["security"] == [{"HTTPBearer": []}] and {"401", "403"} <= set(planners["responses"])
    closed = dict(_operations(make_client(public_read=False).get("/api/v1/openapi.json").json()))
    assert closed["GET /api/v1/collections"]["security"] == [{"HTTPBearer": []}]
    report = operations["POST /api/v1/incidents"]["responses"]
    assert {"400", "409", "413", "422", "429"} <= set(report)
