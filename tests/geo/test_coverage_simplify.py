"""Coverage simplification for display: fewer vertices, borders still shared, nothing lost."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo.coverage_simplify import CoverageTiles, simplify_coverage

LON0, LAT0 = 119.5, 27.45
DEG = 1 / 111_320  # about a metre of latitude


def wiggly_pair(offsets_m: list[float]) -> list[shapely.Polygon]:
    """Two 200 m x 200 m neighbours whose shared border zigzags east-west by `offsets_m` along its length."""
    n = len(offsets_m)
    border = [(LON0 + 100 * DEG + dx * DEG, LAT0 + 200 * DEG * i / (n - 1)) for i, dx in enumerate(offsets_m)]
    west = shapely.Polygon([(LON0, LAT0), *border, (LON0, LAT0 + 200 * DEG)])
    east = shapely.Polygon([*border, (LON0 + 200 * DEG, LAT0 + 200 * DEG), (LON0 + 200 * DEG, LAT0)])
    return [shapely.normalize(west), shapely.normalize(east)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3.0, 3.0), min_size=8, max_size=60))
def test_a_shared_border_is_simplified_once_for_both_sides(offsets_m: list[float]) -> None:
    offsets = [0.0, *offsets_m, 0.0]  # the border's ends stay on the outline's corners
    pair = wiggly_pair(offsets)
    west, east = simplify_coverage(pair, 5.0)
    assert shapely.coverage_is_valid(np.array([west, east], dtype=object))
    assert west.intersection(east).area == pytest.approx(0.0, abs=1e-16)
    # No gap opened: together they still cover the square exactly.
    assert west.union(east).symmetric_difference(pair[0].union(pair[1])).area < 1e-14
    # A zigzag of at most 3 m either way loses vertices at a 5 m tolerance, on both sides alike.
    assert shapely.get_num_coordinates(west) < shapely.get_num_coordinates(pair[0])
    assert shapely.get_num_coordinates(west) == shapely.get_num_coordinates(east)


def test_groups_are_simplified_apart_and_zero_changes_nothing() -> None:
    pair = wiggly_pair([0.0, 2.0, -2.0, 2.0, 0.0])
    outline = pair[0].union(pair[1])
    simplified = simplify_coverage([*pair, outline], 5.0, groups=["grid", "grid", "community"])
    # The community is not a member of the grids' coverage (it overlaps them): its outline is simplified alone.
    assert simplified[2].equals(outline.simplify(0))
    assert simplify_coverage(pair, 0.0) == pair


def test_the_tolerance_is_checked() -> None:
    with pytest.raises(ValueError, match="between 0 and"):
        simplify_coverage(wiggly_pair([0.0, 1.0, 0.0]), 5_000.0)


def wiggly_row(count: int) -> list[shapely.Polygon]:
    """`count` 200 m squares side by side, each border between two of them zigzagging a metre east and west."""
    xs = [LON0 + 200 * DEG * i for i in range(count + 1)]
    borders = [
        [(x + (DEG if j % 2 else -DEG) * (0 < j < 20), LAT0 + 10 * DEG * j) for j in range(21)] for x in xs[1:-1]
    ]
    edges = [[(xs[0], LAT0), (xs[0], LAT0 + 200 * DEG)], *borders, [(xs[-1], LAT0), (xs[-1], LAT0 + 200 * DEG)]]
    return [shapely.normalize(shapely.Polygon([*edges[i], *edges[i + 1][::-1]])) for i in range(count)]


def test_tiles_simplify_inside_each_tile_and_keep_the_borders_between_tiles() -> None:
    row = wiggly_row(8)
    tiles = CoverageTiles.over(row, features_per_tile=2)
    keys = tiles.keys(row)
    assert 1 < len(set(keys)) < len(row)  # several tiles, some holding two squares or more
    simplified: list[shapely.Polygon] = [shapely.Polygon()] * len(row)
    for key in set(keys):
        members = [i for i, k in enumerate(keys) if k == key]
        for i, outline in zip(members, tiles.simplify([row[i] for i in members], 20.0), strict=True):
            simplified[i] = outline
    shapes = np.array(simplified, dtype=object)
    assert shapely.coverage_is_valid(shapes)
    assert shapely.union_all(shapes).symmetric_difference(shapely.union_all(row)).area < 1e-14
    for i in range(len(row) - 1):
        border = shapely.intersection(simplified[i].boundary, simplified[i + 1].boundary)
        vertices = len(shapely.get_coordinates(shapely.line_merge(border)))
        assert vertices == (21 if keys[i] != keys[i + 1] else 2)  # kept between tiles, straightened inside one
