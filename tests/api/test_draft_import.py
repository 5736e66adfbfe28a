"""`POST /boundary-sets/{name}/versions/{id}/import`: a file edited in QGIS uploaded into a draft, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from gridmap.geo.editing.model import EditOutcome, FeatureChange
from gridmap.services.draft_import import export_draft
from gridmap.services.editing import apply_outcome, start_draft
from gridmap.store import BoundaryStore
from gridmap.store.account_store import Role
from tests.api.conftest import add_token, assert_problem, bearer
from tests.qgis_edits import EAST, GRID, QGIS_LAYER, WEST, qgis_edit


def _store(client: TestClient) -> BoundaryStore:
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    return store


@pytest.fixture
def draft(client: TestClient) -> int:
    """A draft of the published region."""
    return start_draft(_store(client), "default", who="张发敏", why="grids redrawn in QGIS").version.id


@pytest.fixture
def edited(client: TestClient, draft: int, tmp_path: Path) -> Path:
    """The draft exported, then edited as QGIS saves it: the microgrid border moved, the grid renamed."""
    exported = export_draft(store=_store(client), version_id=draft, path=tmp_path / "draft.gpkg")
    return qgis_edit(exported, tmp_path / "qgis.gpkg", names={GRID: "大同三网格"})


def upload(client: TestClient, draft: int, path: Path, headers: dict[str, str], **form: str) -> Any:
    with path.open("rb") as handle:
        return client.post(
            f"/api/v1/boundary-sets/default/versions/{draft}/import",
            files={"file": (path.name, handle, "application/geopackage+sqlite3")},
            data=form,
            headers=headers,
        )


def state(client: TestClient, draft: int) -> dict[str, tuple[int, str, bytes]]:
    """Every feature of the draft by code: revision, name and geometry (WKB)."""
    return {f.code: (f.revision, f.name, shapely.to_wkb(f.geometry)) for f in _store(client).features(draft).features}


def test_without_commit_the_answer_is_the_diff_and_nothing_is_stored(
    client: TestClient, planner_headers: dict[str, str], draft: int, edited: Path
) -> None:
    before = state(client, draft)
    response = upload(client, draft, edited, planner_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["layer"], body["committed"], body["conflicts"]) == (QGIS_LAYER, False, [])
    assert sorted(r["code"] for r in body["reshaped"]) == [WEST, EAST]
    assert sum(r["area_change_m2"] for r in body["reshaped"]) == pytest.approx(0, abs=0.5)
    assert body["changed"][0]["changes"]["name"]["after"] == "大同三网格"
    assert body["check"]["ok"] is True and body["new_problems"] == []
    assert state(client, draft) == before


def test_commit_stores_one_undoable_edit(
    client: TestClient, planner_headers: dict[str, str], draft: int, edited: Path
) -> None:
    before = state(client, draft)
    response = upload(client, draft, edited, planner_headers, commit="true", reason="redrawn on site")
    assert response.status_code == 200, response.text
    assert response.json()["committed"] is True
    after = state(client, draft)
    assert {c for c in before if after[c] != before[c]} == {WEST, EAST, GRID}
    assert after[GRID][:2] == (before[GRID][0] + 1, "大同三网格")
    history = _store(client).edits(draft)
    assert [(e.op, e.who, e.why) for e in history] == [("import", "规划员", "redrawn on site")]


def test_unresolved_conflicts_are_refused_on_commit_and_resolved_by_ours(
    client: TestClient, planner_headers: dict[str, str], draft: int, edited: Path
) -> None:
    store = _store(client)
    grid = store.features(draft, code=GRID).features[0]
    apply_outcome(  # another planner renames the grid after the export
        store,
        draft,
        EditOutcome(changed=[FeatureChange(grid.feature_id, properties={"name": "东升网格"})]),
        op_name="attributes",
        params={},
        who="李秀英",
        why="renamed",
        expected={grid.feature_id: grid.revision},
    )
    before = state(client, draft)

    preview = upload(client, draft, edited, planner_headers)
    assert preview.status_code == 200, preview.text
    assert [(c["code"], c["changed_by"]) for c in preview.json()["conflicts"]] == [(GRID, "李秀英")]

    refused = assert_problem(upload(client, draft, edited, planner_headers, commit="true"), 409)
    assert [(c["code"], c["file_changed"], c["draft_changed"]) for c in refused["conflicts"]] == [
        (GRID, ["name"], ["name"])
    ]
    assert state(client, draft) == before

    response = upload(client, draft, edited, planner_headers, commit="true", resolve="ours")
    assert response.status_code == 200, response.text
    after = state(client, draft)
    assert after[GRID] == before[GRID] and after[GRID][1] == "东升网格"
    assert after[WEST] != before[WEST]


def test_a_malformed_file_is_a_422_and_stores_nothing(
    client: TestClient, planner_headers: dict[str, str], draft: int, tmp_path: Path
) -> None:
    bad = tmp_path / "grids.gpkg"
    bad.write_bytes(b"SQLite format 3\x00 but not really")
    before = state(client, draft)
    body = assert_problem(upload(client, draft, bad, planner_headers, commit="true"), 422)
    assert "grids.gpkg" in body["detail"] and str(tmp_path) not in body["detail"]
    assert state(client, draft) == before


def test_importing_needs_a_planner(client: TestClient, draft: int, edited: Path) -> None:
    assert_problem(upload(client, draft, edited, {}), 401)
    worker = bearer(add_token(client, "巡查员", Role.WORKER))
    assert_problem(upload(client, draft, edited, worker), 403)


def test_a_published_version_is_no_draft(client: TestClient, planner_headers: dict[str, str], edited: Path) -> None:
    assert_problem(upload(client, 1, edited, planner_headers), 409)


def test_changes_made_alike_on_both_sides_are_no_conflict_and_a_row_without_its_base_is(
    client: TestClient, planner_headers: dict[str, str], draft: int, edited: Path, tmp_path: Path
) -> None:
    store = _store(client)
    grid = store.features(draft, code=GRID).features[0]
    apply_outcome(  # another planner renames the grid after the export, as the file does
        store,
        draft,
        EditOutcome(changed=[FeatureChange(grid.feature_id, properties={"name": "大同三网格"})]),
        op_name="attributes",
        params={},
        who="李秀英",
        why="renamed",
        expected={grid.feature_id: grid.revision},
    )
    response = upload(client, draft, edited, planner_headers)
    assert response.status_code == 200, response.text
    assert response.json()["conflicts"] == [] and response.json()["changed"] == []

    grid = store.features(draft, code=GRID).features[0]
    apply_outcome(  # and gives it a new worker: without the base, the file's row is judged on its revision
        store,
        draft,
        EditOutcome(changed=[FeatureChange(grid.feature_id, properties={"worker": "陈美玲"})]),
        op_name="attributes",
        params={},
        who="李秀英",
        why="new worker",
        expected={grid.feature_id: grid.revision},
    )
    without_base = tmp_path / "without-base.gpkg"
    pyogrio.write_dataframe(pyogrio.read_dataframe(edited).drop(columns="gm_base"), without_base, layer="网格")
    body = assert_problem(upload(client, draft, without_base, planner_headers, commit="true"), 409)
    conflict = body["conflicts"][0]
    assert (conflict["code"], conflict["file_changed"], conflict["draft_changed"]) == (GRID, None, None)
