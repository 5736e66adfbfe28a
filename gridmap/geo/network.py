"""Walking network: street lines noded into a graph, points connected to it, nearest-facility distances.

Lines must be in a metric CRS; every length is in metres. Lines are joined only where they share a vertex
(OpenStreetMap's convention: streets that cross without a shared node are a bridge over a tunnel or a
river), so a footbridge is the only way across a river unless the data says otherwise.

A household or facility is connected to the nearest point on the nearest edge (not the nearest node) by a
straight connector whose length counts. That edge is split there virtually: from the connection point the
walk goes either way along the edge to its end nodes, and a household and a facility on the same edge also
reach each other directly along it. An edge's metres may weigh more than a flat path's (`edge_factor`:
steps for elderly walkers), so routes minimise metres times factor. Shortest paths run in
scipy.sparse.csgraph: each facility becomes an extra source node with one-way edges to its edge's two end
nodes, weighted by connector plus the along-edge part, so a multi-source Dijkstra over those sources gives
exact distances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from gridmap.geo.snapping import SegmentIndex

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
GeometryArray = npt.NDArray[np.object_]

DEFAULT_WALKING_SPEED = 1.0
"""Walking speed in m/s for elderly-friendly planning.

GB 50180-2018 (urban residential area planning) pairs its 5-, 10- and 15-minute life circles with walking
distances of 300 m, 500 m and 800-1,000 m, i.e. 0.8-1.1 m/s; 1.0 m/s sits in that range and near the 3 ft/s
(0.91 m/s) that the US MUTCD (2009, section 4E.06) prescribes for crossings used by slower pedestrians,
well below the 1.2-1.4 m/s of an average adult.
"""

STEPS_FACTOR = 2.0
"""How many metres of flat path a metre of steps is worth, by default.

Older adults climb and descend stairs at roughly half their walking pace on the level, and stairs are where
they hesitate, hold the rail or look for another way; 2 keeps steps usable but makes a ramp or a level
street of up to twice the length preferred.
"""


@dataclass(frozen=True)
class Snapped:
    """Points connected to a network: the edge, the position along it and the connector length, per point.

    `edge` is -1 (and `connector` infinite) for a point that could not be connected.
    """

    xy: FloatArray  # (n, 2) the points themselves
    edge: IndexArray  # index of the nearest edge
    offset: FloatArray  # metres along that edge from its start node to the connection point
    connector: FloatArray  # metres from the point to the connection point

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def connected(self) -> npt.NDArray[np.bool_]:
        """Which points reached an edge."""
        return self.edge >= 0

    def take(self, index: IndexArray) -> Snapped:
        """Some of the points, in the order of `index`."""
        return Snapped(
            xy=self.xy[index], edge=self.edge[index], offset=self.offset[index], connector=self.connector[index]
        )


@dataclass(frozen=True)
class NearestFacility:
    """Per household: walking distance (m) to the nearest facility and that facility's index (-1: none)."""

    distance: FloatArray
    facility: IndexArray

    def seconds(self, speed: float = DEFAULT_WALKING_SPEED) -> FloatArray:
        """Walking time in seconds at `speed` m/s."""
        return walking_seconds(self.distance, speed=speed)


def walking_seconds(distance: FloatArray, *, speed: float = DEFAULT_WALKING_SPEED) -> FloatArray:
    """Walking time in seconds for distances in metres at `speed` m/s (default: `DEFAULT_WALKING_SPEED`)."""
    if not speed > 0:
        msg = f"walking speed must be positive, got {speed} m/s"
        raise ValueError(msg)
    return np.asarray(distance, dtype=np.float64) / speed


def walking_metres(minutes: float, *, speed: float = DEFAULT_WALKING_SPEED) -> float:
    """How far one walks in `minutes` at `speed` m/s: 5, 10, 15 minutes at the default are 300, 600, 900 m."""
    if not speed > 0:
        msg = f"walking speed must be positive, got {speed} m/s"
        raise ValueError(msg)
    return float(minutes) * 60.0 * speed


