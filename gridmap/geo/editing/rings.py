"""Vertex-level surgery on WGS-84 polygons that keeps every untouched coordinate bit for bit.

Distances are measured in metres through an affine scale (`MetreScale`, the one `gridmap.geo.crs.LocalMetres`
uses, without its projected CRS, which costs a tenth of a second to build), which keeps the position of a
point along a segment: a point found at fraction t of a segment in metres is computed at the
same fraction in degrees, so that nothing but the new point is ever computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float]
RingMap = Callable[[FloatArray], FloatArray]

ON_BORDER_M = 1e-4  # m: a point this close to a segment lies on it (float noise of computed crossings)
_METRES_PER_DEGREE = 6371008.8 * np.pi / 180.0


@dataclass(frozen=True)
class MetreScale:
    """Metres per degree of longitude (kx) and latitude (ky) around a latitude: for tolerances and lengths."""

    kx: float
    ky: float

    @classmethod
    def at_latitude(cls, lat: float) -> MetreScale:
        """The scale at latitude `lat` (degrees)."""
        return cls(kx=_METRES_PER_DEGREE * float(np.cos(np.radians(lat))), ky=_METRES_PER_DEGREE)

    def to_local(self, geometries: Any) -> Any:
        """WGS-84 geometries scaled to metres (about the origin: only for lengths and distances)."""
        return shapely.transform(geometries, lambda xy: xy * np.array([self.kx, self.ky]))


def map_rings(geometry: BaseGeometry, change: RingMap) -> BaseGeometry:
    """The polygon(s) with every ring's open coordinate array (no closing point) passed through `change`."""

    def ring(coords: FloatArray) -> FloatArray:
        opened = change(np.asarray(coords, dtype=np.float64)[:-1])
        return np.vstack([opened, opened[:1]])

    polygons = [
        shapely.Polygon(ring(np.asarray(p.exterior.coords)), [ring(np.asarray(i.coords)) for i in p.interiors])
        for p in shapely.get_parts(geometry)
        if isinstance(p, shapely.Polygon) and not p.is_empty
    ]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def open_rings(geometry: BaseGeometry) -> list[FloatArray]:
    """Every ring of the polygon(s) as an open coordinate array."""
    found: list[FloatArray] = []
    for polygon in shapely.get_parts(geometry):
        if isinstance(polygon, shapely.Polygon) and not polygon.is_empty:
            for ring in [polygon.exterior, *polygon.interiors]:
                found.append(np.asarray(ring.coords, dtype=np.float64)[:-1])
    return found


def has_vertex(geometry: BaseGeometry, vertex: Point) -> bool:
    """True when `vertex` is exactly one of the geometry's coordinates."""
    xy = shapely.get_coordinates(geometry)
    return bool(np.any((xy[:, 0] == vertex[0]) & (xy[:, 1] == vertex[1])))


def without_repeats(ring: FloatArray) -> FloatArray:
    """The open ring without consecutive duplicate coordinates (wrapping round)."""
    if len(ring) < 2:
        return ring
    keep = np.any(ring != np.roll(ring, 1, axis=0), axis=1)
    return ring[keep] if keep.any() else ring[:1]


def nearest_vertex(geometries: Iterable[BaseGeometry], at: Point, metres: MetreScale, within_m: float) -> Point | None:
    """The existing vertex nearest `at`, if one lies within `within_m` metres."""
    xy = shapely.get_coordinates(np.asarray(list(geometries), dtype=object))
    if not len(xy):
        return None
    distance = np.hypot((xy[:, 0] - at[0]) * metres.kx, (xy[:, 1] - at[1]) * metres.ky)
    best = int(np.argmin(distance))
    if distance[best] > within_m:
        return None
    return float(xy[best, 0]), float(xy[best, 1])


def _segments(geometries: Iterable[BaseGeometry]) -> tuple[FloatArray, FloatArray]:
    """Start and end coordinates of every ring segment of the geometries."""
    starts: list[FloatArray] = []
    ends: list[FloatArray] = []
    for geometry in geometries:
        for ring in open_rings(geometry):
            starts.append(ring)
            ends.append(np.roll(ring, -1, axis=0))
    if not starts:
        return np.zeros((0, 2)), np.zeros((0, 2))
    return np.vstack(starts), np.vstack(ends)


