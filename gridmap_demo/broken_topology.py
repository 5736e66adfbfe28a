"""Topology problems planted in the broken copy: small, measured edits of microgrid and grid geometries."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, Polygon
from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import Level
from gridmap_demo.broken_copy import BrokenCopy, cannot_plant
from gridmap_demo.layout import as_polygon
from gridmap_demo.projection import FloatArray, round_lonlat

PUSH_DEPTH_M = 10.0
OVERLAP_DEPTH_M = 8.0
SLIVER_WIDTH_M = 1.0
BOW_TIE_HEIGHT_M = 0.06
BOW_TIE_MIN_SEGMENT_M = 3.0
_MIN_SHARED_M = 60.0
_MIN_SLIVER_RUN_M = 60.0
_ON_LINE_DEG = 1e-9


def plant_not_nested(work: BrokenCopy) -> None:
    """A microgrid pushed 10 m over its grid's edge into the next grid (which also makes an overlap)."""
    for source, target in _pairs(work, same_grid=False):
        grids = [work.parent(source), work.parent(target)]
        if not work.usable([source, target], grids):
            continue
        pushed = _pushed(work, source, target, PUSH_DEPTH_M)
        if pushed is None:
            continue
        grown, length = pushed
        work.geoms[source] = grown
        own_grid = work.geometry(work.index_of(grids[0]))
        code, other = work.code(source), work.code(target)
        work.plant(
            "not_nested",
            [code],
            Level.MICROGRID,
            work.area(shapely.difference(grown, own_grid)),
            f"microgrid {code} pushed {PUSH_DEPTH_M:.0f} m over the edge of its grid {grids[0]} "
            f"into grid {grids[1]} along {length:.0f} m",
        )
        work.plant(
            "overlap",
            [code, other],
            Level.MICROGRID,
            work.area(shapely.intersection(grown, work.geometry(target))),
            f"the part of {code} pushed out of its grid lies on microgrid {other} of grid {grids[1]}",
            consequence_of="not_nested",
        )
        work.claim([source, target], grids)
        return
    raise cannot_plant("not_nested")


def plant_overlap(work: BrokenCopy) -> None:
    """A microgrid enlarged 8 m into its neighbour in the same grid."""
    for source, target in _pairs(work, same_grid=True):
        grid = work.parent(source)
        if not work.usable([source, target], [grid]):
            continue
        pushed = _pushed(work, source, target, OVERLAP_DEPTH_M)
        if pushed is None:
            continue
        grown, length = pushed
        work.geoms[source] = grown
        code, other = work.code(source), work.code(target)
        work.plant(
            "overlap",
            [code, other],
            Level.MICROGRID,
            work.area(shapely.intersection(grown, work.geometry(target))),
            f"microgrid {code} enlarged {OVERLAP_DEPTH_M:.0f} m into its neighbour {other} in the same grid "
            f"{grid} along {length:.0f} m",
        )
        work.claim([source, target], [grid])
        return
    raise cannot_plant("overlap")


def plant_gap(work: BrokenCopy, exterior: LinearRing) -> None:
    """An inner microgrid deleted, leaving a hole in its grid and in the microgrid level."""
    for index in work.spread(work.indices(Level.MICROGRID), work.code):
        grid = work.parent(index)
        siblings = work.children(grid)
        if len(siblings) < 3 or not work.usable([index], [grid]):
            continue
        if work.geometry(index).distance(exterior) < 1e-4:  # about 10 m: keep the gap clear of the edge
            continue
        area = work.area(work.geometry(index))
        work.deleted.add(index)
        code = work.code(index)
        work.plant(
            "gap",
            [grid],
            Level.MICROGRID,
            area,
            f"microgrid {code} deleted: its grid {grid} has an uncovered hole of that microgrid's area",
        )
        work.claim([index], [grid])
        return
    raise cannot_plant("gap")


def plant_sliver(work: BrokenCopy, exterior: LinearRing) -> None:
    """A 1 m wide strip split off a microgrid along the town edge; the coverage stays exact."""
    for index in work.spread(work.indices(Level.MICROGRID), work.code):
        grid = work.parent(index)
        props = work.props[index]
        if props["households_target"] < 60 or not work.usable([index], [grid]):
            continue
        split = _split_strip(work, work.geometry(index), exterior)
        if split is None:
            continue
        main, strip = split
        code = work.next_child_code(grid, Level.MICROGRID)
        work.geoms[index] = main
        props["households_target"] -= 30
        work.add({**props, "code": code, "name": f"{props['name']}边角地", "households_target": 30}, strip)
        work.plant(
            "sliver",
            [code],
            Level.MICROGRID,
            work.area(strip),
            f"microgrid {code}: a {SLIVER_WIDTH_M:.0f} m wide strip split off {props['code']} along the town edge",
        )
        work.claim([index], [grid])
        return
    raise cannot_plant("sliver")