class WalkingNetwork:
    """An undirected street graph whose edges keep their line geometry; build it with `from_lines`."""

    def __init__(
        self,
        node_xy: FloatArray,
        edges: GeometryArray,
        edge_u: IndexArray,
        edge_v: IndexArray,
        edge_factor: FloatArray | None = None,
    ) -> None:
        self.node_xy = node_xy
        self.edges = edges
        self.edge_u = edge_u
        self.edge_v = edge_v
        self.edge_length: FloatArray = shapely.length(edges).astype(np.float64)
        self.edge_factor: FloatArray = np.ones(len(edges)) if edge_factor is None else edge_factor
        """Walking effort per metre of each edge relative to a flat path (steps: more than 1)."""
        self.edge_cost: FloatArray = self.edge_length * self.edge_factor
        """Each edge's length times its factor: the metres of flat path it is worth, which routes minimise."""
        self._segments = SegmentIndex(edges)
        # where each edge begins on one line through all edges, a metre apart: `place` orders (edge, offset)
        self._edge_start: FloatArray = np.r_[0.0, np.cumsum(self.edge_length + 1.0)[:-1]]
        rows, cols, weights = _symmetric_min_edges(edge_u, edge_v, self.edge_cost)
        self._street_graph = sp.csr_array((weights, (rows, cols)), shape=(len(node_xy), len(node_xy)))

    @property
    def n_nodes(self) -> int:
        """Number of street nodes (junctions and dead ends)."""
        return len(self.node_xy)

    @property
    def street_graph(self) -> sp.csr_array:
        """Node-to-node adjacency, both directions, weighted by the shortest edge between them (no self-loops)."""
        return self._street_graph

    @property
    def n_edges(self) -> int:
        """Number of street edges between nodes."""
        return len(self.edges)

    @classmethod
    def from_lines(
        cls, lines: npt.ArrayLike, *, precision: float = 1e-3, factor: npt.ArrayLike | None = None
    ) -> WalkingNetwork:
        """Node LineStrings (metric CRS) where they share an endpoint or vertex; edges run between nodes.

        Coordinates closer than `precision` metres (on a grid of that size) count as the same vertex.
        MultiLineStrings are split into their parts; empty and zero-length lines are dropped, and so are
        edges identical to an earlier one (duplicate ways; the one with the smallest factor is kept).
        `factor` (one per line, at least 1; default 1) weighs a line's metres, e.g. steps for the elderly.
        """
        geometries = np.asarray(lines, dtype=object)
        line_factor = np.ones(len(geometries)) if factor is None else np.asarray(factor, dtype=np.float64)
        if line_factor.shape != (len(geometries),) or not (line_factor >= 1).all():
            msg = "factor needs one value of at least 1 per line"
            raise ValueError(msg)
        parts, owner = shapely.get_parts(geometries, return_index=True)
        is_line = shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING
        parts, part_factor = parts[is_line], line_factor[owner[is_line]]
        coords, line = shapely.get_coordinates(parts, return_index=True)
        vertex, node_xy_all = _merge_vertices(coords, precision)
        # drop repeated vertices inside a line, then lines left with fewer than two vertices
        keep = np.ones(len(vertex), dtype=bool)
        keep[1:] = (vertex[1:] != vertex[:-1]) | (line[1:] != line[:-1])
        vertex, line = vertex[keep], line[keep]
        first = np.r_[True, line[1:] != line[:-1]] if len(line) else np.zeros(0, dtype=bool)
        last = np.r_[line[1:] != line[:-1], True] if len(line) else np.zeros(0, dtype=bool)
        single = first & last
        vertex, line, first, last = vertex[~single], line[~single], first[~single], last[~single]
        # a node is a line end or a vertex used more than once (by several lines, or twice by one)
        uses = np.bincount(vertex, minlength=len(node_xy_all))
        is_node = first | last | (uses[vertex] > 1)
        node_of_vertex = np.full(len(node_xy_all), -1, dtype=np.intp)
        node_vertices = np.unique(vertex[is_node])
        node_of_vertex[node_vertices] = np.arange(len(node_vertices))
        edges, starts, ends = _split_at_nodes(node_xy_all[vertex], is_node, last)
        edge_factor = part_factor[line[starts]]
        # a street mapped twice (duplicate ways, either direction) gives identical edges: keep one, so that
        # every point near it snaps to that one edge and points on it reach each other along it
        by_factor = np.argsort(edge_factor, kind="stable")
        _, first = np.unique(shapely.to_wkb(shapely.normalize(edges[by_factor])), return_index=True)
        kept = np.sort(by_factor[first])
        edge_u = node_of_vertex[vertex[starts[kept]]]
        edge_v = node_of_vertex[vertex[ends[kept]]]
        return cls(node_xy_all[node_vertices], edges[kept], edge_u, edge_v, edge_factor[kept])

    def snap(self, points: npt.ArrayLike, *, max_connector: float | None = None) -> Snapped:
        """Connect each point to the nearest point on the nearest edge (edge -1 if none within `max_connector`)."""
        return self.snap_xy(point_coordinates(points), max_connector=max_connector)

    def snap_xy(self, xy: FloatArray, *, max_connector: float | None = None) -> Snapped:
        """`snap` for coordinates, one (x, y) row per point (NaN rows: not connected)."""
        nearest = self._segments.nearest(xy, max_distance=max_connector)
        offset = (
            np.minimum(nearest.offset, self.edge_length[np.maximum(nearest.edge, 0)])
            if self.n_edges
            else nearest.offset
        )
        return Snapped(xy=xy, edge=nearest.edge, offset=offset, connector=nearest.distance)

    def source_graph(self, sources: Snapped) -> sp.csr_array:
        """The street graph plus one node per source (numbered after the street nodes) with one-way edges out.

        Each source's edges go to its edge's two end nodes, weighted connector + along-edge distance, so
        no path can pass through a source.
        """
        ok = np.flatnonzero(sources.connected)
        edge = sources.edge[ok]
        to_u = sources.connector[ok] + sources.offset[ok] * self.edge_factor[edge]
        to_v = sources.connector[ok] + (self.edge_length[edge] - sources.offset[ok]) * self.edge_factor[edge]
        # a source on a self-loop edge has two entries to the same node: keep the shorter
        rows, cols, weights = _min_per_pair(
            np.r_[ok, ok], np.r_[self.edge_u[edge], self.edge_v[edge]], np.r_[to_u, to_v]
        )
        # the sources' rows follow the streets' rows: extend the street graph's arrays, no re-sorting
        street = self._street_graph
        per_source = np.bincount(rows, minlength=len(sources))
        indptr = np.r_[street.indptr, street.indptr[-1] + np.cumsum(per_source)]
        size = self.n_nodes + len(sources)
        return sp.csr_array((np.r_[street.data, weights], np.r_[street.indices, cols], indptr), shape=(size, size))

    def node_distances(self, sources: Snapped, *, limit: float = np.inf) -> tuple[FloatArray, IndexArray]:
        """Distance from the nearest source to every street node, and which source that is (-1: none)."""
        distance = np.full(self.n_nodes, np.inf)
        nearest = np.full(self.n_nodes, -1, dtype=np.intp)
        ok = np.flatnonzero(sources.connected)
        if not len(ok) or not self.n_nodes:
            return distance, nearest
        graph = self.source_graph(sources)
        all_distance, _, origin = dijkstra(
            graph, directed=True, indices=self.n_nodes + ok, limit=limit, min_only=True, return_predecessors=True
        )
        distance = np.asarray(all_distance[: self.n_nodes], dtype=np.float64)
        origin = np.asarray(origin[: self.n_nodes], dtype=np.intp)
        nearest = np.where(origin >= 0, origin - self.n_nodes, -1)
        return distance, nearest

    def nearest_facility(self, households: Snapped, facilities: Snapped) -> NearestFacility:
        """Walking distance from each household to its nearest facility (inf when unreachable)."""
        node_distance, node_facility = self.node_distances(facilities)
        return self.from_node_distances(households, facilities, node_distance, node_facility)

    def nearest_facility_distance(self, households: Snapped, facilities: Snapped) -> FloatArray:
        """Walking distance in metres from each household to its nearest facility (inf when unreachable)."""
        return self.nearest_facility(households, facilities).distance

    def nearest_facilities(
        self, households: Snapped, facilities_by_type: Mapping[str, Snapped]
    ) -> dict[str, NearestFacility]:
        """`nearest_facility` for every facility type, the households' side done for all types at once."""
        types = self._node_distances_by_type(facilities_by_type)
        distance, facility = self._from_anchors(len(households), self.household_ends(households), types)
        assert facility is not None  # asked for
        return {kind: NearestFacility(distance[row], facility[row]) for row, kind in enumerate(facilities_by_type)}

    def nearest_distances(self, households: Snapped, facilities_by_type: Mapping[str, Snapped]) -> FloatArray:
        """The distances of `nearest_facilities` alone (not which facility): one row per type, in order."""
        types = self._node_distances_by_type(facilities_by_type)
        return self._from_anchors(len(households), self.household_ends(households), types, facility=False)[0]

    def _node_distances_by_type(
        self, facilities_by_type: Mapping[str, Snapped]
    ) -> list[tuple[Snapped, FloatArray, IndexArray]]:
        """Each type's facilities with their `node_distances`."""
        return [(facilities, *self.node_distances(facilities)) for facilities in facilities_by_type.values()]

    def from_node_distances(
        self,
        households: Snapped,
        facilities: Snapped,
        node_distance: FloatArray,
        node_facility: IndexArray,
        *,
        ends: HouseholdEnds | None = None,
    ) -> NearestFacility:
        """Household distances from each node's distance to its nearest facility (as `node_distances` gives)."""
        ends = self.household_ends(households) if ends is None else ends
        distance, facility = self._from_anchors(len(households), ends, [(facilities, node_distance, node_facility)])
        assert facility is not None  # asked for
        return NearestFacility(distance[0], facility[0])

    def _from_anchors(
        self,
        n: int,
        ends: HouseholdEnds,
        types: Sequence[tuple[Snapped, FloatArray, IndexArray]],
        *,
        facility: bool = True,
    ) -> tuple[FloatArray, IndexArray | None]:
        """Household distances for facility types, each given with its node distances (`node_distances`).

        One row per type of the distances (inf: unreachable) and, with `facility`, of the nearest facilities
        (-1: none); without, None.

        Per type, the end nodes of the edges and the facility stops on them (`facility_stops`) cut the edges
        into pieces whose both ends know their distance to the nearest facility (`_anchors`). Every way from
        a household to a facility leaves its piece by one of those ends, so the household walks its connector
        and then to the nearer of them. Households are sorted along the line through all edges once; on it,
        each piece holds a run of them, so a piece's values are repeated over its run (no index per household).
        Each type's results come in that order and are put back in the households' order at once.
        """
        order = np.argsort(ends.place)
        place, along = np.take(ends.place, order), np.take(ends.offset, order)
        connector = np.take(ends.connector, order)
        edge_first = np.searchsorted(place, self._edge_start, side="left")
        back = _HouseholdOrder(order, ends.ok, n)
        distance = np.full((len(types), n), np.inf)
        nearest = np.full((len(types), n), -1, dtype=np.intp) if facility else None
        for row, (facilities, node_distance, node_facility) in enumerate(types):
            if not len(order) or not facilities.connected.any():  # a type with no facility reaches no one
                continue
            # one type at a time: arrays of one row of households stay in the cache
            anchors = self._anchors(facilities, node_distance, node_facility, place, edge_first)
            # Anchors' sums in place, their operands swapped (IEEE addition commutes: the same bits)
            to_start = np.repeat(anchors.start_at, anchors.run)
            np.subtract(along, to_start, out=to_start)
            to_start += np.repeat(anchors.start, anchors.run)
            to_end = np.repeat(anchors.end_at, anchors.run)
            to_end -= along
            to_end += np.repeat(anchors.end, anchors.run)
            # unreached: both ends infinite, and an unreached node's facility is -1
            if nearest is not None:
                back.put(
                    np.where(
                        to_start <= to_end,
                        np.repeat(anchors.by_start, anchors.run),
                        np.repeat(anchors.by_end, anchors.run),
                    ),
                    nearest[row],
                )
            back.put(np.add(np.minimum(to_start, to_end, out=to_start), connector, out=to_start), distance[row])
        return distance, nearest

    def _anchors(
        self,
        facilities: Snapped,
        node_distance: FloatArray,
        node_facility: IndexArray,
        place: FloatArray,
        edge_first: IndexArray,
    ) -> Anchors:
        """The pieces of every edge between its end nodes and one type's facility stops, in order along the edges.

        `place` is the households' on the line through all edges, sorted, and `edge_first` the first of them at
        or after each edge's start: each piece's run of households follows from them.
        """
        stops = self.facility_stops(facilities, node_distance, node_facility)
        n_edges = self.n_edges
        # piece starts: each edge's start node, then its stops (a stop at the node after it);
        # piece ends: each stop, then the edge's end node (a stop at the node before it)
        start_place, end_place = self._edge_start, self._edge_start + self.edge_length
        node_at_start = np.arange(n_edges) + np.searchsorted(stops.place, start_place, side="left")
        stop_at_start = np.arange(len(stops.place)) + np.searchsorted(start_place, stops.place, side="right")
        node_at_end = np.arange(n_edges) + np.searchsorted(stops.place, end_place, side="right")
        stop_at_end = np.arange(len(stops.place)) + np.searchsorted(end_place, stops.place, side="left")
        size = n_edges + len(stops.place)
        start, start_at, end, end_at = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
        by_start, by_end = np.empty(size, dtype=np.intp), np.empty(size, dtype=np.intp)
        first = np.empty(size, dtype=np.intp)
        start[node_at_start], start_at[node_at_start] = node_distance[self.edge_u], 0.0
        end[node_at_end], end_at[node_at_end] = node_distance[self.edge_v], self.edge_cost
        by_start[node_at_start], by_end[node_at_end] = node_facility[self.edge_u], node_facility[self.edge_v]
        start[stop_at_start], start_at[stop_at_start] = stops.distance, stops.offset
        end[stop_at_end], end_at[stop_at_end] = stops.distance, stops.offset
        by_start[stop_at_start], by_end[stop_at_end] = stops.facility, stops.facility
        # a piece's households: from its first (at or after its start) to the next piece's first
        first[node_at_start], first[stop_at_start] = edge_first, np.searchsorted(place, stops.place, side="left")
        run = np.diff(first, append=len(place))
        return Anchors(run, start, start_at, end, end_at, by_start, by_end)

    def facility_stops(self, facilities: Snapped, node_distance: FloatArray, node_facility: IndexArray) -> Stops:
        """Where facilities meet their edges, sorted along the edges, with the distance from each to the nearest.

        From its connection point a facility's own edge leads to its own connector, to the other facilities
        on that edge along it, and to the edge's end nodes (at `node_distance`).
        """
        ok = np.flatnonzero(facilities.connected)
        ends = self.household_ends(facilities.take(ok))
        via_u = ends.offset + node_distance[ends.u]
        via_v = ends.rest + node_distance[ends.v]
        distance = np.minimum(via_u, via_v)
        nearest = np.where(via_u <= via_v, node_facility[ends.u], node_facility[ends.v])
        stop, other, direct = same_edge_pairs(self, facilities, facilities, ok)  # each facility with itself too
        order = np.lexsort((direct, stop))
        head = order[np.r_[True, stop[order][1:] != stop[order][:-1]]] if len(order) else order
        position = np.searchsorted(ok, stop[head])
        shorter = direct[head] <= distance[position]
        distance[position[shorter]] = direct[head][shorter]
        nearest[position[shorter]] = other[head][shorter]
        edge, offset = facilities.edge[ok], facilities.offset[ok]
        place = self._edge_start[edge] + offset
        by_place = np.argsort(place, kind="stable")
        return Stops(
            place=place[by_place],
            offset=(offset * self.edge_factor[edge])[by_place],
            distance=distance[by_place],
            facility=nearest[by_place],
        )

    def household_ends(self, households: Snapped) -> HouseholdEnds:
        """The households' side of the distance computation, shared by every facility type."""
        ok = np.flatnonzero(households.connected)
        if len(ok) == len(households):  # every household connected (the usual case): no index
            edge, offset, connector = households.edge, households.offset, households.connector
        else:
            edge, offset, connector = households.edge[ok], households.offset[ok], households.connector[ok]
        factor = np.take(self.edge_factor, edge)
        return HouseholdEnds(
            ok=ok,
            edge=edge,
            place=np.take(self._edge_start, edge) + offset,
            u=np.take(self.edge_u, edge),
            v=np.take(self.edge_v, edge),
            offset=offset * factor,
            rest=(np.take(self.edge_length, edge) - offset) * factor,
            connector=connector,
        )