def _project(points: FloatArray, starts: FloatArray, ends: FloatArray, metres: MetreScale) -> tuple[FloatArray, ...]:
    """Fraction along each segment of each point's projection (points x segments) and the distance in metres."""
    scale = np.array([metres.kx, metres.ky])
    a, b, p = starts * scale, ends * scale, points * scale
    direction = b - a
    squared = np.maximum(np.einsum("ij,ij->i", direction, direction), 1e-30)
    t = np.clip(np.einsum("pij,ij->pi", p[:, None, :] - a[None, :, :], direction) / squared, 0.0, 1.0)
    foot = a[None, :, :] + t[:, :, None] * direction[None, :, :]
    return t, np.hypot(*(foot - p[:, None, :]).transpose(2, 0, 1))


def nearest_border_point(
    geometries: Iterable[BaseGeometry], at: Point, metres: MetreScale, within_m: float
) -> Point | None:
    """The point of any border nearest `at` within `within_m` metres: a vertex, or a point on a segment."""
    starts, ends = _segments(geometries)
    if not len(starts):
        return None
    t, distance = _project(np.array([at], dtype=np.float64), starts, ends, metres)
    best = int(np.argmin(distance[0]))
    if distance[0, best] > within_m:
        return None
    fraction = float(t[0, best])
    if fraction <= 0.0:
        return float(starts[best, 0]), float(starts[best, 1])
    if fraction >= 1.0:
        return float(ends[best, 0]), float(ends[best, 1])
    point = starts[best] + fraction * (ends[best] - starts[best])
    return float(point[0]), float(point[1])


def snap_points(points: FloatArray, geometries: list[BaseGeometry], metres: MetreScale, within_m: float) -> FloatArray:
    """Each point on the nearest existing vertex within `within_m` metres, else on the nearest border point."""
    snapped = np.array(points, dtype=np.float64)
    vertices = shapely.get_coordinates(np.asarray(geometries, dtype=object))
    if not len(vertices) or not len(snapped):
        return snapped
    scale = np.array([metres.kx, metres.ky])
    gaps = np.hypot(*((snapped[:, None, :] - vertices[None, :, :]) * scale).transpose(2, 0, 1))
    nearest = np.argmin(gaps, axis=1)
    on_vertex = gaps[np.arange(len(snapped)), nearest] <= within_m
    starts, ends = _segments(geometries)
    t, distance = _project(snapped, starts, ends, metres)
    segment = np.argmin(distance, axis=1)
    on_border = ~on_vertex & (distance[np.arange(len(snapped)), segment] <= within_m)
    fraction = t[np.arange(len(snapped)), segment][:, None]
    foot = np.where(
        fraction <= 0.0,
        starts[segment],
        np.where(fraction >= 1.0, ends[segment], starts[segment] + fraction * (ends[segment] - starts[segment])),
    )
    snapped[on_border] = foot[on_border]
    snapped[on_vertex] = vertices[nearest[on_vertex]]
    return snapped


def insert_on_border(geometry: BaseGeometry, points: FloatArray, metres: MetreScale) -> BaseGeometry | None:
    """The geometry with each point that lies on one of its segments (not already a vertex) inserted there.

    None when no point lies on its border, so that an untouched feature stays the very same object.
    """
    if not len(points):
        return None
    vertices = shapely.get_coordinates(geometry)
    present = (points[:, None, 0] == vertices[None, :, 0]) & (points[:, None, 1] == vertices[None, :, 1])
    points = points[~present.any(axis=1)]
    if not len(points):
        return None
    inserted = False

    def insert(ring: FloatArray) -> FloatArray:
        nonlocal inserted
        starts, ends = ring, np.roll(ring, -1, axis=0)
        t, distance = _project(points, starts, ends, metres)
        on = (distance <= ON_BORDER_M) & (t > 0.0) & (t < 1.0)
        if not on.any():
            return ring
        inserted = True
        point_index, segment = np.nonzero(on)
        # each point once, on the segment it is nearest; then in order along the ring
        order = np.lexsort((distance[point_index, segment], point_index))
        first = order[np.r_[True, point_index[order][1:] != point_index[order][:-1]]]
        point_index, segment = point_index[first], segment[first]
        key = segment + t[point_index, segment]
        rows = np.vstack([ring, points[point_index]])
        keys = np.concatenate([np.arange(len(ring), dtype=np.float64), key])
        return rows[np.argsort(keys, kind="stable")]

    changed = map_rings(geometry, insert)
    return changed if inserted else None
