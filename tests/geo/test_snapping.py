"""Bulk nearest-edge snapping (gridmap.geo.snapping) against brute force, and duplicate ways."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo.network import WalkingNetwork
from gridmap.geo.snapping import SegmentIndex, _box_blocks


def random_lines(rng: np.random.Generator, count: int) -> npt.NDArray[np.object_]:
    """Random polylines of 2-5 vertices in a 1 km square."""
    lines = []
    for _ in range(count):
        start = rng.uniform(0, 1000, 2)
        steps = rng.normal(0, 60, size=(int(rng.integers(1, 5)), 2))
        lines.append(shapely.LineString(np.vstack([start, start + np.cumsum(steps, axis=0)])))
    return np.asarray(lines, dtype=object)


def brute_force(edges: npt.NDArray[np.object_], xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Distance from every point to every edge (points x edges), by GEOS."""
    points = np.asarray(shapely.points(xy), dtype=object)
    return np.asarray(shapely.distance(points[:, None], edges[None, :]), dtype=np.float64)


def crossing_streets(rng: np.random.Generator, streets: int, reversed_share: float) -> npt.NDArray[np.object_]:
    """`streets` axis-aligned streets each way, 10 m apart, about `reversed_share` of them drawn backwards, shuffled."""
    ends = np.array([0.0, 10.0 * (streets - 1)])
    lines = [shapely.LineString(np.column_stack([ends, [10.0 * k] * 2])) for k in range(streets)]
    lines += [shapely.LineString(np.column_stack([[10.0 * k] * 2, ends])) for k in range(streets)]
    flip = rng.random(len(lines)) < reversed_share
    edges = np.asarray([shapely.reverse(line) if f else line for line, f in zip(lines, flip, strict=True)])
    return edges[rng.permutation(len(edges))]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), count=st.integers(1, 60), spread=st.sampled_from([0.0, 300.0, 5000.0]))
def test_nearest_edge_is_exact_on_both_paths(seed: int, count: int, spread: float) -> None:
    """Near points settle in the grid, far ones (up to 5 km out) in the tree: both exact, ties to the lowest edge."""
    rng = np.random.default_rng(seed)
    edges = random_lines(rng, count)
    xy = rng.uniform(-spread, 1000 + spread, size=(2_500, 2))  # enough to build a grid
    found = SegmentIndex(edges).nearest(xy)
    distance = brute_force(edges, xy)
    best = distance.min(axis=1)
    np.testing.assert_allclose(found.distance, best, atol=1e-9)
    # the chosen edge is the first of those at the smallest distance (up to rounding between GEOS and numpy)
    tied = distance <= best[:, None] + 1e-9
    assert (found.edge == tied.argmax(axis=1)).mean() > 0.99
    on_edge = shapely.line_interpolate_point(edges[found.edge], found.offset)
    np.testing.assert_allclose(shapely.distance(shapely.points(xy), on_edge), found.distance, atol=1e-6)


def test_grid_and_tree_paths_agree_and_max_distance_cuts_off() -> None:
    """2,000 points near two streets settle in the grid; one 5 km away and a missing one do not."""
    edges = np.asarray([shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)])])
    index = SegmentIndex(edges)
    rng = np.random.default_rng(3)
    near = np.column_stack([rng.uniform(0, 100, 2_000), rng.uniform(-10, 10, 2_000)])
    xy = np.vstack([[[50.0, 10.0], [50.0, 5000.0], [np.nan, np.nan], [-30.0, -40.0]], near])
    found = index.nearest(xy)
    assert len(index._grids) == 1  # the grid was built and used
    assert max(index._grids) < 4950  # the far point is beyond its reach: the tree answered it
    assert found.edge[:4].tolist() == [0, 1, -1, 0]
    assert found.distance[[0, 1, 3]] == pytest.approx([10.0, 4950.0, 50.0])
    assert found.offset[[0, 1, 3]] == pytest.approx([50.0, 50.0, 0.0])
    assert np.isinf(found.distance[2])
    np.testing.assert_allclose(found.distance[4:], np.abs(near[:, 1]), atol=1e-12)
    for few in (  # few points: the tree alone on a fresh index, the grid built above then the tree: same answers
        SegmentIndex(edges).nearest(xy[:4]),
        index.nearest(xy[:4]),
    ):
        assert few.edge.tolist() == found.edge[:4].tolist()
        np.testing.assert_array_equal(few.distance[[0, 1, 3]], found.distance[[0, 1, 3]])
        np.testing.assert_array_equal(few.offset[[0, 1, 3]], found.offset[[0, 1, 3]])
    limited = index.nearest(xy, max_distance=49.0)
    assert limited.edge[:4].tolist() == [0, -1, -1, -1]