@dataclass(frozen=True)
class HouseholdEnds:
    """Connected households (indices `ok`) with their edge's end nodes and the along-edge distances to them."""

    ok: IndexArray
    edge: IndexArray
    place: FloatArray  # the edge's start on a line through all edges + along: to find the household among `Stops`
    u: IndexArray
    v: IndexArray
    offset: FloatArray  # to u (weighed by the edge's factor, as are all along-edge distances in routing)
    rest: FloatArray  # to v
    connector: FloatArray


@dataclass(frozen=True)
class Stops:
    """Facilities' connection points on their edges, sorted by edge then offset, and the nearest from each."""

    place: FloatArray  # ordered by edge, then offset (`HouseholdEnds.place`)
    offset: FloatArray  # from the edge's u, weighed (as `HouseholdEnds.offset`)
    distance: FloatArray  # to the nearest facility, weighed, the facility's connector included
    facility: IndexArray  # that facility (-1: none)


@dataclass(frozen=True)
class Anchors:
    """One facility type's pieces of edges (`WalkingNetwork._anchors`), in order along the line through all edges.

    A household `along` (weighed) metres from its edge's start node, on a piece, is
    `start + (along - start_at)` from the nearest facility by the piece's start and `end + (end_at - along)`
    by its end (walked in that order, the sums come out the same whichever way the edge is drawn).
    """

    run: IndexArray  # how many of the households (sorted along the line through all edges) lie on each piece
    start: FloatArray  # distance from the piece's start to the nearest facility
    start_at: FloatArray  # where the piece starts: weighed metres from the edge's start node
    end: FloatArray  # distance from the piece's end to the nearest facility
    end_at: FloatArray  # where it ends
    by_start: IndexArray  # the facility nearest to the start (-1: none)
    by_end: IndexArray  # the facility nearest to the end


