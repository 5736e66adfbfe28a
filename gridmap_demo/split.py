"""Split a polygon into parts of about equal area with gently curving cut lines (future streets and lanes).

The pieces computed here are only a design: the exact coverage is built later by noding all cut lines
together and polygonizing them, so each cut line is returned twice: clipped to the polygon (the street to
draw) and overshooting it by `OVERSHOOT_M` (the line to node; the overshoot dangles and polygonize drops it,
which guarantees the cut meets the lines it ends on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

OVERSHOOT_M = 0.5
# Cut ends closer than this to the end of another cut would make crossing overshoots, i.e. tiny faces.
MIN_END_SPACING_M = 12.0
_ANGLE_OFFSETS_DEG = (0.0, 18.0, -18.0, 36.0, -36.0, 60.0, -60.0, 90.0)
_SEARCH_STEPS = 22
_MIN_COMPACTNESS = 0.22
_GOOD_ENOUGH = 3


@dataclass(frozen=True)
class Cut:
    """One cut line: what to draw and what to node."""

    drawn: BaseGeometry
    noded: BaseGeometry


@dataclass
class CutLog:
    """Cuts made so far, and their end points (kept apart from new ones)."""

    cuts: list[Cut] = field(default_factory=list)
    ends: list[tuple[float, float]] = field(default_factory=list)

    def far_from_ends(self, points: list[tuple[float, float]]) -> bool:
        """True when every point keeps `MIN_END_SPACING_M` from the ends of earlier cuts."""
        if not self.ends:
            return True
        ends = np.asarray(self.ends)
        return all(np.min(np.hypot(ends[:, 0] - x, ends[:, 1] - y)) >= MIN_END_SPACING_M for x, y in points)

    def add(self, cut: Cut) -> None:
        """Record a cut and its end points."""
        self.cuts.append(cut)
        self.ends.extend(_end_points(cut.drawn))


def compactness(polygon: BaseGeometry) -> float:
    """Isoperimetric quotient 4*pi*A/P^2: 1 for a disc, near 0 for a sliver."""
    perimeter = polygon.length
    return 0.0 if perimeter == 0 else 4.0 * math.pi * polygon.area / perimeter**2


def split_polygon(
    polygon: Polygon, parts: int, rng: np.random.Generator, log: CutLog, *, wiggle: float
) -> list[Polygon]:
    """`polygon` cut into `parts` connected pieces of about equal area; the cuts are added to `log`."""
    if parts <= 1:
        return [polygon]
    first = parts // 2 if rng.random() < 0.5 else parts - parts // 2
    # Real blocks are not equal: let the share behind the cut vary by up to 12 % either way.
    fraction = min(max(first / parts * rng.uniform(0.88, 1.12), 0.15), 0.85)
    halves = _bisect(polygon, fraction, rng, log, wiggle=wiggle)
    if halves is None:
        msg = f"could not cut a polygon of {polygon.area:.0f} m2 into {parts} parts"
        raise RuntimeError(msg)
    behind, ahead = halves
    return split_polygon(behind, first, rng, log, wiggle=wiggle) + split_polygon(
        ahead, parts - first, rng, log, wiggle=wiggle
    )


def _bisect(
    polygon: Polygon, fraction: float, rng: np.random.Generator, log: CutLog, *, wiggle: float
) -> tuple[Polygon, Polygon] | None:
    """The best of a few candidate cuts leaving `fraction` of the area behind the line, or None."""
    axis = _long_axis_angle(polygon)
    jitter = rng.uniform(-8.0, 8.0)
    phase = rng.uniform(0.0, 2.0 * math.pi)
    best: tuple[float, Polygon, Polygon, Cut] | None = None
    found = 0
    for offset in _ANGLE_OFFSETS_DEG:
        candidate = _cut_at_angle(polygon, fraction, math.radians(axis + offset + jitter), phase, wiggle)
        if candidate is None:
            continue
        behind, ahead, cut = candidate
        if not log.far_from_ends(_end_points(cut.drawn)):
            continue
        score = min(compactness(behind), compactness(ahead))
        if best is None or score > best[0]:
            best = (score, behind, ahead, cut)
        found += 1
        if found >= _GOOD_ENOUGH:
            break
    if best is None:
        return None
    log.add(best[3])
    return best[1], best[2]


def _cut_at_angle(
    polygon: Polygon, fraction: float, angle: float, phase: float, wiggle: float
) -> tuple[Polygon, Polygon, Cut] | None:
    """Pieces and cut for a curve across `polygon` advancing along direction `angle`, or None if unusable."""
    u = np.array([math.cos(angle), math.sin(angle)])
    v = np.array([-u[1], u[0]])
    coords = shapely.get_coordinates(polygon)
    along, across = coords @ u, coords @ v
    t_low, t_high = float(along.min()), float(along.max())
    s_low, s_high = float(across.min()) - 30.0, float(across.max()) + 30.0
    span = s_high - s_low
    s = np.linspace(s_low, s_high, max(6, int(span / 12.0)))
    # A gentle bend: a sine over the span plus a slower drift, scaled by the `wiggle` fraction of the span.
    bend = wiggle * span * (0.6 * np.sin(2.0 * math.pi * (s - s_low) / span + phase) + 0.4 * np.sin(phase + s / span))
    back = t_low - abs(bend).max() - 50.0
    target = fraction * polygon.area

    def halfplane(t: float) -> Polygon:
        curve = np.outer(t + bend, u) + np.outer(s, v)
        far = np.array([back * u + s_high * v, back * u + s_low * v])
        return Polygon(np.vstack([curve, far]))

    low, high = t_low - abs(bend).max(), t_high + abs(bend).max()
    for _ in range(_SEARCH_STEPS):
        middle = (low + high) / 2.0
        if polygon.intersection(halfplane(middle)).area < target:
            low = middle
        else:
            high = middle
    t = (low + high) / 2.0
    half = halfplane(t)
    behind, ahead = polygon.intersection(half), polygon.difference(half)
    if not (isinstance(behind, Polygon) and isinstance(ahead, Polygon)):
        return None
    if min(compactness(behind), compactness(ahead)) < _MIN_COMPACTNESS:
        return None
    if abs(behind.area - target) > 0.03 * polygon.area:
        return None
    line = LineString(np.outer(t + bend, u) + np.outer(s, v))
    drawn = line.intersection(polygon)
    if not isinstance(drawn, LineString) or drawn.is_empty:
        return None
    noded = line.intersection(polygon.buffer(OVERSHOOT_M, join_style="mitre"))
    return behind, ahead, Cut(drawn=drawn, noded=noded)


def _long_axis_angle(polygon: Polygon) -> float:
    """Direction (degrees) of the long side of the polygon's minimum rotated rectangle."""
    rectangle = shapely.minimum_rotated_rectangle(polygon)
    corners = shapely.get_coordinates(rectangle)[:4]
    sides = np.diff(np.vstack([corners, corners[:1]]), axis=0)
    longest = sides[int(np.argmax(np.hypot(sides[:, 0], sides[:, 1])))]
    return math.degrees(math.atan2(longest[1], longest[0]))


def _end_points(line: BaseGeometry) -> list[tuple[float, float]]:
    """The end points of a (multi)line string."""
    points = shapely.get_coordinates(shapely.boundary(line))
    return [(float(x), float(y)) for x, y in points]
