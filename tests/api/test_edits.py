"""Editing drafts over HTTP, on both backends: start a draft, edit (checked, with If-Match), undo, redo, history,
replay, two planners at once, publish after edits, and who may do it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely

from gridmap.geo.editing.model import EditOutcome, FeatureChange
from gridmap.services import editing as editing_service
from gridmap.services.check import check_boundaries
from gridmap.store.account_store import Role
from gridmap.store.interface import BoundaryStore
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN
from tests.boundary_builders import LAT0, LON0, STEP, cell

VERSIONS = "/api/v1/boundary-sets/default/versions"
COMMUNITY = f"{TOWN}001"


def point(col: float, row: float) -> list[float]:
    """The WGS-84 point `col` grid steps east and `row` north of the region's origin."""
    return [LON0 + col * STEP, LAT0 + row * STEP]


def store_of(client: TestClient) -> BoundaryStore:
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    return store


@pytest.fixture
def planner(client: TestClient) -> dict[str, str]:
    return bearer(add_token(client, "张发敏", Role.PLANNER))


@pytest.fixture
def draft(client: TestClient, planner: dict[str, str]) -> int:
    """A draft started from the published region (version 1), as version 2."""
    response = client.post(f"{VERSIONS}/1/drafts", json={"reason": "reshape"}, headers=planner)
    assert response.status_code == 201, response.text
    draft_id: int = response.json()["id"]
    return draft_id


def features(client: TestClient, version_id: int) -> dict[str, Any]:
    """code -> the stored feature."""
    return {f.code: f for f in store_of(client).features(version_id).features}


def snapshot(client: TestClient, version_id: int) -> set[tuple[Any, ...]]:
    """Everything stored of a version's features, byte for byte."""
    return {
        (f.feature_id, f.revision, json.dumps(f.properties(), sort_keys=True), f.geometry.wkb)
        for f in store_of(client).features(version_id).features
    }


def if_match(*found: Any) -> dict[str, str]:
    return {"If-Match": ", ".join(f'"{f.feature_id}@{f.revision}"' for f in found)}


def edit(client: TestClient, version_id: int, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"{VERSIONS}/{version_id}/edits", json=body, headers=headers)


def rename(grid: Any, name: str) -> dict[str, Any]:
    return {"op": "attributes", "feature": grid.feature_id, "values": {"name": name}, "reason": "rename"}


def test_a_draft_keeps_the_feature_ids(client: TestClient, planner: dict[str, str]) -> None:
    response = client.post(f"{VERSIONS}/1/drafts", json={"reason": "new plan"}, headers=planner)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["based_on"], body["edit_seq"], body["reason"]) == ("draft", 1, 0, "new plan")
    assert response.headers["location"].endswith(f"/versions/{body['id']}")
    assert snapshot(client, body["id"]) == snapshot(client, 1)


def test_an_attributes_edit_is_stored_and_listed(client: TestClient, planner: dict[str, str], draft: int) -> None:
    grid = features(client, draft)[f"{COMMUNITY}001"]

    response = edit(client, draft, rename(grid, "新网格"), {**planner, **if_match(grid)})

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"1"'
    body = response.json()
    [changed] = body["features"]
    assert changed["id"] == grid.feature_id
    assert changed["properties"]["name"] == "新网格" and changed["properties"]["revision"] == grid.revision + 1
    assert body["edit"]["op"] == "attributes" and body["edit"]["who"] == "张发敏"
    history = client.get(f"{VERSIONS}/{draft}/edits", headers=planner)
    assert history.headers["etag"] == '"1"'
    listed = history.json()
    assert (listed["edit_seq"], listed["can_undo"], listed["can_redo"]) == (1, True, False)
    assert listed["edits"][0]["features"] == [grid.feature_id] and listed["edits"][0]["why"] == "rename"