def test_a_point_midway_between_two_edges_goes_to_the_lower_index() -> None:
    edges = np.asarray([shapely.LineString([(0, 10), (100, 10)]), shapely.LineString([(100, -10), (0, -10)])])
    for order in ([0, 1], [1, 0]):
        found = SegmentIndex(edges[order]).nearest(np.array([[30.0, 0.0]]))
        assert found.edge.tolist() == [0]
        assert found.distance.tolist() == [10.0]


def test_duplicate_ways_become_one_edge_whichever_comes_first() -> None:
    """Two identical ways (one drawn backwards) between two junctions: a household and a market on it."""
    way = [(0.0, 0.0), (80.0, 0.0), (200.0, 30.0)]
    streets = [
        shapely.LineString([(0, -100), (0, 0), (0, 100)]),
        shapely.LineString([(200, -100), (200, 30), (200, 100)]),
    ]
    household = shapely.points([[100.0, 8.0]])
    market = shapely.points([[150.0, 25.0]])
    answers = []
    for duplicates in ([way, way[::-1]], [way[::-1], way]):
        lines = [shapely.LineString(duplicates[0]), *streets, shapely.LineString(duplicates[1])]
        network = WalkingNetwork.from_lines(np.asarray(lines, dtype=object))
        assert network.n_edges == 6  # two streets of two edges each, two for both ways (cut at their shared vertex)
        households, markets = network.snap(household), network.snap(market)
        assert households.edge[0] == markets.edge[0]
        answers.append(float(network.nearest_facility_distance(households, markets)[0]))
    # along the shared edge from the household's connection point to the market's, not round by a junction
    along = shapely.LineString(way)
    direct = (
        along.distance(household[0])
        + abs(along.project(market[0]) - along.project(household[0]))
        + along.distance(market[0])
    )
    assert answers[0] == answers[1] == pytest.approx(direct)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), streets=st.integers(2, 12), reversed_share=st.sampled_from([0.0, 0.5]))
def test_queries_in_halves_give_the_brute_force_nearest_with_exact_ties(
    seed: int, streets: int, reversed_share: float
) -> None:
    """Axis-aligned streets 10 m apart, points on a 2.5 m lattice (many exact ties), asked in two halves.

    The snapped distance is the smallest distance over all edges, the edge the lowest of the tied ones,
    and the answers do not depend on what an earlier query built.
    """
    rng = np.random.default_rng(seed)
    edges = crossing_streets(rng, streets, reversed_share)
    xy = rng.integers(-8, 4 * (streets - 1) + 8, size=(4_400, 2)) * 2.5
    index = SegmentIndex(edges)
    halves = [index.nearest(xy[:2_200]), index.nearest(xy[2_200:])]
    once = SegmentIndex(edges).nearest(xy)
    np.testing.assert_array_equal(np.r_[halves[0].edge, halves[1].edge], once.edge)
    np.testing.assert_array_equal(np.r_[halves[0].offset, halves[1].offset], once.offset)
    distance = brute_force(edges, xy)
    best = distance.min(axis=1)
    np.testing.assert_allclose(once.distance, best, rtol=0, atol=1e-12)
    assert (once.edge == (distance <= best[:, None] + 1e-9).argmax(axis=1)).all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), streets=st.integers(2, 10), reversed_share=st.sampled_from([0.0, 0.5]))
