"""Siting new facilities: the maximal covering location problem on walking distance.

Given households, the existing facilities of one type, candidate sites and a walking distance (a life-circle
level), choose k candidates that newly cover the most households (Church & ReVelle, 1974). Greedy picks the
candidate with the largest gain k times; coverage is submodular, so greedy reaches at least (1 - 1/e) of the
optimum (Nemhauser, Wolsey & Fisher, 1978), and at every step the current value plus the k largest single
gains bounds the optimum from above. Small problems are also solved exactly as an integer programme with
HiGHS (scipy.optimize.milp, in process), cross-checked against the greedy answer and its bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import dijkstra

from gridmap.geo.network import FloatArray, IndexArray, Snapped, WalkingNetwork, same_edge_pairs

GREEDY_GUARANTEE = 1.0 - 1.0 / math.e
"""Greedy covers at least this share of what the best choice of k sites covers."""

EXACT_LIMIT = 2_000_000
"""Candidates x coverable households up to which the integer programme is solved as well."""

CANDIDATE_SPACING = 25.0
"""Metres between candidate sites drawn from the streets: far finer than a facility's catchment."""

_BATCH_CELLS = 250_000  # candidates x street nodes at once: each reached node meets a few households
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SitingResult:
    """The proposed sites and what they add. Household counts are sums of weights (1 per household by default)."""

    sites: IndexArray  # chosen candidates (greedy: in order of choice; exact: ascending)
    gain: float  # households newly covered by the sites
    newly_covered: IndexArray  # which households those are
    covered_before: float  # households already covered by existing facilities
    total: float  # all households
    method: str  # "exact" (the integer programme's sites) or "greedy"
    greedy_gain: float  # what greedy alone covers (equal to gain when greedy is the method)
    upper_bound: float  # no choice of k candidates newly covers more than this

    @property
    def optimal(self) -> bool:
        """Whether the sites are proven to be a best choice."""
        return self.gain >= self.upper_bound - _TOLERANCE * max(1.0, self.upper_bound)