def test_a_shared_vertex_moves_in_every_feature_and_level(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    before = features(client, draft)
    sharing = [f for f in before.values() if f.geometry.boundary.distance(shapely.Point(point(1, 1))) < 1e-9]
    assert len(sharing) == 8  # four grids and four microgrids meet at the community's centre

    body = {"op": "move_vertex", "at": point(1, 1), "to": point(1.1, 1.15)}
    response = edit(client, draft, body, {**planner, **if_match(*sharing)})

    assert response.status_code == 200, response.text
    moved = {f["id"] for f in response.json()["features"]}
    assert moved == {f.feature_id for f in sharing}
    after = features(client, draft)
    new_vertex = shapely.Point(point(1.1, 1.15))
    for code in (f"{COMMUNITY}001", f"{COMMUNITY}002"):  # both neighbours hold the identical new border
        assert after[code].geometry.boundary.distance(new_vertex) < 1e-12
    shared = after[f"{COMMUNITY}001"].geometry.intersection(after[f"{COMMUNITY}002"].geometry)
    assert shared.length > 0 and shared.area == 0
    assert check_boundaries(store_of(client).version_frame(draft)).ok


def test_a_refused_edit_changes_nothing(client: TestClient, planner: dict[str, str], draft: int) -> None:
    stored = snapshot(client, draft)
    grids = features(client, draft)

    # The community's centre dragged across the neighbours' vertices: their borders would cross themselves.
    body = {"op": "move_vertex", "at": point(1, 1), "to": point(1.7, 1.2)}
    refused = assert_problem(edit(client, draft, body, {**planner, **if_match(*grids.values())}), 422)
    # An outcome (as a file import brings) stretching grid 001 over grid 002: the check's overlap refuses it.
    first = grids[f"{COMMUNITY}001"]
    stretched = EditOutcome(changed=[FeatureChange(first.feature_id, geometry=cell(0, 1, 1.4, 1))])
    with pytest.raises(editing_service.EditRejected) as rejected:
        editing_service.apply_outcome(
            store_of(client), draft, stretched, op_name="import", params={}, who="张发敏", why="test", expected={}
        )

    assert "cross" in refused["detail"] and refused["problems"] == []
    overlaps = [p for p in rejected.value.problems if p["kind"] == "overlap"]
    assert overlaps and overlaps[0]["geometry"]["type"] == "Polygon"
    assert set(overlaps[0]["codes"]) == {f"{COMMUNITY}001", f"{COMMUNITY}002"}
    assert snapshot(client, draft) == stored
    assert client.get(f"{VERSIONS}/{draft}/edits", headers=planner).json()["edits"] == []


def test_undo_redo_and_replay(client: TestClient, planner: dict[str, str], draft: int) -> None:
    grid = features(client, draft)[f"{COMMUNITY}001"]
    assert edit(client, draft, rename(grid, "一"), {**planner, **if_match(grid)}).status_code == 200
    sharing = [
        f for f in features(client, draft).values() if f.geometry.boundary.distance(shapely.Point(point(1, 1))) < 1e-9
    ]
    moved = edit(
        client,
        draft,
        {"op": "move_vertex", "at": point(1, 1), "to": point(0.9, 0.95)},
        {**planner, **if_match(*sharing)},
    )
    assert moved.status_code == 200, moved.text
    edited = snapshot(client, draft)

    undone = client.post(f"{VERSIONS}/{draft}/edits/undo", headers=planner)
    assert undone.status_code == 200, undone.text
    assert undone.json()["edit"]["state"] == "undone" and undone.headers["etag"] == '"3"'
    assert features(client, draft)[f"{COMMUNITY}002"].geometry.equals_exact(
        features(client, 2)[f"{COMMUNITY}002"].geometry, 0
    )
    assert client.get(f"{VERSIONS}/{draft}/edits", headers=planner).json()["can_redo"] is True

    redone = client.post(f"{VERSIONS}/{draft}/edits/redo", headers=planner)
    assert redone.status_code == 200, redone.text
    assert {(fid, props, wkb) for fid, _rev, props, wkb in snapshot(client, draft)} == {
        (fid, props, wkb) for fid, _rev, props, wkb in edited
    }
    assert_problem(client.post(f"{VERSIONS}/{draft}/edits/redo", headers=planner), 409)

    replayed = editing_service.replay(store_of(client), draft)
    stored = store_of(client).version_frame(draft)
    assert list(replayed["code"]) == list(stored["code"])
    assert list(replayed["feature_id"]) == list(stored["feature_id"])
    assert list(replayed["name"]) == list(stored["name"])
    assert [g.wkb for g in replayed.geometry] == [g.wkb for g in stored.geometry]


def test_two_planners_editing_at_once(client: TestClient, planner: dict[str, str], draft: int) -> None:
    other = bearer(add_token(client, "李秀英", Role.PLANNER))
    grids = features(client, draft)
    first, second = grids[f"{COMMUNITY}001"], grids[f"{COMMUNITY}002"]

    assert edit(client, draft, rename(first, "甲"), {**planner, **if_match(first)}).status_code == 200
    assert edit(client, draft, rename(second, "乙"), {**other, **if_match(second)}).status_code == 200
    conflict = assert_problem(edit(client, draft, rename(first, "丙"), {**other, **if_match(first)}), 412)

    [named] = conflict["conflicts"]
    assert (named["feature_id"], named["code"], named["revision"]) == (first.feature_id, first.code, first.revision + 1)
    assert (named["changed_by"], named["op"]) == ("张发敏", "attributes")
    assert named["changed_at"] and named["geometry"]["type"] == "Polygon"
    assert features(client, draft)[first.code].name == "甲"


def test_an_edit_must_name_its_revisions(client: TestClient, planner: dict[str, str], draft: int) -> None:
    grid = features(client, draft)[f"{COMMUNITY}001"]
    assert "If-Match" in assert_problem(edit(client, draft, rename(grid, "x"), planner), 428)["detail"]
    assert_problem(edit(client, draft, rename(grid, "x"), {**planner, "If-Match": '"no-revision"'}), 400)


def test_publish_after_edits(client: TestClient, planner: dict[str, str], draft: int) -> None:
    grid = features(client, draft)[f"{COMMUNITY}001"]
    assert edit(client, draft, rename(grid, "新"), {**planner, **if_match(grid)}).status_code == 200

    published = client.post(f"{VERSIONS}/{draft}/publish", json={"reason": "edited"}, headers=planner)

    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    assert_problem(edit(client, draft, rename(grid, "再"), {**planner, **if_match(grid)}), 409)


def test_only_planners_edit(client: TestClient, draft: int) -> None:
    grid = features(client, draft)[f"{COMMUNITY}001"]
    for role in (Role.VIEWER, Role.WORKER):
        headers = bearer(add_token(client, f"user-{role.value}", role))
        assert_problem(edit(client, draft, rename(grid, "x"), {**headers, **if_match(grid)}), 403)
        assert_problem(client.post(f"{VERSIONS}/1/drafts", json={"reason": "x"}, headers=headers), 403)
        assert_problem(client.post(f"{VERSIONS}/{draft}/edits/undo", headers=headers), 403)
    assert_problem(edit(client, draft, rename(grid, "x"), if_match(grid)), 401)
    assert_problem(client.get(f"{VERSIONS}/{draft}/edits"), 401)