def test_blocks_cells_tree_and_brute_force_agree_with_ties_and_points_beyond_reach(
    seed: int, streets: int, reversed_share: float
) -> None:
    """A large query, the same points in small queries (from the cells), the tree alone, and the grid's blocks.

    Axis-aligned streets 10 m apart, points on a 2.5 m lattice reaching 40 m beyond them (many exact ties, and
    points beyond the grid's reach for the tree): every path gives the same edge, offset and distance, bit for
    bit, and those of the brute force.
    """
    rng = np.random.default_rng(seed)
    edges = crossing_streets(rng, streets, reversed_share)
    xy = rng.integers(-16, 4 * (streets - 1) + 16, size=(3_000, 2)) * 2.5
    index = SegmentIndex(edges)
    large = index.nearest(xy)
    grid = index._last_grid
    assert grid is not None
    by_cell = [index.nearest(xy[begin : begin + 1_000]) for begin in range(0, len(xy), 1_000)]
    by_tree = [SegmentIndex(edges).nearest(xy[begin : begin + 1_000]) for begin in range(0, len(xy), 1_000)]
    for answers in (by_cell, by_tree):
        np.testing.assert_array_equal(np.concatenate([a.edge for a in answers]), large.edge)
        np.testing.assert_array_equal(np.concatenate([a.offset for a in answers]), large.offset)
        np.testing.assert_array_equal(np.concatenate([a.distance for a in answers]), large.distance)
    # the grid's own answers, from its blocks and from its cells: the same points settled, the same answers
    blocks, cells = grid.nearest_in_blocks(xy), grid.nearest(xy)
    settled = blocks.distance < grid.reach * (1 - 1e-9)
    np.testing.assert_array_equal(cells.distance < grid.reach * (1 - 1e-9), settled)
    assert 0 < settled.sum() < len(xy)  # some points lie beyond the reach: the tree answered those
    for found in (blocks, cells):
        np.testing.assert_array_equal(found.edge[settled], large.edge[settled])
        np.testing.assert_array_equal(found.offset[settled], large.offset[settled])
        np.testing.assert_array_equal(found.distance[settled], large.distance[settled])
    distance = brute_force(edges, xy)
    best = distance.min(axis=1)
    np.testing.assert_allclose(large.distance, best, rtol=0, atol=1e-12)
    tied = distance <= best[:, None] + 1e-9
    assert (tied.sum(axis=1) > 1).any()  # ties at the crossings
    assert (large.edge == tied.argmax(axis=1)).all()


