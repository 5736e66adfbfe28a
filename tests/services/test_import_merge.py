"""The base of an imported row (gridmap.services.import_merge): what its geometry fingerprint keeps and tells apart,
and the three-way judgement of one row."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.services.import_merge import (
    FeatureState,
    base_texts,
    comparable_properties,
    geometry_fingerprint,
    parse_base,
    sides,
)

GRID = shapely.Polygon([(119.5, 27.45), (119.502, 27.45), (119.5021, 27.452), (119.5003, 27.4523)])
PROPERTIES = {"code": "350924100001003", "name": "大同三网格", "level": "grid", "parent": "350924100001"}


def _through_gauss_kruger(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry written in EPSG:4549 and read back in WGS-84, as a projected export comes back."""
    there = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    back = pyproj.Transformer.from_crs("EPSG:4549", "EPSG:4326", always_xy=True)
    projected = shapely.transform(geometry, lambda xy: np.column_stack(there.transform(xy[:, 0], xy[:, 1])))
    return shapely.transform(projected, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def test_the_fingerprint_keeps_what_a_qgis_save_changes() -> None:
    ring = list(GRID.exterior.coords)[:-1]
    reversed_start = shapely.Polygon((ring[2:] + ring[:2])[::-1])  # another start vertex, the other way round
    assert reversed_start.equals(GRID) and not reversed_start.equals_exact(GRID, 0)
    same = [shapely.MultiPolygon([GRID]), reversed_start, shapely.force_3d(GRID), _through_gauss_kruger(GRID)]
    assert {geometry_fingerprint(g) for g in same} == {geometry_fingerprint(GRID)}


def test_the_fingerprint_tells_a_moved_vertex() -> None:
    coords = list(GRID.exterior.coords)
    coords[1] = (coords[1][0] + 5e-7, coords[1][1])  # about 5 cm east
    assert geometry_fingerprint(shapely.Polygon(coords)) != geometry_fingerprint(GRID)


def test_three_sides_of_a_row() -> None:
    (text,) = base_texts([PROPERTIES], [GRID], draft_seq=4)
    base = parse_base(text)
    assert base is not None and base.draft_seq == 4
    exported = FeatureState(comparable_properties(PROPERTIES), GRID)
    renamed = FeatureState(comparable_properties({**PROPERTIES, "name": "东升网格"}), GRID)
    moved = FeatureState(exported.properties, shapely.affinity.translate(GRID, 1e-5))
    assert sides(base, draft=renamed, file=exported).only_draft
    assert sides(base, draft=exported, file=moved).only_file
    both = sides(base, draft=renamed, file=moved)
    assert (both.file_changed, both.draft_changed) == (("geometry",), ("name",))
    assert sides(base, draft=None, file=moved).draft_changed == ("deleted",)


@pytest.mark.parametrize("text", [None, "", "not json", '{"properties": 1, "geometry": "x"}', "[]"])
def test_a_base_gridmap_did_not_write_is_none(text: object) -> None:
    assert parse_base(text) is None
    assert sides(parse_base(text), draft=None, file=FeatureState({}, GRID)).file_changed is None
