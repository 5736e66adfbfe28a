"""The items route's `simplify`: outlines for display at low zoom, shared borders kept shared."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from tests.api.conftest import TestClient, assert_problem
from tests.api.test_collections import items


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
