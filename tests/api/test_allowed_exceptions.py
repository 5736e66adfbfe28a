"""/boundary-sets/{name}/allowed-exceptions: list (readers), add and remove (planners), and a registered river gap
that lets a draft be published, listed as allowed in its validation."""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import mapping

from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN, region_features
from tests.boundary_builders import cell

ALLOWED = "/api/v1/boundary-sets/default/allowed-exceptions"
VERSIONS = "/api/v1/boundary-sets/default/versions"
RIVER = cell(0, 1, 0.1, 1)  # a 20 m wide strip along the west side of 大同's grid 001


def river_body(**changes: Any) -> dict[str, Any]:
    return {"kind": "gap", "geometry": mapping(cell(-0.01, 0.99, 0.12, 1.02)), "reason": "蟾溪 river", **changes}


def region_with_a_river() -> bytes:
    """The test region with grid 001 of community 1 (and its west microgrid) pulled back from the river."""
    features = region_features()
    for feature in features:
        code = feature["properties"]["code"]
        if code == f"{TOWN}001001":
            feature["geometry"] = mapping(cell(0.1, 1, 0.9, 1))
        elif code == f"{TOWN}00100101":
            feature["geometry"] = mapping(cell(0.1, 1, 0.4, 1))
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def test_planners_add_list_and_remove(client: TestClient, planner_headers: dict[str, str]) -> None:
    assert client.get(ALLOWED).json() == {"type": "FeatureCollection", "boundary_set": "default", "features": []}
    response = client.post(ALLOWED, json=river_body(), headers=planner_headers)
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["type"] == "Feature" and added["geometry"]["type"] == "Polygon"
    assert added["properties"]["kind"] == "gap" and added["properties"]["allowed_by"] == "规划员"

    public = client.get(ALLOWED).json()["features"]
    assert [f["id"] for f in public] == [added["id"]] and "allowed_by" not in public[0]["properties"]
    signed_in = client.get(ALLOWED, headers=planner_headers).json()["features"]
    assert signed_in[0]["properties"]["allowed_by"] == "规划员"

    removed = client.delete(f"{ALLOWED}/{added['id']}", headers=planner_headers)
    assert removed.status_code == 204 and removed.content == b""
    assert client.get(ALLOWED).json()["features"] == []
    assert_problem(client.delete(f"{ALLOWED}/{added['id']}", headers=planner_headers), 404)


def test_viewers_and_workers_may_read_but_not_write(client: TestClient, planner_headers: dict[str, str]) -> None:
    added = client.post(ALLOWED, json=river_body(), headers=planner_headers).json()
    assert_problem(client.post(ALLOWED, json=river_body()), 401)
    for role in (Role.VIEWER, Role.WORKER):
        headers = bearer(add_token(client, f"{role.value}用户", role))
        assert client.get(ALLOWED, headers=headers).status_code == 200
        assert_problem(client.post(ALLOWED, json=river_body(), headers=headers), 403)
        assert_problem(client.delete(f"{ALLOWED}/{added['id']}", headers=headers), 403)
    assert len(client.get(ALLOWED).json()["features"]) == 1


def test_bad_exceptions_are_4xx_problems_and_store_nothing(client: TestClient, planner_headers: dict[str, str]) -> None:
    point = {"type": "Point", "coordinates": [119.5, 27.45]}
    for body, status, words in (
        (river_body(geometry=point), 422, "Polygon or MultiPolygon"),
        (river_body(geometry={"type": "Polygon", "coordinates": [[1, 2]]}), 422, "not a GeoJSON geometry"),
        (river_body(codes=[f"{TOWN}001001"]), 422, "a gap exception takes none"),
        (river_body(reason=""), 400, "reason"),
        (river_body(kind="hole"), 400, "kind"),
    ):
        problem = assert_problem(client.post(ALLOWED, json=body, headers=planner_headers), status)
        assert words in json.dumps(problem, ensure_ascii=False)
    assert_problem(
        client.post("/api/v1/boundary-sets/nowhere/allowed-exceptions", json=river_body(), headers=planner_headers), 404
    )
    assert_problem(client.get("/api/v1/boundary-sets/nowhere/allowed-exceptions"), 404)
    assert client.get(ALLOWED).json()["features"] == []


def test_a_registered_river_gap_is_listed_as_allowed_and_lets_the_draft_be_published(
    client: TestClient, planner_headers: dict[str, str]
) -> None:
    files = {"file": ("river.geojson", region_with_a_river(), "application/geo+json")}
    assert client.post(VERSIONS, files=files, headers=planner_headers).status_code == 201
    report = client.get(f"{VERSIONS}/2/validation", headers=planner_headers).json()
    assert report["ok"] is False
    assert [p["severity"] for p in report["problems"] if p["kind"] == "gap"] == ["error"]
    assert_problem(client.post(f"{VERSIONS}/2/publish", headers=planner_headers), 422)

    exception = client.post(ALLOWED, json=river_body(), headers=planner_headers).json()
    report = client.get(f"{VERSIONS}/2/validation", headers=planner_headers).json()
    assert report["ok"] is True and report["summary"]["allowed"] == 1
    [gap] = [p for p in report["problems"] if p["kind"] == "gap"]
    assert gap["severity"] == "info" and gap["codes"] == [f"{TOWN}001"]
    assert gap["details"]["allowed_by"] == {"id": exception["id"], "kind": "gap", "reason": "蟾溪 river"}

    published = client.post(f"{VERSIONS}/2/publish", json={"reason": "river kept"}, headers=planner_headers)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
