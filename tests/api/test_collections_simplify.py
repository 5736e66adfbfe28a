"""The items route's `simplify`: outlines for display at low zoom, shared borders kept shared."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from gridmap.geo.editing.model import InsertVertex
from gridmap.geo.hierarchy import Level
from gridmap.services.editing import apply_edit, start_draft
from gridmap.services.simplified_outlines import SimplifiedOutlines
from tests.api.conftest import TestClient, assert_problem
from tests.api.test_collections import items
from tests.api.test_edits import point, store_of


def test_simplified_grids_stay_a_coverage_of_the_same_ground(client: TestClient) -> None:
    full = items(client, "grids", limit=100)
    simplified = items(client, "grids", limit=100, simplify=20)
    assert simplified["simplified_m"] == 20 and "simplified_m" not in full
    assert [f["id"] for f in simplified["features"]] == [f["id"] for f in full["features"]]
    outlines = np.array([shape(f["geometry"]) for f in simplified["features"]], dtype=object)
    # Shared borders were simplified once for both sides: no overlap, no gap between the grids.
    assert shapely.coverage_is_valid(outlines)
    originals = shapely.union_all([shape(f["geometry"]) for f in full["features"]])
    assert shapely.union_all(outlines).symmetric_difference(originals).area < originals.area * 0.01
    assert sum(shapely.get_num_coordinates(outlines)) <= sum(
        shapely.get_num_coordinates(shape(f["geometry"])) for f in full["features"]
    )


def test_every_level_is_simplified_as_its_own_coverage(client: TestClient) -> None:
    body = items(client, "boundaries", limit=100, simplify=5)
    for level in ("community", "grid", "microgrid"):
        outlines = [shape(f["geometry"]) for f in body["features"] if f["properties"]["level"] == level]
        assert outlines and shapely.coverage_is_valid(np.array(outlines, dtype=object))


@pytest.mark.parametrize("tolerance", ["-1", "1001", "many"])
def test_a_bad_tolerance_is_a_400(client: TestClient, tolerance: str) -> None:
    assert_problem(client.get("/api/v1/collections/grids/items", params={"simplify": tolerance}), 400)


def test_borders_stay_shared_across_pages(client: TestClient) -> None:
    # Each level is simplified as a whole: two pages of one level fit together without gaps or overlaps.
    first = items(client, "grids", limit=3, simplify=20)
    second = items(client, "grids", limit=100, offset=3, simplify=20)
    outlines = [shape(f["geometry"]) for f in first["features"] + second["features"]]
    assert len(first["features"]) == 3 and second["features"]
    assert shapely.coverage_is_valid(np.array(outlines, dtype=object))


def test_a_draft_is_simplified_as_it_is_after_an_edit(client: TestClient, planner_headers: dict[str, str]) -> None:
    versions = "/api/v1/boundary-sets/default/versions"
    draft = client.post(f"{versions}/1/drafts", json={"reason": "reshape"}, headers=planner_headers).json()["id"]
    params = {"version": draft, "simplify": 1}
    before = client.get("/api/v1/collections/grids/items", params=params, headers=planner_headers).json()
    grids = client.get("/api/v1/collections/grids/items", params={"version": draft}, headers=planner_headers).json()
    # A corner where grids meet is kept by the simplification: move one, and the simplified outlines follow it.
    corners = [shapely.get_coordinates(shape(f["geometry"])) for f in grids["features"]]
    shared = [
        tuple(c) for c in np.unique(np.concatenate(corners), axis=0) if sum((p == c).all(1).any() for p in corners) > 2
    ]
    assert shared
    moved_from = shared[0]
    moved_to = (moved_from[0] + 1e-5, moved_from[1] + 1e-5)
    held = [f for f in grids["features"] if shape(f["geometry"]).boundary.distance(shapely.Point(moved_from)) < 1e-12]
    match = ", ".join(f'"{f["id"]}@{f["properties"]["revision"]}"' for f in held)
    body = {"op": "move_vertex", "at": list(moved_from), "to": list(moved_to)}
    response = client.post(f"{versions}/{draft}/edits", json=body, headers={**planner_headers, "If-Match": match})
    assert response.status_code == 200, response.text

    after = client.get("/api/v1/collections/grids/items", params=params, headers=planner_headers).json()
    vertices = {tuple(c) for f in after["features"] for c in shapely.get_coordinates(shape(f["geometry"]))}
    assert moved_to in vertices and moved_from not in vertices
    assert moved_from in {tuple(c) for f in before["features"] for c in shapely.get_coordinates(shape(f["geometry"]))}


def _kink(client: TestClient, draft: int, col: float, row: float) -> tuple[float, float]:
    """Bend the border between the two microgrids of a grid by a vertex a metre off it; the vertex."""
    at = point(col, row)
    to = (at[0] + 1e-5, at[1])
    apply_edit(store_of(client), draft, InsertVertex(at=(at[0], at[1]), to=to), who="test", why="kink", expected={})
    return to


def test_after_an_edit_only_its_tiles_are_simplified_again_as_a_fresh_start_would(client: TestClient) -> None:
    store = store_of(client)
    draft = start_draft(store, "default", who="test", why="kinks").version.id
    kinks = [_kink(client, draft, 0.5, 1.5), _kink(client, draft, 2.5, 0.5)]
    outlines = SimplifiedOutlines(store, features_per_tile=4)  # tiles of about four microgrids: several tiles
    before = dict(outlines.outlines(draft, Level.MICROGRID, 20.0))

    kinks.append(_kink(client, draft, 1.5, 0.5))
    after = dict(outlines.outlines(draft, Level.MICROGRID, 20.0))

    fresh = SimplifiedOutlines(store, features_per_tile=4).outlines(draft, Level.MICROGRID, 20.0)
    assert {fid: (rev, g.wkb) for fid, (rev, g) in after.items()} == {
        fid: (rev, g.wkb) for fid, (rev, g) in fresh.items()
    }
    reused = [fid for fid in before if after[fid][1] is before[fid][1]]
    assert reused and len(reused) < len(after)  # untouched tiles kept, the edited one simplified again
    shapes = np.array([g for _rev, g in after.values()], dtype=object)
    assert shapely.coverage_is_valid(shapes)  # no overlap
    full = shapely.union_all([f.geometry for f in store.features(draft, level=Level.MICROGRID).features])
    assert shapely.union_all(shapes).symmetric_difference(full).area < full.area * 1e-9  # no gap
    vertices = {tuple(c) for c in shapely.get_coordinates(shapes).tolist()}
    assert len(vertices & set(kinks)) < len(kinks)  # kinks inside a tile (a metre off a 220 m border) simplified away
