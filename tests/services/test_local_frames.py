"""Points in boxes, as the draft status finds the households and incidents around what a draft changed."""

from __future__ import annotations

import numpy as np
import shapely

from gridmap.services.local_frames import points_in_boxes


def test_points_in_boxes_counts_edges_and_corners_in_as_shapely_does() -> None:
    rng = np.random.default_rng(3)
    west, south = rng.uniform(0, 9, 40), rng.uniform(0, 9, 40)
    boxes = np.column_stack([west, south, west + rng.uniform(0.01, 1, 40), south + rng.uniform(0.01, 1, 40)])
    # Random points, every box corner and edge midpoint, and points just outside a box's west and north edges.
    corners = [(b[i], b[j]) for b in boxes for i in (0, 2) for j in (1, 3)]
    middles = [((b[0] + b[2]) / 2, b[k]) for b in boxes for k in (1, 3)] + [
        (b[k], (b[1] + b[3]) / 2) for b in boxes for k in (0, 2)
    ]
    outside = [(np.nextafter(b[0], -np.inf), b[1]) for b in boxes] + [(b[0], np.nextafter(b[3], np.inf)) for b in boxes]
    points = np.vstack([rng.uniform(-1, 11, (5_000, 2)), corners, middles, outside])
    lon, lat = points[:, 0].copy(), points[:, 1].copy()

    inside = points_in_boxes(boxes, lon, lat)

    tree = shapely.STRtree(shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]))
    expected = np.zeros(len(lon), dtype=bool)
    expected[tree.query(shapely.points(lon, lat), predicate="intersects")[0]] = True
    assert inside.tolist() == expected.tolist()
    assert inside[5_000 : 5_000 + len(corners) + len(middles)].all() and 0 < inside[:5_000].sum() < 5_000


def test_points_in_boxes_takes_boxes_that_are_lines_or_points_and_nothing() -> None:
    lon, lat = np.array([1.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.5, 2.0, 3.0])
    line_and_point = np.array([[1.0, 1.0, 1.0, 2.0], [2.0, 2.0, 2.0, 2.0]])

    assert points_in_boxes(line_and_point, lon, lat).tolist() == [True, True, True, False]
    assert points_in_boxes(np.empty((0, 4)), lon, lat).tolist() == [False] * 4
    assert points_in_boxes(line_and_point, np.empty(0), np.empty(0)).tolist() == []