def same_edge_pairs(
    network: WalkingNetwork, households: Snapped, facilities: Snapped, household_index: IndexArray
) -> tuple[IndexArray, IndexArray, FloatArray]:
    """(household, facility, facility connector + along-edge distance, weighed) for each pair sharing an edge.

    Only households in `household_index` are considered; facility connectors are included, household
    connectors are not.
    """
    fac = np.flatnonzero(facilities.connected)
    fac = fac[np.argsort(facilities.edge[fac], kind="stable")]
    fac_edge = facilities.edge[fac]
    # only households on an edge that has a facility at all (a few of many)
    has_facility = np.zeros(int(max(households.edge.max(initial=-1), fac_edge.max(initial=-1))) + 2, dtype=bool)
    has_facility[fac_edge] = True
    household_index = household_index[has_facility[households.edge[household_index]]]
    edge = households.edge[household_index]
    lo = np.searchsorted(fac_edge, edge, side="left")
    hi = np.searchsorted(fac_edge, edge, side="right")
    count = hi - lo
    pair_household = np.repeat(household_index, count)
    within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    pair_facility = fac[np.repeat(lo, count) + within]
    direct = np.abs(households.offset[pair_household] - facilities.offset[pair_facility])
    direct *= network.edge_factor[households.edge[pair_household]]
    return pair_household, pair_facility, facilities.connector[pair_facility] + direct


