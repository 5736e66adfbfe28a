"""Every area and vertex operation over HTTP, on both backends, on the test region (tests/api/region.py).

Each accepted edit leaves a draft that passes the whole check; each refused one (422) leaves the draft byte for
byte as it was and records nothing.
"""

# ruff: noqa: F811 (the tests take test_edits' `draft` and `planner` fixtures, imported below, as arguments)
from __future__ import annotations

from typing import Any

import pytest
import shapely

from gridmap.services import draft_status
from gridmap.services.check import check_boundaries
from gridmap.services.local_frames import LocalFrames, local_frames
from gridmap.store.account_store import Role
from gridmap.store.edit_store import EditRequest
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import WORKERS, grid_centre
from tests.api.test_allowed_exceptions import ALLOWED, region_with_a_river, river_body
from tests.api.test_edits import (  # noqa: F401 (draft and planner are fixtures)
    COMMUNITY,
    VERSIONS,
    draft,
    edit,
    features,
    if_match,
    planner,
    point,
    snapshot,
    store_of,
)
from tests.api.test_incident_map import stored_incident
from tests.boundary_builders import STEP, cell
from tests.store.test_contract_household_impact import impact_households

# Metres in one grid step at the region's latitude (for plausible areas; the check measures more exactly).
STEP_Y_M = STEP * 111_195.0
STEP_X_M = STEP_Y_M * 0.88741  # cos(27.45°)
GRID = {n: f"{COMMUNITY}{n:03d}" for n in range(1, 6)}


def line(*points: list[float]) -> dict[str, Any]:
    """A GeoJSON line through the points."""
    return {"type": "LineString", "coordinates": list(points)}


def everyone(client: TestClient, draft: int) -> dict[str, str]:
    """If-Match naming every feature of the draft at its revision."""
    return if_match(*features(client, draft).values())


def accepted(client: TestClient, draft: int, body: dict[str, Any], planner: dict[str, str]) -> dict[str, Any]:
    """Apply the edit, assert it is stored and that the whole draft passes the check; its answer."""
    response = edit(client, draft, body, {**planner, **everyone(client, draft)})
    assert response.status_code == 200, response.text
    report = check_boundaries(store_of(client).version_frame(draft))
    assert report.ok, [p.message for p in report.problems if p.severity.value == "error"]
    answer: dict[str, Any] = response.json()
    # The draft is clean, so an error in the answer's neighbourhood check would be false (a family loaded in part).
    assert [p["message"] for p in answer["problems"] if p["severity"] == "error"] == []
    return answer


def refused(client: TestClient, draft: int, body: dict[str, Any], planner: dict[str, str]) -> dict[str, Any]:
    """Apply the edit, assert it is refused with 422 and that nothing at all was stored; the problem."""
    stored = snapshot(client, draft)
    seq = client.get(f"{VERSIONS}/{draft}/edits", headers=planner).json()["edit_seq"]
    problem = assert_problem(edit(client, draft, body, {**planner, **everyone(client, draft)}), 422)
    assert snapshot(client, draft) == stored
    assert client.get(f"{VERSIONS}/{draft}/edits", headers=planner).json()["edit_seq"] == seq
    return problem


def shared_border(first: Any, second: Any) -> Any:
    """The line two features' borders share (merged)."""
    return shapely.line_merge(shapely.intersection(first.geometry.boundary, second.geometry.boundary))


def same_line(found: Any, *points: list[float]) -> bool:
    """Whether a line runs through exactly these vertices, either way (to 1e-9 degrees: points are computed)."""
    return bool(found.normalize().equals_exact(shapely.LineString(points).normalize(), 1e-9))