def plant_invalid_geometry(work: BrokenCopy, exterior: LinearRing) -> None:
    """A bow-tie: on a microgrid's edge along the town boundary the ring crosses itself once."""
    candidates = []
    for index in work.spread(work.indices(Level.MICROGRID), work.code):
        if work.usable([index], [work.parent(index)]):
            twisted = _bow_tie(work, work.geometry(index), exterior)
            if twisted is not None:
                candidates.append((twisted[1], index, twisted[0]))
    if not candidates:
        raise cannot_plant("invalid_geometry")
    # The shortest twisted segment changes a repaired geometry least.
    _, index, bow_tie = min(candidates, key=lambda candidate: candidate[0])
    extra = work.area(shapely.make_valid(bow_tie)) - work.area(work.geometry(index))
    work.geoms[index] = bow_tie
    code = work.code(index)
    work.plant(
        "invalid_geometry",
        [code],
        Level.MICROGRID,
        None,
        f"microgrid {code}: its ring crosses itself in a small bow-tie on the town edge; repaired with "
        f"make_valid it gains {extra:.2f} m2 outside the town and is otherwise the original microgrid",
    )
    work.claim([index], [work.parent(index)])


def plant_edge_mismatch(work: BrokenCopy) -> None:
    """An extra vertex, exactly on the straight edge, on one side only of an edge two grids share."""
    grids = work.spread(work.indices(Level.GRID), work.code)
    for first in grids:
        for second in grids:
            if first == second or not work.free(work.code(first), work.code(second)):
                continue
            changed = _with_extra_vertex(work, work.geometry(first), work.geometry(second))
            if changed is None:
                continue
            work.geoms[first] = changed
            codes = [work.code(first), work.code(second)]
            work.plant(
                "edge_mismatch",
                codes,
                Level.GRID,
                None,
                f"grid {codes[0]} has an extra vertex on the straight edge it shares with grid {codes[1]}, "
                "which the other side lacks (no gap, no overlap)",
            )
            work.claim([], codes)
            return
    raise cannot_plant("edge_mismatch")


def _pairs(work: BrokenCopy, *, same_grid: bool) -> list[tuple[int, int]]:
    """Neighbouring microgrid pairs with a long shared edge, in the same grid or in different grids."""
    pairs = [
        (a, b)
        for a, near in work.neighbours.items()
        for b, length in near.items()
        if length >= _MIN_SHARED_M and (work.parent(a) == work.parent(b)) == same_grid
    ]
    return work.spread(sorted(pairs), lambda pair: work.code(pair[0]))


def _pushed(work: BrokenCopy, source: int, target: int, depth: float) -> tuple[Polygon, float] | None:
    """`source` grown `depth` metres into `target` along the middle half of their shared edge, in WGS-84.

    The bulge leaves the edge at its last vertex before the middle half and rejoins it at the first one
    after, so every vertex of the edge outside the bulge stays put and the rest of both rings still match;
    only the new vertices, all inside `target`, are rounded.
    """
    ring = _ring(work.geometry(source))
    runs = _runs_on(ring, work.geometry(target).boundary)
    if not runs:
        return None
    start, count = max(runs, key=lambda run: run[1])
    rolled = np.roll(ring[:-1], -start, axis=0)
    path = work.frame.lonlat_to_local(rolled[: count + 1])
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    low, high = 0.25 * along[-1], 0.75 * along[-1]
    if high - low < 20.0:
        return None
    leave = int(np.searchsorted(along, low, side="right")) - 1
    rejoin = int(np.searchsorted(along, high, side="left"))
    stations = [low, *along[(along > low) & (along < high)], high]
    line = LineString(path)
    # `target` lies to the right of the edge as the counter-clockwise ring of `source` runs along it.
    bulge_local = np.array([_offset_left(line, float(station), -depth) for station in stations])
    bulge = work.frame.local_to_lonlat(bulge_local)
    grown = Polygon(np.vstack([rolled[: leave + 1], bulge, rolled[rejoin:]]))
    if not grown.is_valid:
        return None
    before = shapely.union(work.geometry(source), work.geometry(target))
    if work.area(shapely.difference(grown, before)) > 0.0:
        return None
    return grown, float(high - low)


def _ring(polygon: BaseGeometry) -> FloatArray:
    """The exterior ring coordinates of a polygon (closed)."""
    return np.asarray(as_polygon(polygon, "a planted microgrid").exterior.coords, dtype=np.float64)


def _runs_on(ring: FloatArray, line: BaseGeometry) -> list[tuple[int, int]]:
    """Runs (start vertex, segment count) of consecutive ring segments lying on `line`."""
    middles = (ring[:-1] + ring[1:]) / 2.0
    on_line = np.asarray(shapely.distance(shapely.points(middles), line) < _ON_LINE_DEG, dtype=bool)
    count = len(on_line)
    if on_line.all() or not on_line.any():
        return []
    start = int(np.flatnonzero(~on_line)[0])  # begin scanning just after a segment off the line
    runs: list[tuple[int, int]] = []
    length = 0
    for step in range(1, count + 1):
        k = (start + step) % count
        if on_line[k]:
            length += 1
            continue
        if length:
            runs.append(((k - length) % count, length))
        length = 0
    return runs