class _HouseholdOrder:
    """Puts values over the households `ok[order]` (sorted along the line) back in the order of all `n`."""

    def __init__(self, order: IndexArray, ok: IndexArray, n: int) -> None:
        self.households = ok[order]
        self.back: IndexArray | None = None
        if len(ok) == n:  # every household: `order` itself is the permutation, put back by a gather
            self.back = np.empty(n, dtype=np.intp)
            self.back[order] = np.arange(n)

    def put(self, values: npt.NDArray[Any], out: npt.NDArray[Any]) -> None:
        """Write `values` into `out` (over all households; the others keep their value)."""
        if self.back is None:
            out[self.households] = values
        else:  # every index is in range: "wrap" only skips the check
            np.take(values, self.back, out=out, mode="wrap")


def point_coordinates(points: npt.ArrayLike) -> FloatArray:
    """The (x, y) of each point geometry, one row per point; NaN rows for None and empty points."""
    geometries = np.asarray(points, dtype=object)
    try:  # a pass per axis costs less than counting and copying coordinates; NaN for None and for other types
        xy = np.column_stack([shapely.get_x(geometries), shapely.get_y(geometries)])
        unsure = np.flatnonzero(np.isnan(xy[:, 0]))  # every other row is a point's
    except shapely.errors.GEOSException:  # an empty point: every type is checked, and coordinates copied
        xy, unsure = None, np.arange(len(geometries))
    kind = shapely.get_type_id(geometries[unsure])
    if not ((kind == shapely.GeometryType.POINT) | (kind == shapely.GeometryType.MISSING)).all():
        msg = "only points can be connected to the walking network"
        raise ValueError(msg)
    if xy is not None:
        return xy
    coords, owner = shapely.get_coordinates(geometries, return_index=True)
    if len(coords) == len(geometries):  # no None and no empty point: one row each, in order
        return coords
    xy = np.full((len(geometries), 2), np.nan)
    xy[owner] = coords
    return xy


