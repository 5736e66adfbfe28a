"""Pieces cut off from the main walking network: found, and joined back within a gap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import shapely

from gridmap.geo.fragments import connect_fragments, fragment_edges
from gridmap.geo.network import WalkingNetwork


def network(*lines: Sequence[tuple[float, float]]) -> WalkingNetwork:
    return WalkingNetwork.from_lines(np.asarray([shapely.LineString(c) for c in lines], dtype=object))


STREETS = ([(0, 0), (100, 0), (200, 0)], [(100, 0), (100, -150)])  # the main network: a T of 350 m


def test_the_longest_component_is_main_and_the_rest_are_fragments() -> None:
    town = network(*STREETS, [(50, 20), (50, 80)], [(300, 300), (320, 300)])
    on_fragment = fragment_edges(town)
    lengths = sorted(town.edge_length[on_fragment].round(6).tolist())
    assert lengths == [20.0, 60.0]
    assert town.edge_length[~on_fragment].sum() == pytest.approx(350.0)


def test_a_footway_ending_short_of_the_street_is_joined_and_walked_exactly() -> None:
    town = network(*STREETS, [(50, 20), (50, 80)])
    household = town.snap(shapely.points([[55.0, 70.0]]))
    market = town.snap(shapely.points([[180.0, -5.0]]))
    assert np.isinf(town.nearest_facility_distance(household, market)[0])
    joined = connect_fragments(town, 25.0)
    assert joined.links == 1
    assert joined.link_metres == pytest.approx(20.0)
    assert not fragment_edges(joined.network).any()
    walking = joined.network
    distance = walking.nearest_facility_distance(
        walking.snap(shapely.points([[55.0, 70.0]])), walking.snap(shapely.points([[180.0, -5.0]]))
    )
    # connector 5, down the footway 50, the link 20, along the street 130, the market's connector 5
    assert distance[0] == pytest.approx(5 + 50 + 20 + 130 + 5)


def test_beyond_the_gap_nothing_is_joined() -> None:
    town = network(*STREETS, [(50, 30), (50, 80)])
    joined = connect_fragments(town, 25.0)
    assert joined.links == 0
    assert joined.network is town


def test_a_courtyard_loop_without_dead_ends_is_joined_from_its_nodes() -> None:
    town = network(*STREETS, [(20, 10), (60, 10), (60, 50), (20, 50), (20, 10)])
    joined = connect_fragments(town, 15.0)
    assert joined.links == 1  # the ring's one node, where it closes, 10 m from the street
    assert joined.link_metres == pytest.approx(10.0)
    assert not fragment_edges(joined.network).any()


def test_the_gap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        connect_fragments(network(*STREETS), 0.0)
