"""Walking isochrones: the part of the network reachable from a facility within a time budget, as a polygon.

The reachable network is exact: an edge is kept whole when its two ends together leave enough budget to
walk it, otherwise cut at the precise remaining distance from each end; the facility's own edge is also
walked directly from its connection point. The polygon is those reachable lines (and the facility's
connector) buffered by a street half-width and unioned. The half-width (default 25 m) stands for the
buildings along a street, whose doors open onto it: a household 20 m off a reachable street is reachable,
one 200 m away across a river is not, however close as the crow flies. It is a presentation choice; who
is actually reached is answered exactly by `WalkingNetwork.nearest_facility`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from gridmap.geo.network import (
    DEFAULT_WALKING_SPEED,
    FloatArray,
    GeometryArray,
    IndexArray,
    Snapped,
    WalkingNetwork,
    walking_metres,
)

LIFE_CIRCLE_MINUTES: tuple[int, ...] = (5, 10, 15)
"""The life-circle levels of GB 50180-2018 in minutes of walking."""

STREET_HALF_WIDTH = 25.0
"""Metres on either side of a reachable street line that an isochrone polygon covers."""

_QUAD_SEGS = 4  # segments per quarter circle in the buffers' round ends: smooth enough to draw
_BATCH_CELLS = 4_000_000  # sources x (nodes + edges) handled at once, to bound memory


@dataclass(frozen=True)
class Reach:
    """Reachable stretches of the network: for each row, source `source` reaches `edge` from `start` to `end`.

    Positions are metres along the edge from its start node. Stretches of one edge may overlap.
    """

    source: IndexArray
    edge: IndexArray
    start: FloatArray
    end: FloatArray


def reaches(network: WalkingNetwork, sources: Snapped, distances: Sequence[float]) -> list[Reach]:
    """For each distance (m), the stretches of edges each source reaches walking at most that far."""
    budgets = np.asarray(distances, dtype=np.float64)
    collected: list[list[Reach]] = [[] for _ in budgets]
    ok = np.flatnonzero(sources.connected)
    if not len(ok) or not len(budgets):
        return [_concat(parts) for parts in collected]
    graph = network.source_graph(sources)
    batch = max(1, _BATCH_CELLS // (network.n_nodes + network.n_edges + 1))
    for begin in range(0, len(ok), batch):
        chosen = ok[begin : begin + batch]
        node_distance = dijkstra(graph, directed=True, indices=network.n_nodes + chosen, limit=float(budgets.max()))
        node_distance = np.asarray(node_distance, dtype=np.float64)[:, : network.n_nodes]
        for parts, budget in zip(collected, budgets, strict=True):
            parts.append(_from_ends(network, chosen, node_distance, budget))
            parts.append(_own_edge(network, sources, chosen, budget))
    return [_concat(parts) for parts in collected]


def reach_lines(network: WalkingNetwork, reach: Reach) -> GeometryArray:
    """The reachable stretches as LineStrings (one per row of `reach`), cut exactly from the edge geometry."""
    if not len(reach.edge):
        return np.empty(0, dtype=object)
    coords, owner = shapely.get_coordinates(network.edges, return_index=True)
    step = np.hypot(*np.diff(coords, axis=0).T)
    step[owner[1:] != owner[:-1]] = 0.0  # no length between one edge's last vertex and the next one's first
    along = np.r_[0.0, np.cumsum(step)]  # non-decreasing over all edges: edge e spans along[first[e]:last[e]+1]
    first = np.searchsorted(owner, np.arange(network.n_edges), side="left")
    last = np.searchsorted(owner, np.arange(network.n_edges), side="right") - 1
    edge = reach.edge
    lo = np.searchsorted(along, along[first[edge]] + reach.start, side="right")
    hi = np.searchsorted(along, along[first[edge]] + reach.end, side="left")
    lo = np.maximum(lo, first[edge] + 1)  # vertices strictly inside the stretch: lo <= i < hi
    hi = np.maximum(np.minimum(hi, last[edge]), lo)
    start_xy = shapely.get_coordinates(shapely.line_interpolate_point(network.edges[edge], reach.start))
    end_xy = shapely.get_coordinates(shapely.line_interpolate_point(network.edges[edge], reach.end))
    count = hi - lo + 2
    piece = np.repeat(np.arange(len(edge)), count)
    position = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    is_start, is_end = position == 0, position == count[piece] - 1
    inner = ~is_start & ~is_end
    xy = np.empty((len(piece), 2))
    xy[is_start] = start_xy
    xy[is_end] = end_xy
    xy[inner] = coords[lo[piece[inner]] + position[inner] - 1]
    return np.asarray(shapely.linestrings(xy, indices=piece), dtype=object)


def isochrones(
    network: WalkingNetwork,
    facilities: Snapped,
    *,
    minutes: Sequence[float] = LIFE_CIRCLE_MINUTES,
    speed: float = DEFAULT_WALKING_SPEED,
    half_width: float = STREET_HALF_WIDTH,
) -> GeometryArray:
    """Isochrone polygons, shape (facilities, budgets): reachable streets buffered by `half_width` m.

    The facility's connector counts as walked; a facility farther from every street than the budget gets just
    the disc around the part of its connector it can walk. A facility that could not be connected to the
    network gets an empty polygon.
    """
    distances = [walking_metres(m, speed=speed) for m in minutes]
    result = np.full((len(facilities), len(distances)), shapely.Polygon(), dtype=object)
    for column, (distance, reach) in enumerate(zip(distances, reaches(network, facilities, distances), strict=True)):
        connectors, connected = _connector_lines(network, facilities, distance)
        lines = np.concatenate([reach_lines(network, reach), connectors])
        owner = np.concatenate([reach.source, connected])
        if len(lines):
            owners, polygons = _union_of_buffers(lines, owner, half_width)
            result[owners, column] = polygons
    return result


def _union_of_buffers(lines: GeometryArray, owner: IndexArray, half_width: float) -> tuple[IndexArray, GeometryArray]:
    """Per owner, the union of its lines' buffers (much faster in GEOS than buffering a MultiLineString).

    Each owner's buffers go into one row of a None-padded table, unioned row by row in one call.
    """
    order = np.argsort(owner, kind="stable")
    owners, first, count = np.unique(owner[order], return_index=True, return_counts=True)
    table = np.full((len(owners), int(count.max())), None, dtype=object)
    row = np.repeat(np.arange(len(owners)), count)
    table[row, np.arange(len(order)) - first[row]] = shapely.buffer(lines[order], half_width, quad_segs=_QUAD_SEGS)
    return owners, np.asarray(shapely.union_all(table, axis=1), dtype=object)


def _from_ends(network: WalkingNetwork, chosen: IndexArray, node_distance: FloatArray, budget: float) -> Reach:
    """Stretches reached through an edge's end nodes: whole edges, or a cut from each end."""
    left_u = budget - node_distance[:, network.edge_u]  # budget left on arriving at each edge's start node
    left_v = budget - node_distance[:, network.edge_v]
    row, edge = np.nonzero((left_u > 0) | (left_v > 0))
    # budget left in metres of this edge, whose metres weigh its factor
    left_u, left_v = left_u[row, edge] / network.edge_factor[edge], left_v[row, edge] / network.edge_factor[edge]
    length = network.edge_length[edge]
    whole = left_u + left_v >= length
    from_u = ~whole & (left_u > 0)
    from_v = ~whole & (left_v > 0)
    return Reach(
        source=chosen[np.r_[row[whole], row[from_u], row[from_v]]],
        edge=np.r_[edge[whole], edge[from_u], edge[from_v]],
        start=np.r_[np.zeros(int(whole.sum()) + int(from_u.sum())), np.maximum(length[from_v] - left_v[from_v], 0.0)],
        end=np.r_[length[whole], np.minimum(left_u[from_u], length[from_u]), length[from_v]],
    )


