"""Siting new facilities (maximal covering location) against exhaustive search on small cases."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.geo.network import WalkingNetwork
from gridmap.geo.siting import GREEDY_GUARANTEE, candidate_sites, coverage_matrix, maximal_covering, propose_sites


def best_by_exhaustive_search(coverage: npt.NDArray[np.bool_], k: int, weight: npt.NDArray[np.float64]) -> float:
    """The most weight any k rows of `coverage` cover, trying every combination."""
    rows = range(coverage.shape[0])
    return max(
        (float(weight[coverage[list(chosen)].any(axis=0)].sum()) for chosen in itertools.combinations(rows, k)),
        default=0.0,
    )


@st.composite
def covering_problems(
    draw: st.DrawFn,
) -> tuple[npt.NDArray[np.bool_], int, npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    n_candidates = draw(st.integers(1, 8))
    n_households = draw(st.integers(0, 25))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    coverage = rng.random((n_candidates, n_households)) < draw(st.floats(0.05, 0.6))
    weight = rng.integers(1, 6, n_households).astype(float)
    covered = rng.random(n_households) < 0.2
    k = draw(st.integers(0, n_candidates))
    return coverage, k, weight, covered


@settings(max_examples=150, deadline=None)
@given(problem=covering_problems())
def test_exact_equals_exhaustive_search_and_greedy_keeps_its_bound(
    problem: tuple[npt.NDArray[np.bool_], int, npt.NDArray[np.float64], npt.NDArray[np.bool_]],
) -> None:
    coverage, k, weight, covered = problem
    open_weight = np.where(covered, 0.0, weight)
    best = best_by_exhaustive_search(coverage, k, open_weight)
    result = maximal_covering(sp.csr_array(coverage), k, weights=weight, covered=covered)
    assert result.gain == pytest.approx(best)
    assert result.optimal
    assert len(result.sites) <= k
    assert result.gain == pytest.approx(float(open_weight[coverage[result.sites].any(axis=0)].sum()))
    assert set(result.newly_covered) == set(np.flatnonzero(coverage[result.sites].any(axis=0) & ~covered))
    assert result.covered_before == pytest.approx(float(weight[covered].sum()))
    greedy = maximal_covering(sp.csr_array(coverage), k, weights=weight, covered=covered, exact_limit=0)
    assert greedy.method == "greedy"
    assert greedy.gain >= GREEDY_GUARANTEE * best - 1e-9
    assert greedy.upper_bound >= best - 1e-9
    assert result.greedy_gain == pytest.approx(greedy.gain)


def test_exact_beats_greedy_where_greedy_is_fooled() -> None:
    """Candidate 0 covers most at first, but candidates 1 and 2 together cover everyone."""
    coverage = np.array(
        [
            [1, 1, 1, 1, 0, 0],
            [1, 1, 0, 0, 1, 0],
            [0, 0, 1, 1, 0, 1],
        ],
        dtype=bool,
    )
    greedy = maximal_covering(sp.csr_array(coverage), 2, exact_limit=0)
    assert greedy.sites.tolist()[0] == 0
    assert greedy.gain == 5
    assert greedy.upper_bound >= 6
    assert not greedy.optimal
    exact = maximal_covering(sp.csr_array(coverage), 2)
    assert exact.method == "exact"
    assert sorted(exact.sites.tolist()) == [1, 2]
    assert exact.gain == 6
    assert exact.greedy_gain == 5
    assert exact.upper_bound == 6
    assert exact.optimal


def test_no_sites_and_bad_arguments() -> None:
    coverage = sp.csr_array(np.eye(3, dtype=bool))
    none = maximal_covering(coverage, 0)
    assert none.sites.tolist() == []
    assert none.gain == 0
    assert none.total == 3
    with pytest.raises(ValueError, match="negative"):
        maximal_covering(coverage, -1)
    with pytest.raises(ValueError, match="one value per household"):
        maximal_covering(coverage, 1, weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="not negative"):
        maximal_covering(coverage, 1, weights=[1.0, -2.0, 1.0])


def street_with_households() -> tuple[WalkingNetwork, npt.NDArray[np.object_]]:
    """A 3 km street, 30 households at 0-290 m and 20 at 2,000-2,190 m, all 10 m off the street."""
    network = WalkingNetwork.from_lines([shapely.LineString([(0, 0), (1000, 0), (3000, 0)])])
    xs = np.r_[np.arange(0, 300, 10), np.arange(2000, 2200, 10)]
    return network, np.asarray(shapely.points(xs, np.full(len(xs), 10.0)), dtype=object)


def test_coverage_matrix_matches_distances_one_candidate_at_a_time() -> None:
    network, households = street_with_households()
    candidates = network.snap(shapely.points([(0, 50), (600, 0), (2100, -30), (5000, 0)]))
    snapped = network.snap(households)
    coverage = coverage_matrix(network, candidates, snapped, 500.0).toarray()
    for row in range(len(candidates)):
        one = network.snap(shapely.points([candidates.xy[row]]))
        expected = network.nearest_facility_distance(snapped, one) <= 500.0
        assert coverage[row].tolist() == expected.tolist()
    assert coverage.sum(axis=1).tolist() == [30, 19, 20, 0]  # (600, 0) reaches x >= 110: 10 + 490


def test_propose_sites_covers_the_unserved_cluster() -> None:
    network, households = street_with_households()
    existing = network.snap(shapely.points([(100, 0)]))  # serves the first cluster
    candidates = network.snap(shapely.points([(150, 0), (1200, 0), (2300, 5), (2900, 0)]))
    result = propose_sites(
        network,
        households=network.snap(households),
        facilities=existing,
        candidates=candidates,
        k=1,
        distance=500.0,
    )
    assert result.sites.tolist() == [2]
    assert result.gain == 20
    assert result.covered_before == 30
    assert result.total == 50
    assert result.optimal
    assert (np.sort(result.newly_covered) == np.arange(30, 50)).all()


def test_propose_sites_with_weights_prefers_the_larger_compound() -> None:
    network, households = street_with_households()
    weights = np.r_[np.full(30, 1.0), np.full(20, 10.0)]  # the second cluster's points are large compounds
    candidates = network.snap(shapely.points([(100, 0), (2100, 0)]))
    result = propose_sites(
        network,
        households=network.snap(households),
        facilities=network.snap(np.empty(0, dtype=object)),
        candidates=candidates,
        k=1,
        distance=500.0,
        weights=weights,
    )
    assert result.sites.tolist() == [1]
    assert result.gain == 200
    assert result.covered_before == 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), distance=st.sampled_from([80.0, 300.0, 900.0]))
def test_sparse_coverage_matrix_equals_distances_on_random_lattices(seed: int, distance: float) -> None:
    """A jittered lattice with some steps (factor 2): each row is what that candidate alone reaches."""
    rng = np.random.default_rng(seed)
    node = rng.normal(0, 5, size=(6, 6, 2)) + np.stack(np.meshgrid(np.arange(6) * 80.0, np.arange(6) * 80.0), axis=-1)
    lines = [shapely.LineString(node[i, :]) for i in range(6)] + [shapely.LineString(node[:, j]) for j in range(6)]
    network = WalkingNetwork.from_lines(lines, factor=np.where(rng.random(len(lines)) < 0.3, 2.0, 1.0))
    households = network.snap(shapely.points(rng.uniform(-20, 420, size=(120, 2))))
    candidates = network.snap(shapely.points(rng.uniform(-20, 420, size=(15, 2))))
    coverage = coverage_matrix(network, candidates, households, distance)
    assert isinstance(coverage, sp.csr_array)
    dense = coverage.toarray()
    for row in range(len(candidates)):
        alone = network.nearest_facility_distance(households, candidates.take(np.array([row])))
        assert dense[row].tolist() == (alone <= distance).tolist()


def test_candidate_sites_lie_on_streets_within_reach_one_per_square() -> None:
    network, households = street_with_households()
    far_street = shapely.LineString([(0, 5000), (3000, 5000)])  # not connected to the first
    network = WalkingNetwork.from_lines([network.edges[0], far_street])
    uncovered = network.snap(households[30:])  # the cluster at 2,000-2,190 m
    sites = candidate_sites(network, uncovered, 500.0, spacing=25.0)
    assert len(sites) > 0
    assert np.allclose(shapely.distance(shapely.points(sites), network.edges[0]), 0.0)  # none on the far street
    cells = np.floor(sites / 25.0)
    assert len(np.unique(cells, axis=0)) == len(sites)
    result = propose_sites(
        network,
        households=network.snap(households),
        facilities=network.snap(shapely.points([(100, 0)])),
        candidates=network.snap(shapely.points(sites)),
        k=1,
        distance=500.0,
    )
    assert result.gain == 20