def test_reshape_border_moves_both_neighbours_onto_the_drawn_line(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    drawn = line(point(1, 1.8), point(1.2, 1.5), point(1, 1.2))
    before = features(client, draft)
    body = {"op": "reshape_border", "first": before[GRID[1]].feature_id, "second": before[GRID[2]].feature_id}

    answer = accepted(client, draft, {**body, "line": drawn}, planner)

    after = features(client, draft)
    first, second = after[GRID[1]], after[GRID[2]]
    assert first.geometry.intersection(second.geometry).area == 0
    border = shared_border(first, second)  # the identical new border: the old one's ends and the drawn bump
    assert same_line(border, point(1, 2), point(1, 1.8), point(1.2, 1.5), point(1, 1.2), point(1, 1)), border.wkt
    triangle_m2 = 0.5 * (0.6 * STEP_Y_M) * (0.2 * STEP_X_M)
    assert answer["area_moved_m2"] == pytest.approx(triangle_m2, rel=0.01)
    assert answer["edit"]["area_moved_m2"] == answer["area_moved_m2"]
    assert first.geometry.area - before[GRID[1]].geometry.area == pytest.approx(
        before[GRID[2]].geometry.area - second.geometry.area, rel=1e-9
    )
    # The microgrids followed: the bump left 002's west microgrid and joined 001's east one.
    assert after[f"{GRID[1]}02"].geometry.covers(shapely.Point(point(1.1, 1.5)))
    assert not after[f"{GRID[2]}01"].geometry.intersects(shapely.Point(point(1.1, 1.5)))


def test_reshape_border_along_a_line_that_leaves_the_neighbours_is_refused(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    grids = features(client, draft)
    body = {
        "op": "reshape_border",
        "first": grids[GRID[1]].feature_id,
        "second": grids[GRID[2]].feature_id,
        "line": line(point(1, 1.8), point(1.2, 0.5), point(1, 1.2)),  # down into grid 004 and back
    }

    assert "leaves" in refused(client, draft, body, planner)["detail"]


def test_split_makes_two_grids_with_their_microgrids(client: TestClient, planner: dict[str, str], draft: int) -> None:
    grid = features(client, draft)[GRID[1]]
    body = {"op": "split", "feature": grid.feature_id, "line": line(point(0.5, 2), point(0.5, 1))}

    answer = accepted(client, draft, body, planner)

    after = features(client, draft)
    assert GRID[5] in after  # the next free number under the community
    new, kept = after[GRID[5]], after[GRID[1]]
    assert kept.feature_id == grid.feature_id and new.parent == COMMUNITY
    assert shapely.union(kept.geometry, new.geometry).equals(grid.geometry)
    assert kept.geometry.area == pytest.approx(new.geometry.area, rel=1e-9)
    children = {code: f for code, f in after.items() if f.parent in (GRID[1], GRID[5])}
    assert len(children) == 2
    assert {f.parent for f in children.values()} == {GRID[1], GRID[5]}  # one microgrid placed on each side
    for child in children.values():
        assert after[child.parent].geometry.covers(child.geometry)
        assert child.code.startswith(child.parent)
    assert any(GRID[5] in note for note in answer["notes"])


def test_split_children_cuts_the_microgrids_the_line_crosses(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    grid = features(client, draft)[GRID[1]]
    body = {
        "op": "split",
        "feature": grid.feature_id,
        "line": line(point(0, 1.5), point(1, 1.5)),
        "split_children": True,
    }

    accepted(client, draft, body, planner)

    after = features(client, draft)
    for code in (GRID[1], GRID[5]):
        children = [f for f in after.values() if f.parent == code]
        assert len(children) == 2
        assert shapely.union_all([c.geometry for c in children]).equals(after[code].geometry)


def test_split_by_a_line_that_does_not_cross_is_refused(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    grid = features(client, draft)[GRID[1]]
    body = {"op": "split", "feature": grid.feature_id, "line": line(point(0.2, 1.5), point(0.8, 1.5))}

    assert "does not cut" in refused(client, draft, body, planner)["detail"]


def test_merge_reparents_and_recodes_the_absorbed_children(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    before = features(client, draft)
    kept, absorbed = before[GRID[1]], before[GRID[2]]
    moved = {f.feature_id for f in before.values() if f.parent == GRID[2]}

    answer = accepted(client, draft, {"op": "merge", "kept": kept.feature_id, "absorbed": absorbed.feature_id}, planner)

    after = features(client, draft)
    assert GRID[2] not in after and absorbed.feature_id in answer["deleted"]
    assert after[GRID[1]].geometry.equals(shapely.union(kept.geometry, absorbed.geometry))
    by_id = {f.feature_id: f for f in after.values()}
    assert {by_id[i].parent for i in moved} == {GRID[1]}
    assert sorted(by_id[i].code for i in moved) == [f"{GRID[1]}03", f"{GRID[1]}04"]


def test_split_keeps_the_worker_on_both_parts_and_shares_the_target_by_area(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    before = features(client, draft)
    grid = before[GRID[1]]  # worker WORKERS[0], 300 households planned; its microgrids have neither
    body = {
        "op": "split",
        "feature": grid.feature_id,
        "line": line(point(0.25, 2), point(0.25, 1)),
        "split_children": True,
    }

    answer = accepted(client, draft, body, planner)

    after = features(client, draft)
    kept, new = after[GRID[1]], after[GRID[5]]
    assert (kept.worker, new.worker) == (WORKERS[0], WORKERS[0])
    assert (kept.households_target, new.households_target) == (225, 75)  # three quarters and one quarter
    known = {f.feature_id for f in before.values()}
    cut = [f for f in after.values() if f.parent in (GRID[1], GRID[5]) and f.feature_id not in known]
    assert len(cut) == 1 and (cut[0].worker, cut[0].households_target) == (None, None)
    assert f"household target 300 of {GRID[1]} shared by area: {GRID[1]} 225, {GRID[5]} 75" in answer["notes"]


def test_merge_adds_up_the_targets_and_keeps_the_kept_worker_when_they_differ(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    before = features(client, draft)
    kept, absorbed = before[GRID[1]], before[GRID[2]]  # workers WORKERS[0] and WORKERS[1], 300 each

    answer = accepted(client, draft, {"op": "merge", "kept": kept.feature_id, "absorbed": absorbed.feature_id}, planner)

    merged = features(client, draft)[GRID[1]]
    assert (merged.worker, merged.households_target, merged.name) == (WORKERS[0], 600, kept.name)
    choice = next(note for note in answer["notes"] if "grid workers" in note)
    assert f"{kept.code}'s is kept" in choice
    assert not any(worker in note for note in answer["notes"] for worker in WORKERS)  # no person named


def test_merge_into_a_grid_without_worker_or_target_takes_the_absorbed_ones(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    kept = features(client, draft)[GRID[1]]
    cleared = {"op": "attributes", "feature": kept.feature_id, "values": {"worker": None, "households_target": None}}
    accepted(client, draft, cleared, planner)
    absorbed = features(client, draft)[GRID[2]]

    answer = accepted(client, draft, {"op": "merge", "kept": kept.feature_id, "absorbed": absorbed.feature_id}, planner)

    merged = features(client, draft)[GRID[1]]
    assert (merged.worker, merged.households_target) == (WORKERS[1], 300)
    assert any("no household target" in note for note in answer["notes"])


def test_merge_of_features_that_share_no_border_is_refused(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    grids = features(client, draft)
    body = {"op": "merge", "kept": grids[GRID[1]].feature_id, "absorbed": grids[GRID[4]].feature_id}  # diagonal

    assert "share no border" in refused(client, draft, body, planner)["detail"]


def test_transfer_moves_the_drawn_part_to_the_neighbour(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    before = features(client, draft)
    source, target = before[GRID[2]], before[GRID[1]]
    area = shapely.geometry.mapping(cell(0.8, 1.5, 0.45, 0.6))  # over the border, up past the region's edge
    body = {"op": "transfer", "source": source.feature_id, "target": target.feature_id, "area": area}

    answer = accepted(client, draft, body, planner)

    after = features(client, draft)
    assert answer["area_moved_m2"] == pytest.approx(0.25 * 0.5 * STEP_X_M * STEP_Y_M, rel=0.01)
    assert after[GRID[1]].geometry.covers(shapely.Point(point(1.1, 1.9)))
    assert after[GRID[2]].geometry.equals(source.geometry.difference(cell(1, 1.5, 0.25, 0.5)))
    # 002's west microgrid lost the part; 001's east microgrid, its neighbour there, took it.
    assert after[f"{GRID[1]}02"].geometry.covers(shapely.Point(point(1.1, 1.9)))


def test_transfer_of_an_area_outside_the_source_is_refused(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    grids = features(client, draft)
    area = shapely.geometry.mapping(cell(0.2, 1.2, 0.2, 0.2))  # inside the target
    body = {"op": "transfer", "source": grids[GRID[2]].feature_id, "target": grids[GRID[1]].feature_id, "area": area}

    assert "does not overlap" in refused(client, draft, body, planner)["detail"]


def test_delete_hands_the_area_to_the_neighbours(client: TestClient, planner: dict[str, str], draft: int) -> None:
    before = features(client, draft)
    gone = before[GRID[1]]

    answer = accepted(client, draft, {"op": "delete", "feature": gone.feature_id}, planner)

    after = features(client, draft)
    assert GRID[1] not in after and answer["deleted"] == [gone.feature_id]
    heirs = [f for code, f in after.items() if f.parent == COMMUNITY]
    assert len(heirs) == 3
    assert shapely.union_all([h.geometry for h in heirs]).equals(after[COMMUNITY].geometry)


def test_delete_that_would_leave_a_gap_is_refused(client: TestClient, planner: dict[str, str], draft: int) -> None:
    micro = features(client, draft)
    merged = {"op": "merge", "kept": micro[f"{GRID[1]}01"].feature_id, "absorbed": micro[f"{GRID[1]}02"].feature_id}
    accepted(client, draft, merged, planner)  # grid 001 now holds one microgrid: nobody to take its area
    lonely = features(client, draft)[f"{GRID[1]}01"]

    problem = refused(client, draft, {"op": "delete", "feature": lonely.feature_id}, planner)

    assert "gap" in problem["detail"] and problem["geometry"]["type"] == "Polygon"


def _hole_in_grid(client: TestClient, draft: int) -> Any:
    """Set-up: remove grid 001's west microgrid straight in the store (no check), leaving a gap; its geometry."""
    micro = features(client, draft)[f"{GRID[1]}01"]
    request = EditRequest(op="test", params={}, who="test", why="make a gap")
    store_of(client).apply_changes(
        draft, written=[], deleted=[micro.feature_id], expected={micro.feature_id: micro.revision}, request=request
    )
    return micro.geometry


def test_create_fills_a_gap(client: TestClient, planner: dict[str, str], draft: int) -> None:
    hole = _hole_in_grid(client, draft)
    drawn = shapely.geometry.mapping(cell(-0.1, 0.9, 0.8, 1.2))  # generous: only the uncovered ground counts
    body = {"op": "create", "area": drawn, "level": "microgrid", "parent": GRID[1], "name": "新楼栋"}

    answer = accepted(client, draft, body, planner)

    created = features(client, draft)[f"{GRID[1]}03"]
    assert created.geometry.equals(hole) and created.name == "新楼栋" and created.parent == GRID[1]
    assert [f["properties"]["code"] for f in answer["features"] if f["id"] == created.feature_id] == [created.code]


def test_create_on_covered_ground_is_refused(client: TestClient, planner: dict[str, str], draft: int) -> None:
    drawn = shapely.geometry.mapping(cell(0.1, 1.1, 0.2, 0.2))
    body = {"op": "create", "area": drawn, "level": "microgrid", "parent": GRID[1]}

    assert "no uncovered ground" in refused(client, draft, body, planner)["detail"]


def test_insert_then_delete_a_vertex_on_a_shared_border(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    before = features(client, draft)
    on_border = [GRID[1], GRID[2], f"{GRID[1]}02", f"{GRID[2]}01"]

    inserted = accepted(client, draft, {"op": "insert_vertex", "at": point(1, 1.5), "to": point(1.1, 1.5)}, planner)

    assert {f["properties"]["code"] for f in inserted["features"]} == set(on_border)
    after = features(client, draft)
    new_vertex = (point(1.1, 1.5)[0], point(1.1, 1.5)[1])
    for code in on_border:
        assert new_vertex in set(after[code].geometry.exterior.coords)
    assert same_line(shared_border(after[GRID[1]], after[GRID[2]]), point(1, 2), point(1.1, 1.5), point(1, 1))

    accepted(client, draft, {"op": "delete_vertex", "at": point(1.1, 1.5)}, planner)

    restored = features(client, draft)
    for code in on_border:
        assert restored[code].geometry.equals(before[code].geometry)


def test_deleting_a_vertex_nobody_has_is_refused(client: TestClient, planner: dict[str, str], draft: int) -> None:
    refused(client, draft, {"op": "delete_vertex", "at": point(0.3, 1.3)}, planner)


def test_an_edit_beside_a_registered_river_gap_is_not_refused_for_it(
    client: TestClient, planner: dict[str, str]
) -> None:
    files = {"file": ("river.geojson", region_with_a_river(), "application/geo+json")}
    assert client.post(VERSIONS, files=files, headers=planner).status_code == 201  # draft 2, river gap on the west
    widen = {"op": "insert_vertex", "at": point(0.1, 1.5), "to": point(0.105, 1.5)}  # 1 m further from the bank

    problem = refused(client, 2, widen, planner)
    assert [p["kind"] for p in problem["problems"]] == ["gap"]
    assert client.post(ALLOWED, json=river_body(), headers=planner).status_code == 201

    answer = accepted_allowing(client, 2, widen, planner)
    assert {f["properties"]["code"] for f in answer["features"]} == {GRID[1], f"{GRID[1]}01"}
    [gap] = [p for p in answer["problems"] if p["kind"] == "gap"]
    assert gap["severity"] == "info" and gap["details"]["allowed_by"]["reason"] == "蟾溪 river"


def accepted_allowing(client: TestClient, draft: int, body: dict[str, Any], planner: dict[str, str]) -> dict[str, Any]:
    """Apply the edit; it is stored, and the draft passes the check that honours the set's allowed exceptions."""
    response = edit(client, draft, body, {**planner, **everyone(client, draft)})
    assert response.status_code == 200, response.text
    report = client.get(f"{VERSIONS}/{draft}/validation", headers=planner).json()
    assert report["ok"] is True and report["summary"]["allowed"] == 1
    answer: dict[str, Any] = response.json()
    return answer


def test_repair_merges_the_sliver_an_edit_would_leave(client: TestClient, planner: dict[str, str], draft: int) -> None:
    before = features(client, draft)
    sliver, neighbour = before[f"{GRID[2]}01"], before[f"{GRID[2]}02"]
    # Grid 002's west microgrid handed to grid 001 but for a 1 m strip along its east side: a sliver.
    area = shapely.geometry.mapping(cell(0.8, 0.9, 0.695, 1.2))
    body = {"op": "transfer", "source": before[GRID[2]].feature_id, "target": before[GRID[1]].feature_id, "area": area}

    problem = refused(client, draft, body, planner)
    assert {p["kind"] for p in problem["problems"]} == {"sliver"}

    answer = accepted(client, draft, {**body, "repair": True}, planner)

    after = features(client, draft)
    assert sliver.code not in after and sliver.feature_id in answer["deleted"]
    assert after[neighbour.code].geometry.equals(after[GRID[2]].geometry)
    strip_m2 = 0.005 * STEP_X_M * STEP_Y_M
    repaired = {m["code"]: m for m in answer["repaired"]}
    assert repaired[sliver.code]["lost_m2"] == pytest.approx(strip_m2, rel=0.01)
    assert repaired[neighbour.code]["gained_m2"] == pytest.approx(strip_m2, rel=0.01)
    assert any(note.startswith(f"repair: {sliver.code} merged") for note in answer["notes"])
    history = client.get(f"{VERSIONS}/{draft}/edits", headers=planner).json()["edits"]
    assert history[-1]["op"] == "transfer" and sliver.feature_id in history[-1]["features"]


def test_repair_does_not_apply_to_other_errors(client: TestClient, planner: dict[str, str], draft: int) -> None:
    body = {"op": "move_vertex", "at": point(1, 1), "to": point(1.7, 1.2), "repair": True}  # borders would cross

    assert "cross" in refused(client, draft, body, planner)["detail"]


def test_draft_status_answers_check_diff_and_impact_without_personal_data(
    client: TestClient, planner: dict[str, str], draft: int
) -> None:
    store = store_of(client)
    store.add_households(impact_households())  # MOVE-A lies in the bump below, MOVE-B and STAY-002 east of it
    stored_incident(client, 1, (point(1.1, 1.5)[0], point(1.1, 1.5)[1]), GRID[2])  # open, in the bump
    stored_incident(client, 2, grid_centre(0, 1, 1), GRID[2])  # open, stays in grid 002
    before = features(client, draft)
    reshape = {"op": "reshape_border", "first": before[GRID[1]].feature_id, "second": before[GRID[2]].feature_id}
    accepted(client, draft, {**reshape, "line": line(point(1, 1.8), point(1.2, 1.5), point(1, 1.2))}, planner)
    stored, seq = snapshot(client, draft), store.draft_info(draft).edit_seq

    response = client.get(f"{VERSIONS}/{draft}/draft-status", headers=planner)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["compared_to"], body["draft"]["id"]) == (1, draft)
    assert body["check"]["scope"] == "draft" and body["check"]["ok"] is True
    assert body["check"]["summary"]["features"] == len(before)
    changed = {f["properties"]["code"]: f for f in body["diff"]["features"]["features"]}
    assert set(changed) == {GRID[1], GRID[2], f"{GRID[1]}02", f"{GRID[2]}01"}
    grown = changed[GRID[1]]
    assert grown["properties"]["change"] == "reshaped" and grown["properties"]["area_change_m2"] > 2000
    assert shapely.geometry.shape(grown["geometry"]).equals(features(client, draft)[GRID[1]].geometry)
    assert shapely.geometry.shape(grown["properties"]["geometry_before"]).equals(before[GRID[1]].geometry)
    households = body["impact"]["households"]
    assert households["moved"] == 1 and households["pairs"] == [{"from": GRID[2], "to": GRID[1], "count": 1}]
    assert [h["household_id"] for h in households["households"]] == ["MOVE-A"]
    assert households["grids"] == [
        {"grid": GRID[1], "before": 1, "after": 2, "out_of_range": False},
        {"grid": GRID[2], "before": 3, "after": 2, "out_of_range": False},
    ]
    assert households["out_of_range"] == [] and households["range"] == {"min": 0, "max": 500}
    assert body["impact"]["incidents"] == {
        "moved": 1,
        "incidents": [{"id": "M-001", "category": "noise_livestock", "from": GRID[2], "to": GRID[1]}],
    }
    for personal in ("测试", "138", "胜利街", "居民王某", "第1号"):
        assert personal not in response.text
    narrow = client.get(f"{VERSIONS}/{draft}/draft-status", params={"households_max": 1}, headers=planner).json()
    assert narrow["impact"]["households"]["out_of_range"] == [GRID[1], GRID[2]]
    # A GET never writes: the draft, its history and the household placements are as they were.
    assert snapshot(client, draft) == stored and store.draft_info(draft).edit_seq == seq
    assert not store.has_placements(draft)


def test_draft_status_of_a_large_draft_checks_the_changed_area(
    client: TestClient, planner: dict[str, str], draft: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draft_status, "LARGE_DRAFT_FEATURES", 10)
    grid = features(client, draft)[GRID[3]]  # the south-west grid of community 001, 200 m from community 002
    accepted(client, draft, {"op": "attributes", "feature": grid.feature_id, "values": {"name": "新"}}, planner)

    body = client.get(f"{VERSIONS}/{draft}/draft-status", headers=planner).json()

    assert body["check"]["scope"] == "changed_area" and body["check"]["ok"] is True, body["check"]["problems"]
    assert body["diff"]["changed"][0]["code"] == GRID[3] and body["diff"]["features"]["features"] == []
    # Community 001 whole (1 + 4 grids + 8 microgrids), not community 002.
    assert body["check"]["summary"]["features"] == 13


def test_draft_status_of_a_large_draft_finds_the_moves_where_the_draft_changed(
    client: TestClient, planner: dict[str, str], draft: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_of(client)
    store.add_households(impact_households())
    stored_incident(client, 1, (point(1.1, 1.5)[0], point(1.1, 1.5)[1]), GRID[2])  # in the bump
    stored_incident(client, 2, grid_centre(0, 1, 1), GRID[2])  # in grid 002, renamed below
    before = features(client, draft)
    reshape = {"op": "reshape_border", "first": before[GRID[1]].feature_id, "second": before[GRID[2]].feature_id}
    accepted(client, draft, {**reshape, "line": line(point(1, 1.8), point(1.2, 1.5), point(1, 1.2))}, planner)
    renamed = {"op": "attributes", "feature": before[GRID[2]].feature_id, "values": {"code": f"{COMMUNITY}099"}}
    accepted(client, draft, renamed, planner)
    whole = draft_status.draft_status(store, draft)
    monkeypatch.setattr(draft_status, "LARGE_DRAFT_FEATURES", 10)
    read: list[LocalFrames | None] = []
    monkeypatch.setattr(draft_status, "local_frames", lambda *args: read.append(local_frames(*args)) or read[-1])

    local = draft_status.draft_status(store, draft)

    assert (whole.scope, local.scope) == (draft_status.CheckScope.DRAFT, draft_status.CheckScope.CHANGED_AREA)
    assert read[0] is not None and 0 < len(read[0].after) < len(before)  # the households were assigned locally
    assert whole.households.moved >= 3 and len(whole.incidents) == 2 and len(whole.grid_counts) == 3
    for name in ("diff", "geometry_after", "geometry_before", "households", "grid_counts", "incidents"):
        assert getattr(local, name) == getattr(whole, name), name


def test_draft_status_is_for_planners(client: TestClient, draft: int) -> None:
    for role in (Role.VIEWER, Role.WORKER):
        headers = bearer(add_token(client, f"user-{role.value}", role))
        assert_problem(client.get(f"{VERSIONS}/{draft}/draft-status", headers=headers), 403)
    assert_problem(client.get(f"{VERSIONS}/{draft}/draft-status"), 401)
