"""geojson_mappings: the same dicts as shapely.geometry.mapping, for a whole array at once."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import mapping

from gridmap.geo.problems import geojson_mappings

_HOLED = shapely.Polygon(
    [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)], [[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0), (2.0, 2.0)]]
)


def test_mappings_equal_shapely_mapping_for_every_kind() -> None:
    geometries = np.array(
        [
            _HOLED,
            None,
            shapely.MultiPolygon([_HOLED, shapely.box(20.0, 20.0, 21.5, 21.0)]),
            shapely.Polygon(),
            shapely.box(0.1, 0.2, 0.3, 0.4),
            shapely.LineString([(0.0, 0.0), (1.0, 1.0)]),
            shapely.MultiLineString([[(0.0, 0.0), (1.0, 1.0)], [(2.0, 2.0), (3.0, 3.0)]]),
            shapely.Point(1.0, 2.0),
            shapely.GeometryCollection([shapely.box(0.0, 0.0, 1.0, 1.0), shapely.Point(5.0, 5.0)]),
            shapely.Polygon([(0.0, 0.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 1.0)]),
            shapely.from_wkt("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), EMPTY)"),
            shapely.MultiPolygon(),
        ],
        dtype=object,
    )
    expected = [None if g is None or g.is_empty else mapping(g) for g in geometries]
    assert geojson_mappings(geometries) == expected
    assert [type(m["coordinates"]) for m in geojson_mappings(geometries[[0, 2]]) if m] == [tuple, list]


def test_no_geometries() -> None:
    assert geojson_mappings(np.array([], dtype=object)) == []