def _own_edge(network: WalkingNetwork, sources: Snapped, chosen: IndexArray, budget: float) -> Reach:
    """The stretch of each source's own edge walked directly from its connection point."""
    left = budget - sources.connector[chosen]
    inside = chosen[left > 0]
    edge = sources.edge[inside]
    left = left[left > 0] / network.edge_factor[edge]
    offset = sources.offset[inside]
    start = np.maximum(offset - left, 0.0)
    end = np.minimum(offset + left, network.edge_length[edge])
    return Reach(source=inside, edge=edge, start=start, end=end)


def _connector_lines(network: WalkingNetwork, sources: Snapped, budget: float) -> tuple[GeometryArray, IndexArray]:
    """Connectors (from the source towards its edge, cut after `budget` metres) and their sources."""
    ok = np.flatnonzero(sources.connected & (sources.connector > 0))
    on_edge = shapely.get_coordinates(
        shapely.line_interpolate_point(network.edges[sources.edge[ok]], sources.offset[ok])
    )
    here = sources.xy[ok]
    connector = sources.connector[ok]
    there = here + (on_edge - here) * (np.minimum(connector, budget) / connector)[:, None]
    return np.asarray(shapely.linestrings(np.stack([here, there], axis=1)), dtype=object), ok


def _concat(parts: list[Reach]) -> Reach:
    """One Reach from several."""
    if not parts:
        return Reach(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros(0))
    return Reach(
        source=np.concatenate([p.source for p in parts]).astype(np.intp),
        edge=np.concatenate([p.edge for p in parts]).astype(np.intp),
        start=np.concatenate([p.start for p in parts]),
        end=np.concatenate([p.end for p in parts]),
    )