def nearest_facility_seconds(
    network: WalkingNetwork,
    households: npt.ArrayLike,
    facilities_by_type: Mapping[str, npt.ArrayLike],
    *,
    speed: float = DEFAULT_WALKING_SPEED,
    max_connector: float | None = None,
) -> dict[str, FloatArray]:
    """For every facility type: walking seconds from each household to the nearest facility of that type."""
    snapped_households = network.snap(households, max_connector=max_connector)
    snapped = {kind: network.snap(points, max_connector=max_connector) for kind, points in facilities_by_type.items()}
    nearest = network.nearest_facilities(snapped_households, snapped)
    return {kind: found.seconds(speed) for kind, found in nearest.items()}


def _merge_vertices(coords: FloatArray, precision: float) -> tuple[IndexArray, FloatArray]:
    """A vertex id per coordinate (equal on a `precision` grid) and each vertex's coordinate (first seen)."""
    if not precision > 0:
        msg = f"precision must be positive, got {precision}"
        raise ValueError(msg)
    if not len(coords):
        return np.zeros(0, dtype=np.intp), np.zeros((0, 2))
    key = np.rint(coords[:, :2] / precision).astype(np.int64)
    order = np.lexsort((key[:, 1], key[:, 0]))
    sorted_key = key[order]
    new = np.r_[True, np.any(sorted_key[1:] != sorted_key[:-1], axis=1)]
    group = np.cumsum(new) - 1
    vertex = np.empty(len(coords), dtype=np.intp)
    vertex[order] = group
    # the first coordinate in input order of each group stands for the vertex
    first_seen = np.full(int(group[-1]) + 1, len(coords), dtype=np.intp)
    np.minimum.at(first_seen, group, order)
    return vertex, coords[first_seen, :2].astype(np.float64)