def test_points_beyond_the_reach_are_settled_by_the_blocks_around_exactly_with_ties() -> None:
    """Streets 10 m apart around a 30 m square without streets, points on a 2.5 m lattice: those in the square
    farther than the reach are answered by the nine blocks around theirs (a reach and a block), bit for bit
    as the tree alone answers them, ties at the square's centre lines included."""
    rng = np.random.default_rng(5)
    at = [0.0, 10.0, 20.0, 50.0, 60.0, 70.0]
    lines = [shapely.LineString([(0.0, y), (70.0, y)]) for y in at] + [
        shapely.LineString([(x, 0.0), (x, 70.0)]) for x in at
    ]
    flips = rng.random(len(lines)) < 0.5
    edges = np.asarray([shapely.reverse(line) if flip else line for line, flip in zip(lines, flips, strict=True)])
    xy = rng.integers(-2, 31, size=(3_000, 2)) * 2.5
    index = SegmentIndex(edges)
    found = index.nearest(xy)
    grid = index._last_grid
    assert grid is not None
    around = grid.nearest_around(xy)
    beyond = (found.distance >= grid.reach) & (found.distance < grid.around * (1 - 1e-9))
    assert beyond.sum() > 30  # points the blocks alone leave open
    tree = SegmentIndex(edges)._from_tree(xy, None)
    for answer in (found, around):
        np.testing.assert_array_equal(answer.edge[beyond], tree.edge[beyond])
        np.testing.assert_array_equal(answer.offset[beyond], tree.offset[beyond])
        np.testing.assert_array_equal(answer.distance[beyond], tree.distance[beyond])
    distance = brute_force(edges, xy)
    tied = distance <= distance.min(axis=1)[:, None] + 1e-9
    assert (tied[beyond].sum(axis=1) > 1).any()  # ties among them too
    assert (found.edge == tied.argmax(axis=1)).all()
    np.testing.assert_allclose(found.distance, distance.min(axis=1), rtol=0, atol=1e-12)
    # a limit beyond the reach: points outside the grid (beyond a reach of the streets' box) within it connect too
    wider = rng.integers(-8, 37, size=(3_000, 2)) * 2.5
    limit = grid.around - 0.5
    everywhere, limited = index.nearest(wider), index.nearest(wider, max_distance=limit)
    near = everywhere.distance <= limit
    assert (near & ~grid._inside(*grid._cell(wider)) & (everywhere.distance > grid.reach)).any()
    np.testing.assert_array_equal(limited.edge, np.where(near, everywhere.edge, -1))
    np.testing.assert_array_equal(limited.distance, np.where(near, everywhere.distance, np.inf))


@pytest.mark.parametrize(("boxes", "columns", "rows"), [(1, 1, 1), (3_000, 300, 200), (70_000, 300, 300)])
def test_the_blocks_csr_lists_every_box_of_every_block_in_order(boxes: int, columns: int, rows: int) -> None:
    """32-bit pairs up to 2**32 (blocks x 2**bits of a box), 64-bit above, several batches of boxes: the same CSR
    as every (box, block) pair written out one by one and sorted stably by block."""
    rng = np.random.default_rng(boxes)
    column, row = rng.integers(0, columns, boxes), rng.integers(0, rows, boxes)
    last_column = np.minimum(column + rng.integers(0, 6, boxes), columns - 1)
    last_row = np.minimum(row + rng.integers(0, 6, boxes), rows - 1)
    pairs = [
        (box, r * columns + c)
        for box in range(boxes)
        for r in range(row[box], last_row[box] + 1)
        for c in range(column[box], last_column[box] + 1)
    ]
    box, block = np.array(pairs).T
    indptr, box_of_block = _box_blocks(column, row, last_column, last_row, columns, columns * rows)
    np.testing.assert_array_equal(indptr, np.r_[0, np.cumsum(np.bincount(block, minlength=columns * rows))])
    np.testing.assert_array_equal(box_of_block, box[np.argsort(block, kind="stable")])


def test_a_first_large_query_reads_the_blocks_unless_crowded_and_later_ones_the_cells() -> None:
    """A network's first large query fills no cell when its points are spread (a point or so to a cell); a second
    one fills them; points crowding into few cells are answered from the cells at once. Exact every time."""
    rng = np.random.default_rng(3)
    edges = crossing_streets(rng, 40, 0.5)  # streets 10 m apart over 390 m
    spread = rng.uniform(0.0, 390.0, size=(4_000, 2))
    crowded = rng.uniform(100.0, 110.0, size=(4_000, 2))
    for xy, filled_at_once in ((spread, False), (crowded, True)):
        index = SegmentIndex(edges)
        first = index.nearest(xy)
        grid = index._last_grid
        assert grid is not None and (len(grid.segment) > 0) == filled_at_once
        second = index.nearest(xy)
        assert len(grid.segment) > 0
        for found in (first, second):
            np.testing.assert_allclose(found.distance, brute_force(edges, xy).min(axis=1), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(first.edge, second.edge)
        np.testing.assert_array_equal(first.offset, second.offset)
