"""Exact coverages (shared edges vertex for vertex, as coverage_union_all makes them) are clean for the check as
for GEOS, however the gap search's tiles cut them (issue 13: edge mismatches on a valid benchmark coverage)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry

from gridmap.geo import coverage_tiles
from gridmap.services.check import check_boundaries
from tests.boundary_builders import LAT0, LON0, STEP, feature, frame_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# 18 communities of benchmarks/check_speed.py (seed 20261127) around 350924001384, coverage-simplified (2e-3 deg)
# and rounded to 1e-4 deg: an exact coverage, but 350924001384's border with 350924001415 crosses a tile's
# corner, and the two clipped copies of it left a 1e-13 m2 sliver that the check took for a hole (edge_mismatch)
SHOUNING_COMMUNITIES = {
    "350924001384": "POLYGON ((119.5308 27.4594, 119.5315 27.4576, 119.5308 27.4569, 119.5263 27.4565, "
    "119.5256 27.4567, 119.5257 27.4583, 119.5308 27.4594))",
    "350924001415": "POLYGON ((119.5306 27.4562, 119.5282 27.4549, 119.5277 27.4549, 119.5264 27.4556, "
    "119.5263 27.4565, 119.5308 27.4569, 119.5306 27.4562))",
    "350924000900": "POLYGON ((119.5257 27.4583, 119.526 27.4606, "
    "119.5295 27.4613, 119.5308 27.4594, 119.5257 27.4583))",
    "350924000306": "POLYGON ((119.5285 27.4543, 119.5282 27.4549, "
    "119.5306 27.4562, 119.5314 27.455, 119.5285 27.4543))",
    "350924001188": "POLYGON ((119.5277 27.4549, 119.5264 27.4546, 119.5264 27.4556, 119.5277 27.4549))",
    "350924001275": "POLYGON ((119.5314 27.455, 119.5306 27.4562, 119.5308 27.4569, 119.5315 27.4576, "
    "119.5331 27.458, 119.5339 27.4576, 119.5337 27.4543, 119.5314 27.455))",
    "350924000589": "POLYGON ((119.5264 27.4546, 119.5277 27.4549, 119.5282 27.4549, 119.5285 27.4543, "
    "119.5279 27.4532, 119.5277 27.4532, 119.5238 27.4523, 119.5228 27.4528, 119.5264 27.4546))",
    "350924000500": "POLYGON ((119.5354 27.461, 119.5357 27.4587, 119.5356 27.4586, 119.5356 27.4586, "
    "119.5331 27.458, 119.5315 27.4576, 119.5308 27.4594, 119.5295 27.4613, 119.5313 27.4625, 119.5327 27.4638, "
    "119.5335 27.4636, 119.5338 27.4631, 119.5354 27.461))",
    "350924000189": "POLYGON ((119.5265 27.4653, 119.529 27.4655, 119.5313 27.4625, 119.5295 27.4613, "
    "119.526 27.4606, 119.5256 27.4612, 119.5265 27.4653))",
    "350924000692": "POLYGON ((119.5356 27.4586, 119.5339 27.4576, 119.5331 27.458, 119.5356 27.4586))",
    "350924001217": "POLYGON ((119.5306 27.4519, 119.5285 27.4517, 119.5286 27.4529, 119.5306 27.4519))",
    "350924000259": "POLYGON ((119.5277 27.4532, 119.5279 27.4532, 119.5286 27.4529, 119.5285 27.4517, "
    "119.5269 27.4508, 119.5277 27.4532))",
    "350924001148": "POLYGON ((119.5238 27.4523, 119.5277 27.4532, "
    "119.5269 27.4508, 119.5248 27.4508, 119.5238 27.4523))",
    "350924001002": "POLYGON ((119.5338 27.4631, 119.5363 27.4618, 119.5354 27.461, 119.5338 27.4631))",
    "350924000770": "POLYGON ((119.529 27.4655, 119.5302 27.4666, 119.5333 27.4677, 119.5337 27.4671, "
    "119.5327 27.4638, 119.5313 27.4625, 119.529 27.4655))",
    "350924001405": "POLYGON ((119.5357 27.4587, 119.5354 27.461, "
    "119.5363 27.4618, 119.5399 27.4632, 119.5357 27.4587))",
    "350924000102": "POLYGON ((119.5196 27.4561, 119.5183 27.455, 119.5169 27.4549, 119.5144 27.4556, "
    "119.5143 27.4576, 119.5151 27.4588, 119.5167 27.459, 119.5205 27.4577, 119.5196 27.4561))",
    "350924000344": "POLYGON ((119.5296 27.4716, 119.5337 27.4695, 119.534 27.4687, 119.5333 27.4677, "
    "119.5302 27.4666, 119.5285 27.4704, 119.5296 27.4716))",
}


def _communities(shapes: dict[str, BaseGeometry]) -> list[dict[str, object]]:
    return [feature(code, "community", "", shape) for code, shape in shapes.items()]


def test_a_border_across_a_tile_corner_is_no_edge_mismatch() -> None:
    shapes = {code: shapely.from_wkt(wkt) for code, wkt in SHOUNING_COMMUNITIES.items()}
    geometries = np.array(list(shapes.values()), dtype=object)
    assert shapely.coverage_is_valid(geometries)
    assert len(geometries) > coverage_tiles.TILE_FEATURES  # the gap search cuts the level into tiles
    report = check_boundaries(frame_of(_communities(shapes)))
    assert report.problems == []


def test_a_vertex_on_a_tile_side_does_not_break_the_gap_search() -> None:
    # 20 communities of the same benchmark (simplified 3e-4 deg, rounded to 1e-5 deg): one has a vertex exactly
    # on a tile's side, the fast clip leaves its ring touching itself there and the tile's union failed in GEOS
    collection = json.loads((FIXTURES / "voronoi_communities_clip_touch.geojson").read_text())
    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in collection["features"]}
    assert shapely.coverage_is_valid(np.array(list(shapes.values()), dtype=object))
    report = check_boundaries(frame_of(_communities(shapes)))
    assert report.problems == []


def _grouped_voronoi(seed: int, cells: int, groups: int) -> dict[str, BaseGeometry]:
    """Voronoi cells of random points grouped by nearest random seed, each group's coverage union one feature."""
    rng = np.random.default_rng(seed)
    points = rng.random((cells, 2))
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=shapely.box(0, 0, 1, 1), ordered=True)
    parts = shapely.intersection(shapely.get_parts(diagram), shapely.box(0, 0, 1, 1))
    seeds = rng.random((groups, 2))
    owner = np.argmin(((points[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2), axis=1)
    scale = [STEP * 20, 0, 0, STEP * 20, LON0, LAT0]
    return {
        str(350924000001 + g): shapely.affinity.affine_transform(shapely.coverage_union_all(parts[owner == g]), scale)
        for g in np.unique(owner)
    }


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000), cells=st.integers(150, 400), groups=st.integers(20, 60))
def test_an_exact_coverage_of_grouped_voronoi_cells_has_no_edge_mismatch(seed: int, cells: int, groups: int) -> None:
    shapes = _grouped_voronoi(seed, cells, groups)
    report = check_boundaries(frame_of(_communities(shapes)))
    assert [p for p in report.problems if p.kind.value == "edge_mismatch"] == []
