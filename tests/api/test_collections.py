"""OGC API - Features style collections and items: filters, paging, single features, output datums."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely

from gridmap.geo.crs import Datum, from_wgs84
from tests.api.conftest import TestClient, assert_problem
from tests.api.region import TOWN, region_features
from tests.boundary_builders import LAT0, LON0, STEP

COMMUNITY_1, COMMUNITY_2 = f"{TOWN}001", f"{TOWN}002"


def items(client: TestClient, collection: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/collections/{collection}/items", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"])
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [f["properties"]["code"] for f in body["features"]]


def link(body: dict[str, Any], rel: str) -> str | None:
    return next((x["href"] for x in body["links"] if x["rel"] == rel), None)


def test_collections_one_per_level_and_all(client: TestClient) -> None:
    body = client.get("/api/v1/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["communities", "grids", "microgrids", "boundaries"]
    grids = client.get("/api/v1/collections/grids").json()
    assert grids["level"] == "grid"
    assert any(x["rel"] == "items" and x["href"].endswith("/collections/grids/items") for x in grids["links"])


def test_a_collection_of_a_version_gives_the_extent_of_its_features(client: TestClient) -> None:
    grids = shapely.GeometryCollection(
        [shapely.geometry.shape(f["geometry"]) for f in items(client, "grids")["features"]]
    )
    described = client.get("/api/v1/collections/grids", params={"version": 1}).json()
    (box,) = described["extent"]["spatial"]["bbox"]
    assert box == pytest.approx(grids.bounds, abs=3e-5)  # SQLite's index rounds outwards (float32)
    assert described["extent"]["spatial"]["crs"].endswith("CRS84")
    # How many features it holds, in the same answer (a map decides from it how to load the level).
    assert described["numberMatched"] == items(client, "grids")["numberMatched"] == 8
    assert client.get("/api/v1/collections/boundaries", params={"version": 1}).json()["numberMatched"] == 26
    assert client.get("/api/v1/collections/grids").json().get("extent") is None  # only asked with a version
    assert client.get("/api/v1/collections/grids").json().get("numberMatched") is None
    assert client.get("/api/v1/collections/grids", params={"version": 9}).status_code == 404


def test_each_level_collection_holds_that_level(client: TestClient) -> None:
    assert items(client, "communities")["numberMatched"] == 2
    grids = items(client, "grids")
    assert grids["numberMatched"] == 8
    assert {f["properties"]["level"] for f in grids["features"]} == {"grid"}
    assert items(client, "microgrids")["numberMatched"] == 16
    assert items(client, "boundaries")["numberMatched"] == 26
    assert grids["version"] == {"id": 1, "set": "default", "status": "published"}


def test_grid_properties_are_served(client: TestClient) -> None:
    grid = items(client, "grids", code=f"{COMMUNITY_1}001")["features"][0]
    assert grid["properties"] == {
        "code": f"{COMMUNITY_1}001",
        "name": "大同第1网格",
        "level": "grid",
        "parent": COMMUNITY_1,
        "worker": "张发敏",
        "households_target": 300,
        "revision": 1,
    }
    assert grid["geometry"]["type"] == "Polygon"
    assert shapely.geometry.shape(grid["geometry"]).equals(shapely.box(LON0, LAT0 + STEP, LON0 + STEP, LAT0 + 2 * STEP))


def test_paging_with_next_and_prev_links_visits_every_feature_once(client: TestClient) -> None:
    first = items(client, "grids", limit=3)
    assert first["numberMatched"] == 8 and first["numberReturned"] == 3
    assert link(first, "prev") is None
    seen = codes(first)
    page = first
    while (href := link(page, "next")) is not None:
        response = client.get(href)
        assert response.status_code == 200
        page = response.json()
        assert link(page, "prev") is not None
        seen += codes(page)
    assert len(seen) == 8 == len(set(seen))
    assert seen == sorted(seen)
    last = items(client, "grids", limit=3, offset=6)
    assert codes(last) == seen[6:] and link(last, "next") is None


def test_offset_past_the_end_returns_no_features(client: TestClient) -> None:
    body = items(client, "grids", offset=100)
    assert body["numberMatched"] == 8 and body["features"] == []


def test_bbox_selects_the_grids_it_meets(client: TestClient) -> None:
    # Strictly inside the west column of community 1: grids 001 (north) and 003 (south).
    box = (LON0 + 0.1 * STEP, LAT0 + 0.1 * STEP, LON0 + 0.9 * STEP, LAT0 + 1.9 * STEP)
    body = items(client, "grids", bbox=",".join(str(v) for v in box))
    assert codes(body) == [f"{COMMUNITY_1}001", f"{COMMUNITY_1}003"]
    assert body["numberMatched"] == 2
    far = items(client, "grids", bbox="100,20,100.1,20.1")
    assert far["numberMatched"] == 0


def test_bbox_paging_counts_every_match(client: TestClient) -> None:
    box = f"{LON0},{LAT0},{LON0 + 4 * STEP},{LAT0 + 2 * STEP}"
    body = items(client, "microgrids", bbox=box, limit=5, offset=5)
    assert body["numberMatched"] == 16 and body["numberReturned"] == 5


def test_bbox_pages_follow_next_links_after_the_last_code_and_visit_every_match_once(client: TestClient) -> None:
    box = f"{LON0 + 0.2 * STEP},{LAT0 + 0.2 * STEP},{LON0 + 3.5 * STEP},{LAT0 + 2 * STEP}"
    every = codes(items(client, "microgrids", bbox=box, limit=100))
    page = items(client, "microgrids", bbox=box, limit=5)
    seen = codes(page)
    while (href := link(page, "next")) is not None:
        assert "after=" in href and "offset=" not in href
        response = client.get(href)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["numberMatched"] == len(every) and link(page, "prev") is None
        seen += codes(page)
    assert seen == every and len(every) > 10  # once each, in code order, with no empty page at the end


def test_property_filters(client: TestClient) -> None:
    assert codes(items(client, "grids", parent=COMMUNITY_2)) == [f"{COMMUNITY_2}00{n}" for n in range(1, 5)]
    assert codes(items(client, "boundaries", level="community")) == [COMMUNITY_1, COMMUNITY_2]
    assert codes(items(client, "boundaries", level="网格", parent=COMMUNITY_1, limit=1)) == [f"{COMMUNITY_1}001"]
    assert items(client, "boundaries", code=f"{COMMUNITY_2}00301")["numberMatched"] == 1


def test_q_finds_by_exact_code_and_by_part_of_the_name(client: TestClient) -> None:
    by_code = items(client, "boundaries", q=f"{COMMUNITY_2}002")
    assert codes(by_code) == [f"{COMMUNITY_2}002"]
    by_name = items(client, "grids", q="城东")
    assert by_name["numberMatched"] == 4
    assert all("城东" in f["properties"]["name"] for f in by_name["features"])
    everything = items(client, "boundaries", q="城东", limit=5)
    assert everything["numberMatched"] == 13  # the community, its 4 grids and their 8 microgrids
    assert items(client, "boundaries", q="没有这个名字")["numberMatched"] == 0


def test_feature_by_id_with_etag_of_its_revision(client: TestClient) -> None:
    listed = items(client, "grids", code=f"{COMMUNITY_1}002")["features"][0]
    url = f"/api/v1/collections/grids/items/{listed['id']}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    assert response.headers["etag"] == '"1"'
    feature = response.json()
    assert feature["id"] == listed["id"] and feature["properties"]["code"] == f"{COMMUNITY_1}002"
    assert client.get(url, headers={"If-None-Match": '"1"'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"7"'}).status_code == 200
    assert client.get(f"/api/v1/collections/boundaries/items/{listed['id']}").status_code == 200
    assert_problem(client.get(f"/api/v1/collections/communities/items/{listed['id']}"), 404)
    assert_problem(client.get("/api/v1/collections/grids/items/no-such-feature"), 404)


def test_gcj02_output_is_shifted_like_amap_tiles(client: TestClient) -> None:
    code = f"{COMMUNITY_1}004"
    wgs = shapely.geometry.shape(items(client, "grids", code=code)["features"][0]["geometry"])
    gcj_body = items(client, "grids", code=code, crs="gcj02")
    assert gcj_body["crs"] == "gcj02"
    gcj = shapely.geometry.shape(gcj_body["features"][0]["geometry"])
    wgs_coords = shapely.get_coordinates(wgs)
    lon, lat = from_wgs84(wgs_coords[:, 0], wgs_coords[:, 1], Datum.GCJ02)
    coords = shapely.get_coordinates(gcj)
    assert list(coords[:, 0]) == pytest.approx(list(lon), abs=1e-9)
    assert list(coords[:, 1]) == pytest.approx(list(lat), abs=1e-9)
    # The shift near Shouning is a few hundred metres, so the shape no longer sits where it was.
    assert not gcj.intersects(wgs)


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"bbox": "1,2,3"}, "four numbers"),
        ({"bbox": "a,b,c,d"}, "four numbers"),
        ({"bbox": "119.6,27.4,119.5,27.5"}, "minx"),
        ({"bbox": "0,0,200,10"}, "outside"),
        ({"bbox": "nan,0,1,1"}, "finite"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"crs": "mars2000"}, "crs"),
        ({"level": "county"}, "level"),
        ({"version": "latest"}, "version"),
    ],
)
def test_bad_parameters_are_400_problems(client: TestClient, params: dict[str, str], mentions: str) -> None:
    body = assert_problem(client.get("/api/v1/collections/grids/items", params=params), 400)
    assert mentions in body["detail"]


def test_level_outside_the_collection_is_a_400(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/collections/grids/items", params={"level": "community"}), 400)


def test_unknown_collection_and_version_are_404_problems(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/collections/villages/items"), 404)
    assert "communities, grids, microgrids" in body["detail"]
    assert_problem(client.get("/api/v1/collections/villages"), 404)
    body = assert_problem(client.get("/api/v1/collections/grids/items", params={"version": 99}), 404)
    assert "99" in body["detail"]


def test_q_pages_once_through_a_code_that_names_contain_too(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    # Every feature named after its code: q = a grid's code finds it exactly, and by name its microgrids.
    features = region_features()
    for feature in features:
        feature["properties"]["name"] = f"{feature['properties']['code']}号"
    document = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    files = {"file": ("named.geojson", document, "application/geo+json")}
    draft = client.post("/api/v1/boundary-sets/default/versions", files=files, headers=planner_headers).json()
    grid = f"{COMMUNITY_1}002"
    params: dict[str, Any] = {"q": grid, "version": draft["id"], "limit": 1}
    seen = []
    for offset in range(4):
        response = client.get(
            "/api/v1/collections/boundaries/items", params={**params, "offset": offset}, headers=planner_headers
        )
        body = response.json()
        assert body["numberMatched"] == 3
        seen += codes(body)
    assert seen == [grid, f"{grid}01", f"{grid}02"]
    whole = client.get("/api/v1/collections/boundaries/items", params={**params, "limit": 10}, headers=planner_headers)
    assert codes(whole.json()) == seen