def _split_at_nodes(
    xy: FloatArray, is_node: npt.NDArray[np.bool_], last: npt.NDArray[np.bool_]
) -> tuple[GeometryArray, IndexArray, IndexArray]:
    """Cut lines (consecutive vertices, `last` closing each line) at their nodes into edge LineStrings.

    Returns the edges and, per edge, the positions of its first and last vertex in `xy`.
    """
    start = is_node & ~last  # each such vertex opens an edge
    piece = np.cumsum(start) - 1  # the edge each vertex continues (for a node: the one it opens)
    interior_node = np.flatnonzero(start & ~np.r_[True, last[:-1]])  # nodes that also close the previous edge
    position = np.r_[np.arange(len(xy)), interior_node]
    piece_of = np.r_[piece, piece[interior_node] - 1]
    order = np.lexsort((position, piece_of))
    edges = shapely.linestrings(xy[position[order]], indices=piece_of[order])
    starts = np.flatnonzero(start)
    ends = np.r_[interior_node, np.flatnonzero(last)]
    ends.sort()
    return np.asarray(edges, dtype=object), starts, ends


def _symmetric_min_edges(u: IndexArray, v: IndexArray, length: FloatArray) -> tuple[IndexArray, IndexArray, FloatArray]:
    """Both directions of every edge, keeping the shortest of parallel edges and dropping self-loops."""
    real = u != v
    return _min_per_pair(np.r_[u[real], v[real]], np.r_[v[real], u[real]], np.r_[length[real], length[real]])


def _min_per_pair(rows: IndexArray, cols: IndexArray, weights: FloatArray) -> tuple[IndexArray, IndexArray, FloatArray]:
    """One entry per (row, col) with the smallest weight: scipy would add duplicate entries up."""
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    head = np.ones(len(rows), dtype=bool)
    head[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return rows[head], cols[head], weights[head]
