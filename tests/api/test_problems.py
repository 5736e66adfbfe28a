"""Every error is an RFC 7807 problem, and no input a client can send makes the server answer 500."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from gridmap.api.problems import install_problem_handlers
from gridmap.errors import RateLimited
from gridmap.incidents import ratelimit
from tests.api.conftest import TestClient, assert_problem


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/no/such/thing"), 404)
    assert body["instance"] == "/api/v1/no/such/thing"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    assert_problem(client.delete("/api/v1/collections"), 405)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/collections/grids/items?bbox=,,,",
        "/api/v1/collections/grids/items?bbox=1e999,0,1,1",
        "/api/v1/collections/grids/items?limit=1.5",
        "/api/v1/collections/grids/items?offset=99999999999999999999999",
        "/api/v1/collections/grids/items?version=-1",
        "/api/v1/collections/grids/items?version=99999999999999999999",
        "/api/v1/locate?lon=119.5&lat=27.4&version=99999999999999999999",
        "/api/v1/boundary-sets/default/versions/99999999999999999999",
        "/api/v1/boundary-sets/default/diff?from=1&to=99999999999999999999",
        "/api/v1/collections/grids/items?q=" + "长" * 200,
        "/api/v1/collections/grids/items/%00",
        "/api/v1/collections/%E5%9F%8E/items",
        "/api/v1/locate?lon=1e400&lat=0",
        "/api/v1/locate?lon=&lat=",
        "/api/v1/boundary-sets/..%2F..%2Fetc/versions",
        "/api/v1/boundary-sets/default/versions/0",
        "/api/v1/boundary-sets/default/versions/abc/validation",
        "/api/v1/boundary-sets/default/diff?from=a&to=b",
        "/api/v1/boundary-sets/default/versions/1/export?format=../../x",
    ],
)
def test_junk_input_is_a_4xx_problem_never_a_500(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_landing_page_and_conformance(client: TestClient) -> None:
    landing = client.get("/api/v1/").json()
    assert {link["rel"] for link in landing["links"]} >= {"self", "data", "conformance", "service-desc"}
    conformance = client.get("/api/v1/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "gridmap"


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "unpkg" not in page


def test_viewer_config_tells_the_tile_datum(make_client) -> None:  # type: ignore[no-untyped-def]
    plain = make_client().get("/api/v1/config").json()
    assert plain["tiles"]["url"] == "" and plain["output_crs"] == "wgs84"
    amap = (
        make_client(
            tiles_url="http://127.0.0.1:9/tiles/{z}/{x}/{y}.png", tiles_attribution="© 高德", tiles_datum="gcj02"
        )
        .get("/api/v1/config")
        .json()
    )
    assert amap["tiles"] == {
        "url": "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png",
        "attribution": "© 高德",
        "datum": "gcj02",
        "max_native_zoom": 18,
        "layers": [{"url": "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png", "subdomains": "abc", "attribution": "© 高德"}],
    }
    assert amap["output_crs"] == "gcj02"


def test_rate_limited_is_a_429_problem_with_retry_after() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/limited")
    def limited() -> None:
        raise RateLimited("too many reports from this device; try again in 3 s", retry_after_s=2.2)

    response = TestClient(app).get("/limited")
    body = assert_problem(response, 429)
    assert response.headers["retry-after"] == "3"
    assert body["title"] == "Too many requests" and "try again in 3 s" in body["detail"]


def test_rate_limited_is_still_importable_from_the_incident_core() -> None:
    assert ratelimit.RateLimited is RateLimited
