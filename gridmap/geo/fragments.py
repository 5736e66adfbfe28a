"""Pieces of a walking network cut off from the rest, and short links that join them back.

Real street data has small disconnected pieces: a courtyard path, a footway mapped up to a building door
but not on to the street. A household whose nearest street is such a piece reaches nothing beyond it, so
the life circle would silently count it as not covered. The main network is the connected component with
the greatest street length; every other component is a fragment. `connect_fragments` joins each fragment
end (a dead end; every node of a fragment without one, such as a closed courtyard loop) to the nearest
point of the main network within a gap, by a straight link that splits the main edge it lands on.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import connected_components
from shapely import ops

from gridmap.geo.network import GeometryArray, WalkingNetwork
from gridmap.geo.snapping import SegmentIndex

FRAGMENT_GAP = 25.0
"""Metres: by default a fragment end this close to the main network is joined to it."""


@dataclass(frozen=True)
class Joined:
    """A network with its fragments joined, and how many links (and metres of them) that took."""

    network: WalkingNetwork
    links: int
    link_metres: float


def fragment_edges(network: WalkingNetwork) -> npt.NDArray[np.bool_]:
    """Per edge: whether it lies outside the main network (the component with the greatest street length)."""
    label = _node_components(network)
    if not network.n_edges:
        return np.zeros(0, dtype=bool)
    edge_label = label[network.edge_u]
    length = np.bincount(edge_label, weights=network.edge_length, minlength=int(label.max()) + 1)
    return np.asarray(edge_label != int(np.argmax(length)), dtype=bool)


def connect_fragments(network: WalkingNetwork, gap: float = FRAGMENT_GAP) -> Joined:
    """Join every fragment end within `gap` metres of the main network to its nearest point there."""
    if not gap > 0:
        msg = f"the fragment gap must be positive, got {gap} m"
        raise ValueError(msg)
    on_fragment = fragment_edges(network)
    if not on_fragment.any():
        return Joined(network, 0, 0.0)
    ends = _fragment_ends(network, on_fragment)
    main = np.flatnonzero(~on_fragment)
    found = SegmentIndex(network.edges[main]).nearest(network.node_xy[ends], max_distance=gap)
    linked = found.edge >= 0
    if not linked.any():
        return Joined(network, 0, 0.0)
    ends, target, offset = ends[linked], main[found.edge[linked]], found.offset[linked]
    landing = shapely.line_interpolate_point(network.edges[target], offset)
    links = shapely.linestrings(
        np.stack([network.node_xy[ends], shapely.get_coordinates(landing)], axis=1)
    )  # a zero-length link (an end already on the main network's line) is dropped by from_lines
    split = np.zeros(network.n_edges, dtype=bool)
    split[target] = True
    cut = np.flatnonzero(split)
    pieces = [_cut(network.edges[e], offset[target == e]) for e in cut]
    lines = np.concatenate([network.edges[~split], *pieces, np.asarray(links, dtype=object)])
    factor = np.concatenate(
        [
            network.edge_factor[~split],
            np.repeat(network.edge_factor[cut], [len(p) for p in pieces]),
            np.ones(len(ends)),
        ]
    )
    joined = WalkingNetwork.from_lines(lines, factor=factor)
    return Joined(joined, int(linked.sum()), float(found.distance[linked].sum()))


def _node_components(network: WalkingNetwork) -> npt.NDArray[np.intp]:
    """The connected component of every street node."""
    _, label = connected_components(network.street_graph, directed=False)
    return np.asarray(label, dtype=np.intp)


def _fragment_ends(network: WalkingNetwork, on_fragment: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Dead-end nodes of the fragments, and every node of a fragment that has no dead end."""
    label = _node_components(network)
    degree = np.bincount(np.r_[network.edge_u, network.edge_v], minlength=network.n_nodes)
    on_fragment_node = np.zeros(network.n_nodes, dtype=bool)
    on_fragment_node[network.edge_u[on_fragment]] = True
    dead_end = on_fragment_node & (degree == 1)
    has_dead_end = np.zeros(int(label.max()) + 1, dtype=bool)
    has_dead_end[label[dead_end]] = True
    return np.flatnonzero(dead_end | (on_fragment_node & ~has_dead_end[label]))


def _cut(edge: shapely.LineString, offsets: npt.NDArray[np.float64]) -> GeometryArray:
    """The edge cut into pieces at the given distances along it (ends and repeats ignored)."""
    stops = np.unique(np.r_[0.0, np.clip(offsets, 0.0, edge.length), edge.length])
    pieces = [ops.substring(edge, a, b) for a, b in itertools.pairwise(stops) if b > a]
    return np.asarray(pieces, dtype=object)