def _split_strip(work: BrokenCopy, polygon: BaseGeometry, exterior: LinearRing) -> tuple[Polygon, Polygon] | None:
    """`polygon` split into its main part and a thin strip along its longest run on the town edge."""
    ring = _ring(polygon)
    open_ring = ring[:-1]
    best: tuple[float, int, int] | None = None
    for start, count in _runs_on(ring, exterior):
        path = np.roll(open_ring, -start, axis=0)[: count + 1]
        length = float(LineString(work.frame.lonlat_to_local(path)).length)
        if length >= _MIN_SLIVER_RUN_M and (best is None or length > best[0]):
            best = (length, start, count)
    if best is None:
        return None
    _, start, count = best
    rolled = np.roll(open_ring, -start, axis=0)
    outer = rolled[: count + 1]
    line = LineString(work.frame.lonlat_to_local(outer))
    steps = np.arange(10.0, line.length - 9.9, 8.0)
    inner_local = np.array([_offset_left(line, float(s), SLIVER_WIDTH_M) for s in steps])
    inner = work.frame.local_to_lonlat(inner_local)
    strip = Polygon(np.vstack([outer, inner[::-1]]))
    main = Polygon(np.vstack([outer[:1], inner, rolled[count:]]))
    if not (strip.is_valid and main.is_valid and shapely.coverage_is_valid(np.array([strip, main]), gap_width=0.0)):
        return None
    if abs(work.area(strip) + work.area(main) - work.area(polygon)) > 0.01:
        return None
    return main, strip


def _offset_left(line: LineString, distance: float, offset: float) -> tuple[float, float]:
    """The point `distance` along `line`, moved `offset` to its left (inside a counter-clockwise ring)."""
    ahead, behind = line.interpolate(min(distance + 0.5, line.length)), line.interpolate(max(distance - 0.5, 0.0))
    dx, dy = ahead.x - behind.x, ahead.y - behind.y
    norm = math.hypot(dx, dy)
    point = line.interpolate(distance)
    return point.x - dy / norm * offset, point.y + dx / norm * offset


def _bow_tie(work: BrokenCopy, polygon: BaseGeometry, exterior: LinearRing) -> tuple[Polygon, float] | None:
    """`polygon` twisted into a bow-tie on its shortest segment (of 3 m or more) along the town edge.

    The ring runs P, B, A, Q where P-Q is the edge segment and B, A sit 6 cm outside at 2/3 and 1/3 of it,
    so P-B and A-Q cross once. P and Q are the original vertices, so nothing else moves; the lobes hold
    about 0.4 * |PQ| * 6 cm of area, all outside the town.
    """
    ring = _ring(polygon)
    local = work.frame.lonlat_to_local(ring)
    segments = [(start + i) % (len(ring) - 1) for start, count in _runs_on(ring, exterior) for i in range(count)]
    lengths = {k: float(np.hypot(*(local[k + 1] - local[k]))) for k in segments}
    usable = sorted((length, k) for k, length in lengths.items() if length >= BOW_TIE_MIN_SEGMENT_M)
    if not usable:
        return None
    length, k = usable[0]
    p, q = local[k], local[k + 1]
    along = (q - p) / length
    lift = BOW_TIE_HEIGHT_M * np.array([along[1], -along[0]])  # right of travel: outside a CCW ring
    twist = np.array([p + length * 2.0 / 3.0 * along + lift, p + length / 3.0 * along + lift])
    bow_tie = Polygon(np.vstack([ring[: k + 1], work.frame.local_to_lonlat(twist), ring[k + 1 :]]))
    if bow_tie.is_valid or "Self-intersection" not in shapely.is_valid_reason(bow_tie):
        return None
    return bow_tie, length


def _with_extra_vertex(work: BrokenCopy, polygon: BaseGeometry, other: BaseGeometry) -> Polygon | None:
    """`polygon` with one vertex added exactly on a segment it shares with `other`, or None.

    The vertex is the segment's midpoint where that is exactly representable both as a double and as a
    7-decimal number: then it lies on the segment in exact arithmetic (no gap, no overlap, not even a
    rounding sliver) and survives writing unchanged.
    """
    if polygon.distance(other) > 0:
        return None
    ring = _ring(polygon)
    middles = (ring[:-1] + ring[1:]) / 2.0
    shared = shapely.distance(shapely.points(middles), other.boundary) < _ON_LINE_DEG
    local = work.frame.lonlat_to_local(ring)
    for k in np.flatnonzero(shared):
        if float(np.hypot(*(local[k + 1] - local[k]))) < 10.0:
            continue
        exact = [(Fraction(float(a)) + Fraction(float(b))) / 2 for a, b in zip(ring[k], ring[k + 1], strict=True)]
        vertex = [float(value) for value in exact]
        if any(Fraction(v) != e for v, e in zip(vertex, exact, strict=True)):
            continue
        if any(float(round_lonlat(np.array(v))) != v for v in vertex):
            continue
        changed = Polygon(np.vstack([ring[: k + 1], np.array([vertex]), ring[k + 1 :]]))
        if changed.is_valid:
            return changed
    return None
