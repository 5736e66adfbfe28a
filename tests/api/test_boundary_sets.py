"""Boundary sets over HTTP: upload, list, validate, publish, diff, export; auth and limits on the way."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from shapely.geometry import mapping, shape

from gridmap.geo.crs import Datum, from_wgs84, to_wgs84
from gridmap.store.account_store import Role
from tests.api.conftest import AppFactory, TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN, region_features
from tests.boundary_builders import LAT0, LON0, STEP, cell

VERSIONS = "/api/v1/boundary-sets/default/versions"


def geojson_bytes(features: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def renamed_region() -> list[dict[str, Any]]:
    """The test region with grid 001 of community 1 renamed (a valid new version)."""
    features = region_features()
    for feature in features:
        if feature["properties"]["code"] == f"{TOWN}001001":
            feature["properties"]["name"] = "大同新网格"
    return features


def overlapping_region() -> list[dict[str, Any]]:
    """The test region with grid 002 of community 1 stretched west over grid 001 (fails the check)."""
    features = region_features()
    for feature in features:
        if feature["properties"]["code"] == f"{TOWN}001002":
            feature["geometry"] = mapping(cell(0.5, 1, 1.5, 1))
    return features


def upload(
    client: TestClient, headers: dict[str, str], content: bytes, filename: str = "grids.geojson", **form: str
) -> Any:
    files = {"file": (filename, content, "application/geo+json")}
    return client.post(VERSIONS, files=files, data=form, headers=headers)


def versions(client: TestClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get(VERSIONS).json()["versions"]
    return listed


def test_sample_region_is_published_on_first_start(client: TestClient) -> None:
    sets = client.get("/api/v1/boundary-sets").json()["boundary_sets"]
    assert [(s["name"], s["published_version"]) for s in sets] == [("default", 1)]
    (version,) = versions(client)
    assert version["status"] == "published" and version["feature_count"] == 26


def test_upload_validate_publish_and_diff(client: TestClient, planner_headers: dict[str, str]) -> None:
    response = upload(client, planner_headers, geojson_bytes(renamed_region()), reason="2025 survey")
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["status"] == "draft" and draft["id"] == 2 and draft["feature_count"] == 26
    assert draft["created_by"] == "规划员" and draft["reason"] == "2025 survey"
    assert response.headers["location"].endswith("/boundary-sets/default/versions/2")

    report = client.get(f"{VERSIONS}/2/validation", headers=planner_headers).json()
    assert report["ok"] is True and report["summary"]["features"] == 26

    published = client.post(f"{VERSIONS}/2/publish", json={"reason": "survey done"}, headers=planner_headers)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published" and published.json()["publish_reason"] == "survey done"
    assert [v["status"] for v in versions(client)] == ["retired", "published"]

    # Readers now get version 2 by default; version 1 stays readable as history.
    grid = client.get("/api/v1/collections/grids/items", params={"code": f"{TOWN}001001"}).json()
    assert grid["version"]["id"] == 2 and grid["features"][0]["properties"]["name"] == "大同新网格"
    assert grid["features"][0]["properties"]["revision"] == 2
    old = client.get("/api/v1/collections/grids/items", params={"code": f"{TOWN}001001", "version": 1}).json()
    assert old["features"][0]["properties"]["name"] == "大同第1网格"

    diff = client.get("/api/v1/boundary-sets/default/diff", params={"from": 1, "to": 2}).json()
    assert [c["code"] for c in diff["changed"]] == [f"{TOWN}001001"]
    assert diff["changed"][0]["changes"]["name"] == {"before": "大同第1网格", "after": "大同新网格"}
    assert diff["added"] == diff["removed"] == diff["reshaped"] == []


def test_publish_is_refused_with_the_report_when_the_check_fails(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    assert upload(client, planner_headers, geojson_bytes(overlapping_region())).status_code == 201
    report = client.get(f"{VERSIONS}/2/validation", headers=planner_headers).json()
    assert report["ok"] is False
    assert any(p["kind"] == "overlap" and p["geometry"] for p in report["problems"])

    body = assert_problem(client.post(f"{VERSIONS}/2/publish", headers=planner_headers), 422)
    assert "nothing was published" in body["detail"]
    assert body["report"]["ok"] is False
    assert any(p["kind"] == "overlap" for p in body["report"]["problems"])
    assert [v["status"] for v in versions(client)] == ["published", "draft"]
    assert client.get("/api/v1/collections/grids/items").json()["version"]["id"] == 1


def test_publishing_a_published_version_is_a_409(client: TestClient, planner_headers: dict[str, str]) -> None:
    assert_problem(client.post(f"{VERSIONS}/1/publish", headers=planner_headers), 409)


def test_validation_geometries_can_be_shifted_for_amap_tiles(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    upload(client, planner_headers, geojson_bytes(overlapping_region()))
    wgs = client.get(f"{VERSIONS}/2/validation", headers=planner_headers).json()
    gcj = client.get(f"{VERSIONS}/2/validation", params={"crs": "gcj02"}, headers=planner_headers).json()
    first = next(i for i, p in enumerate(wgs["problems"]) if p["geometry"])
    assert wgs["problems"][first]["geometry"] != gcj["problems"][first]["geometry"]
    assert wgs["problems"][first]["message"] == gcj["problems"][first]["message"]


def test_writes_need_a_planner_token(client: TestClient) -> None:
    content = geojson_bytes(renamed_region())
    body = assert_problem(upload(client, {}, content), 401)
    assert "token" in body["detail"]
    assert upload(client, {}, content).headers["www-authenticate"].startswith("Bearer")
    assert_problem(upload(client, bearer("gm_not-a-token"), content), 401)
    viewer = bearer(add_token(client, "居民", Role.VIEWER))
    worker = bearer(add_token(client, "网格员", Role.WORKER))
    assert "planner" in assert_problem(upload(client, viewer, content), 403)["detail"]
    assert_problem(upload(client, worker, content), 403)
    assert_problem(client.post(f"{VERSIONS}/1/publish", headers=worker), 403)
    admin = bearer(add_token(client, "管理员", Role.ADMIN))
    assert upload(client, admin, content).status_code == 201
    assert [v["id"] for v in versions(client)] == [1, 2]


def test_drafts_need_a_token_to_read(client: TestClient, planner_headers: dict[str, str]) -> None:
    upload(client, planner_headers, geojson_bytes(renamed_region()))
    assert_problem(client.get("/api/v1/collections/grids/items", params={"version": 2}), 401)
    assert_problem(client.get(f"{VERSIONS}/2/validation"), 401)
    viewer = bearer(add_token(client, "居民", Role.VIEWER))
    assert client.get("/api/v1/collections/grids/items", params={"version": 2}, headers=viewer).status_code == 200


def test_without_public_read_every_read_needs_a_token(make_client: AppFactory) -> None:
    client = make_client(public_read=False)
    for url in ("/api/v1/collections/grids/items", "/api/v1/locate?lon=119.501&lat=27.451", VERSIONS):
        assert_problem(client.get(url), 401)
    viewer = bearer(add_token(client, "居民", Role.VIEWER))
    assert client.get("/api/v1/collections/grids/items", headers=viewer).json()["numberMatched"] == 8
    assert client.get("/api/v1/config").json()["public_read"] is False


def test_upload_over_the_size_limit_is_a_413_problem(make_client: AppFactory) -> None:
    client = make_client(max_upload_bytes=4096)
    headers = bearer(add_token(client, "规划员", Role.PLANNER))
    content = geojson_bytes(renamed_region())
    assert len(content) > 4096
    body = assert_problem(upload(client, headers, content), 413)
    assert "4,096" in body["detail"]
    assert [v["id"] for v in versions(client)] == [1]


def test_upload_without_content_length_is_counted_too(make_client: AppFactory) -> None:
    client = make_client(max_upload_bytes=4096)
    headers = bearer(add_token(client, "规划员", Role.PLANNER))
    boundary = "gridmapboundary"
    payload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="g.geojson"\r\n\r\n'.encode()
        + geojson_bytes(renamed_region())
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks() -> Any:
        for start in range(0, len(payload), 1024):
            yield payload[start : start + 1024]

    response = client.post(
        VERSIONS, content=chunks(), headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert_problem(response, 413)
    assert [v["id"] for v in versions(client)] == [1]


@pytest.mark.parametrize(
    ("filename", "content", "mentions"),
    [
        ("broken.geojson", b'{"type": "FeatureCollection", "features": [', "broken.geojson"),
        ("notes.txt", b"hello", "notes.txt"),
        ("list.geojson", b'{"type": "FeatureCollection", "features": {}}', "list.geojson"),
        (
            "point.geojson",
            geojson_bytes(
                [{"type": "Feature", "properties": {"code": "x"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]
            ),
            "x",
        ),
        ("bad.zip", b"PK\x03\x04 not really a zip", "bad.zip"),
    ],
)
def test_malformed_upload_is_a_4xx_naming_the_file_and_changes_nothing(
    client: TestClient, planner_headers: dict[str, str], filename: str, content: bytes, mentions: str
) -> None:
    response = upload(client, planner_headers, content, filename=filename)
    body = assert_problem(response, 422)
    assert mentions in body["detail"]
    assert "gridmap-upload-" not in body["detail"]  # no server paths in messages
    assert [v["id"] for v in versions(client)] == [1]
    assert client.get("/api/v1/collections/grids/items").json()["numberMatched"] == 8


def test_a_feature_that_cannot_be_stored_is_named(client: TestClient, planner_headers: dict[str, str]) -> None:
    features = region_features()
    features[3]["geometry"] = None
    body = assert_problem(upload(client, planner_headers, geojson_bytes(features)), 422)
    assert features[3]["properties"]["code"] in body["detail"] or "feature 3" in body["detail"]
    assert [v["id"] for v in versions(client)] == [1]


def test_zipped_shapefile_round_trip(client: TestClient, planner_headers: dict[str, str]) -> None:
    response = client.get(f"{VERSIONS}/1/export", params={"format": "shp"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="default-v1.zip"' in response.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"default-v1.shp", "default-v1.dbf", "default-v1.shx"} <= set(names)
    again = upload(client, planner_headers, response.content, filename="default-v1.zip")
    assert again.status_code == 201, again.text
    assert again.json()["feature_count"] == 26


def test_export_geojson_and_gpkg(client: TestClient) -> None:
    geojson = client.get(f"{VERSIONS}/1/export")
    assert geojson.status_code == 200 and geojson.headers["content-type"] == "application/geo+json"
    assert len(geojson.json()["features"]) == 26
    gpkg = client.get(f"{VERSIONS}/1/export", params={"format": "gpkg"})
    assert gpkg.status_code == 200 and gpkg.content[:16] == b"SQLite format 3\x00"
    assert_problem(client.get(f"{VERSIONS}/1/export", params={"format": "kml"}), 400)


def test_unknown_set_and_version_are_404_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/boundary-sets/nosuchset/versions"), 404)
    assert_problem(client.get(f"{VERSIONS}/9"), 404)
    assert_problem(client.get(f"{VERSIONS}/9/validation"), 404)
    assert_problem(client.get("/api/v1/boundary-sets/default/diff", params={"from": 1, "to": 9}), 404)
    assert_problem(client.get("/api/v1/boundary-sets/default/diff", params={"from": 1}), 400)


def test_versions_of_another_set_are_not_reachable_through_this_one(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    files = {"file": ("g.geojson", geojson_bytes(renamed_region()), "application/geo+json")}
    other = client.post("/api/v1/boundary-sets/aoyang/versions", files=files, headers=planner_headers)
    assert other.status_code == 201 and other.json()["set"] == "aoyang"
    assert_problem(client.get(f"{VERSIONS}/{other.json()['id']}"), 404)
    assert client.get(f"/api/v1/boundary-sets/aoyang/versions/{other.json()['id']}").status_code == 200


def test_upload_in_gcj02_is_stored_in_wgs84(client: TestClient, planner_headers: dict[str, str]) -> None:
    def to_gcj02(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(from_wgs84(coords[:, 0], coords[:, 1], Datum.GCJ02))

    features = renamed_region()
    for feature in features:
        feature["geometry"] = mapping(shapely.transform(shape(feature["geometry"]), to_gcj02))
    response = upload(client, planner_headers, geojson_bytes(features), crs="gcj02")
    assert response.status_code == 201, response.text
    params = {"lon": LON0 + 0.5 * STEP, "lat": LAT0 + 1.5 * STEP, "version": response.json()["id"]}
    located = client.get("/api/v1/locate", params=params, headers=planner_headers).json()
    assert located["grid"]["code"] == f"{TOWN}001001"


def test_validation_gives_locations_in_wgs84_and_in_the_asked_datum(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    upload(client, planner_headers, geojson_bytes(overlapping_region()))
    wgs = client.get(f"{VERSIONS}/2/validation", headers=planner_headers).json()
    gcj = client.get(f"{VERSIONS}/2/validation", params={"crs": "gcj02"}, headers=planner_headers).json()
    assert (wgs["summary"]["input_crs"], gcj["summary"]["input_crs"]) == ("wgs84", "gcj02")
    overlap = next(i for i, p in enumerate(wgs["problems"]) if p["kind"] == "overlap")
    plain, shifted = wgs["problems"][overlap], gcj["problems"][overlap]
    assert plain["location_input"] == plain["location"]
    assert shifted["location"] == pytest.approx(plain["location"], abs=1e-7)
    expected = [float(v) for v in from_wgs84(*plain["location"], Datum.GCJ02)]
    assert shifted["location_input"] == pytest.approx(expected, abs=1e-7)
    # the shifted geometry and the input location agree: both are GCJ-02
    assert shape(shifted["geometry"]).distance(shapely.Point(shifted["location_input"])) < 1e-6


def in_gcj02(geometry: Any) -> Any:
    """A WGS-84 shape with its vertices in GCJ-02, as an Amap export has them."""
    return shapely.transform(geometry, lambda c: np.column_stack(from_wgs84(c[:, 0], c[:, 1], Datum.GCJ02)))


def test_upload_read_problems_are_located_in_the_uploads_crs(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    features = renamed_region()
    for feature in features:
        feature["geometry"] = mapping(in_gcj02(shape(feature["geometry"])))
    ring = [list(xy) for xy in in_gcj02(cell(9, 9)).exterior.coords][:-1]  # left open: reported while reading
    properties = {"code": f"{TOWN}009", "name": "开口", "level": "community", "parent": ""}
    features.append(
        {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    )
    response = upload(client, planner_headers, geojson_bytes(features), crs="gcj02")
    assert response.status_code == 201, response.text
    (problem,) = response.json()["read_problems"]
    assert "not closed" in problem["message"]
    assert problem["location_input"] == pytest.approx(ring[-1], abs=1e-9)  # the file's own vertex
    assert problem["location"] == pytest.approx([float(v) for v in to_wgs84(*ring[-1], Datum.GCJ02)], abs=1e-9)
