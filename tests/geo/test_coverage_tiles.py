"""The tiled gap search finds the holes one union of the whole level finds, across tile edges too."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridmap.geo import coverage, coverage_tiles


def lattice_without(missing: set[tuple[int, int]], side: int = 12) -> np.ndarray:
    """A side x side lattice of 10 m squares with some squares left out (holes where they are inside)."""
    cells = [shapely.box(10 * i, 10 * j, 10 * i + 10, 10 * j + 10) for i in range(side) for j in range(side)]
    keep = [c for k, c in enumerate(cells) if (k // side, k % side) not in missing]
    return np.asarray(keep, dtype=object)


@pytest.mark.parametrize("max_features", [4, 16, 1000])
def test_tiled_holes_are_the_unions_holes(max_features: int) -> None:
    # one hole of three squares across the middle (cut by the first halving), one square alone, one on the edge
    geometries = lattice_without({(5, 5), (6, 5), (6, 6), (2, 9), (0, 3)})
    frame = coverage_tiles.search_frame(geometries)
    tiles = coverage_tiles.split_tiles(geometries, frame, margin=0.0, max_features=max_features)
    space = coverage_tiles.uncovered_space([coverage_tiles.tile_space(geometries, t) for t in tiles], frame, geometries)
    expected = coverage.union_holes(shapely.union_all(geometries))
    assert sorted(round(h.area) for h in space.holes) == sorted(round(h.area) for h in expected) == [100, 300]
    assert shapely.equals(shapely.union_all(space.holes), shapely.union_all(expected))
    assert shapely.contains(shapely.union_all(space.outside), shapely.Point(5, 35))  # the notch on the edge


def test_tiles_depend_on_the_features_only() -> None:
    geometries = lattice_without(set())
    frame = coverage_tiles.search_frame(geometries)
    first = coverage_tiles.split_tiles(geometries, frame, margin=1.0)
    again = coverage_tiles.split_tiles(geometries, frame, margin=1.0)
    assert len(first) > 1
    assert [t.box for t in first] == [t.box for t in again]
    assert all(len(t.members) <= coverage_tiles.TILE_FEATURES for t in first)