def coverage_matrix(network: WalkingNetwork, candidates: Snapped, households: Snapped, distance: float) -> sp.csr_array:
    """Boolean (candidates x households), sparse: which household each candidate reaches within `distance` m.

    Per batch of candidates, one Dijkstra bounded by `distance` gives the street nodes each reaches; every
    (candidate, node) pair then meets the households whose edge ends at that node, sorted by end node, and
    the pairs within `distance` are kept. Nothing of size candidates x households is ever dense.
    """
    n = network.n_nodes
    rows: list[IndexArray] = [np.zeros(0, dtype=np.intp)]
    cols: list[IndexArray] = [np.zeros(0, dtype=np.intp)]
    ok_candidates = np.flatnonzero(candidates.connected)
    ends = network.household_ends(households)
    if len(ok_candidates) and len(ends.ok):
        graph = network.source_graph(candidates)
        # a candidate and a household on the same edge also reach each other directly along it
        pair_household, pair_candidate, direct = same_edge_pairs(network, households, candidates, ends.ok)
        near = ends.connector[np.searchsorted(ends.ok, pair_household)] + direct <= distance
        rows.append(pair_candidate[near])
        cols.append(pair_household[near])
        by_end = [_households_by_node(node, n) for node in (ends.u, ends.v)]
        batch = max(1, _BATCH_CELLS // max(n, 1))
        for begin in range(0, len(ok_candidates), batch):
            chosen = ok_candidates[begin : begin + batch]
            node_distance = np.asarray(dijkstra(graph, directed=True, indices=n + chosen, limit=distance))[:, :n]
            row, node = np.nonzero(node_distance <= distance)
            reached = node_distance[row, node]
            for (order, first), along in zip(by_end, (ends.offset, ends.rest), strict=True):
                count = first[node + 1] - first[node]
                pair_row = np.repeat(row, count)
                within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
                household = order[np.repeat(first[node], count) + within]  # positions in ends.ok
                walk = np.repeat(reached, count) + along[household] + ends.connector[household]
                keep = walk <= distance
                rows.append(chosen[pair_row[keep]])
                cols.append(ends.ok[household[keep]])
    matrix = sp.coo_array(
        (np.ones(sum(len(r) for r in rows), dtype=bool), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(candidates), len(households)),
    ).tocsr()
    matrix.sum_duplicates()
    return sp.csr_array(matrix.astype(bool))


def _households_by_node(node: IndexArray, n_nodes: int) -> tuple[IndexArray, IndexArray]:
    """Households (positions) sorted by `node`, and CSR pointers: node i's are order[first[i]:first[i + 1]]."""
    order = np.argsort(node, kind="stable")
    first = np.r_[0, np.cumsum(np.bincount(node, minlength=n_nodes))]
    return order.astype(np.intp), first.astype(np.intp)


def candidate_sites(
    network: WalkingNetwork, households: Snapped, distance: float, *, spacing: float = CANDIDATE_SPACING
) -> FloatArray:
    """Places on the streets within walking `distance` of one of `households`, one per `spacing` m square.

    The places are the street nodes and points every `spacing` m along each edge; a bounded Dijkstra from
    all the households at once keeps those on edges with an end within reach or with one of the households
    on them (the coverage matrix then tells exactly whom each reaches). Of the places in one square of a
    `spacing` grid, the first (nodes first, then edges in order) stands for the square.
    """
    if not spacing > 0:
        msg = f"the candidate spacing must be positive, got {spacing} m"
        raise ValueError(msg)
    node_distance, _ = network.node_distances(households, limit=distance)
    near_node = node_distance <= distance
    near_edge = near_node[network.edge_u] | near_node[network.edge_v]
    near_edge[households.edge[households.connected]] = True
    edge = np.flatnonzero(near_edge)
    count = np.floor(network.edge_length[edge] / spacing).astype(np.intp)
    along_edge = np.repeat(edge, count)
    step = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + 0.5
    points = shapely.line_interpolate_point(network.edges[along_edge], step * spacing)
    xy = np.vstack([network.node_xy[near_node], shapely.get_coordinates(points)])
    _, first = np.unique(np.floor(xy / spacing).astype(np.int64), axis=0, return_index=True)
    return np.asarray(xy[np.sort(first)], dtype=np.float64)


def propose_sites(
    network: WalkingNetwork,
    *,
    households: Snapped,
    facilities: Snapped,
    candidates: Snapped,
    k: int,
    distance: float,
    weights: npt.ArrayLike | None = None,
    exact_limit: int = EXACT_LIMIT,
    time_limit: float = 60.0,
) -> SitingResult:
    """k candidate sites that newly cover the most households within walking `distance` m of a facility.

    For a life-circle level, `distance` is `walking_metres(minutes, speed=...)`: 600 m for 10 minutes at 1 m/s.
    """
    covered = network.nearest_facility_distance(households, facilities) <= distance
    weight = np.ones(len(households)) if weights is None else np.asarray(weights, dtype=np.float64)
    if weight.shape != (len(households),):
        msg = "weights need one value per household"
        raise ValueError(msg)
    # only households not yet covered can be gained: the coverage matrix needs no column for the others
    open_households = np.flatnonzero(~covered)
    coverage = coverage_matrix(network, candidates, households.take(open_households), distance)
    result = maximal_covering(
        coverage, k, weights=weight[open_households], exact_limit=exact_limit, time_limit=time_limit
    )
    return replace(
        result,
        newly_covered=open_households[result.newly_covered],
        covered_before=float(weight[covered].sum()),
        total=float(weight.sum()),
    )


def maximal_covering(
    coverage: sp.csr_array,
    k: int,
    *,
    weights: npt.ArrayLike | None = None,
    covered: npt.NDArray[np.bool_] | None = None,
    exact_limit: int = EXACT_LIMIT,
    time_limit: float = 60.0,
) -> SitingResult:
    """Choose k rows of `coverage` (candidates x households) covering the most weight not yet `covered`."""
    if k < 0:
        msg = f"the number of new sites must not be negative, got {k}"
        raise ValueError(msg)
    n_candidates, n_households = coverage.shape
    weight = np.ones(n_households) if weights is None else np.asarray(weights, dtype=np.float64)
    already = np.zeros(n_households, dtype=bool) if covered is None else np.asarray(covered, dtype=bool)
    if weight.shape != (n_households,) or already.shape != (n_households,):
        msg = "weights and covered need one value per household"
        raise ValueError(msg)
    if (weight < 0).any() or not np.isfinite(weight).all():
        msg = "household weights must be finite and not negative"
        raise ValueError(msg)
    open_weight = np.where(already, 0.0, weight)
    matrix = sp.csr_array(coverage).astype(np.float64)
    sites, greedy_gain, bound = greedy_cover(matrix, k, open_weight)
    method, chosen, gain = "greedy", sites, greedy_gain
    coverable = np.flatnonzero((open_weight > 0) & (matrix.sum(axis=0) > 0))
    if 0 < k < n_candidates and n_candidates * len(coverable) <= exact_limit and greedy_gain < bound - _TOLERANCE:
        exact = exact_cover(matrix[:, coverable], k, open_weight[coverable], time_limit=time_limit)
        if exact is not None:
            exact_sites, proven, solved = exact
            exact_gain = _covered_weight(matrix, exact_sites, open_weight)
            slack = _TOLERANCE * max(1.0, bound)
            # cross-checks: nothing covers more than greedy's bound, and an optimum is what its sites cover
            if exact_gain > bound + slack or (solved and abs(exact_gain - proven) > slack):
                msg = f"exact siting covers {exact_gain} (solver: {proven}), greedy bound {bound}: a bug"
                raise RuntimeError(msg)
            if exact_gain >= greedy_gain:
                method, chosen, gain = "exact", exact_sites, exact_gain
            bound = min(bound, proven)
    newly = _covered_by(matrix, chosen) & (open_weight > 0)
    return SitingResult(
        sites=chosen,
        gain=float(gain),
        newly_covered=np.flatnonzero(newly),
        covered_before=float(weight[already].sum()),
        total=float(weight.sum()),
        method=method,
        greedy_gain=float(greedy_gain),
        upper_bound=float(max(bound, gain)),
    )


def greedy_cover(matrix: sp.csr_array, k: int, weight: FloatArray) -> tuple[IndexArray, float, float]:
    """Greedy sites, the weight they cover, and an upper bound on the best k sites' coverage.

    The bound is the smaller of greedy / (1 - 1/e) and, over all steps, value so far + the k largest gains.
    """
    weight = weight.copy()
    gains = np.asarray(matrix @ weight, dtype=np.float64)
    value, bound = 0.0, np.inf
    sites: list[int] = []
    for _ in range(min(k, matrix.shape[0])):
        bound = min(bound, value + _top_sum(gains, k))
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        reached = matrix.indices[matrix.indptr[best] : matrix.indptr[best + 1]]
        value += float(weight[reached].sum())
        weight[reached] = 0.0
        sites.append(best)
        gains = np.asarray(matrix @ weight, dtype=np.float64)
    bound = min(bound, value + _top_sum(gains, k), value / GREEDY_GUARANTEE)
    return np.asarray(sites, dtype=np.intp), value, bound


def exact_cover(
    matrix: sp.csr_array, k: int, weight: FloatArray, *, time_limit: float = 60.0
) -> tuple[IndexArray, float, bool] | None:
    """The best k sites by integer programming, a proven upper bound, and whether the sites are proven best.

    Returns None if the solver found no solution within `time_limit` seconds; after the time limit with a
    solution, the sites are the best found and the bound is the solver's.

    Households reached by the same set of candidates are merged into one weighted row first. Variables:
    x_j = 1 if candidate j is chosen (binary), y_g = share of group g covered (0..1), with y_g <= sum of x_j
    over the candidates reaching g and sum x_j <= k; maximise sum of weight_g y_g.
    """
    n_candidates = matrix.shape[0]
    groups, group_weight = _merge_identical_columns(sp.csc_array(matrix), weight)
    n_groups = groups.shape[1]
    reach = sp.hstack([-groups.T, sp.eye_array(n_groups)], format="csr")  # y_g - sum x_j <= 0
    budget = sp.csr_array(np.r_[np.ones(n_candidates), np.zeros(n_groups)][None, :])
    result = milp(
        c=np.r_[np.zeros(n_candidates), -group_weight],
        integrality=np.r_[np.ones(n_candidates), np.zeros(n_groups)],
        bounds=Bounds(0.0, 1.0),
        constraints=[
            LinearConstraint(reach, -np.inf, 0.0),
            LinearConstraint(budget, -np.inf, float(k)),
        ],
        options={"time_limit": time_limit, "mip_rel_gap": 0.0},
    )
    if result.x is None:
        return None
    sites = np.flatnonzero(result.x[:n_candidates] > 0.5)
    if result.success:
        return sites.astype(np.intp), -float(result.fun), True
    return sites.astype(np.intp), -float(result.mip_dual_bound), False


def _merge_identical_columns(matrix: sp.csc_array, weight: FloatArray) -> tuple[sp.csc_array, FloatArray]:
    """The distinct columns of a 0/1 matrix, and the summed weight of the columns behind each."""
    matrix.sort_indices()
    indptr, indices = matrix.indptr, matrix.indices
    group_of: dict[bytes, int] = {}
    group = np.fromiter(
        (group_of.setdefault(indices[indptr[j] : indptr[j + 1]].tobytes(), len(group_of)) for j in range(len(weight))),
        dtype=np.intp,
        count=len(weight),
    )
    first = np.full(len(group_of), len(weight), dtype=np.intp)
    np.minimum.at(first, group, np.arange(len(weight)))
    return sp.csc_array(matrix[:, first]), np.asarray(np.bincount(group, weights=weight), dtype=np.float64)


def _top_sum(values: FloatArray, k: int) -> float:
    """Sum of the k largest values."""
    if k <= 0:
        return 0.0
    if k >= len(values):
        return float(values.sum())
    return float(np.partition(values, len(values) - k)[len(values) - k :].sum())


def _covered_by(matrix: sp.csr_array, sites: IndexArray) -> npt.NDArray[np.bool_]:
    """Which households at least one of `sites` reaches."""
    reached = np.zeros(matrix.shape[1], dtype=bool)
    for site in sites:
        reached[matrix.indices[matrix.indptr[site] : matrix.indptr[site + 1]]] = True
    return reached


def _covered_weight(matrix: sp.csr_array, sites: IndexArray, weight: FloatArray) -> float:
    """Weight of the households that `sites` reach."""
    return float(weight[_covered_by(matrix, sites)].sum())
