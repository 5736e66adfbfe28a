"""Covering boxes: every box inside one of at most N covering boxes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridmap.geo.boxes import covering_boxes

_corners = arrays(np.float64, st.tuples(st.integers(1, 400), st.just(2)), elements=st.floats(-180, 180))


@st.composite
def _boxes(draw: st.DrawFn) -> np.ndarray:
    corners = draw(_corners)
    sizes = draw(arrays(np.float64, corners.shape, elements=st.floats(0, 5)))
    return np.column_stack((corners, corners + sizes))


@given(boxes=_boxes(), at_most=st.integers(1, 300))
def test_every_box_lies_inside_a_covering_box_of_at_most_n(boxes: np.ndarray, at_most: int) -> None:
    covering = covering_boxes(boxes, at_most)
    assert len(covering) <= at_most
    inside = (
        (covering[None, :, 0] <= boxes[:, None, 0])
        & (covering[None, :, 1] <= boxes[:, None, 1])
        & (covering[None, :, 2] >= boxes[:, None, 2])
        & (covering[None, :, 3] >= boxes[:, None, 3])
    )
    assert inside.any(axis=1).all()


def test_few_boxes_are_asked_as_they_are() -> None:
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]])
    assert covering_boxes(boxes, 2) is boxes


def test_far_apart_clusters_stay_apart() -> None:
    rng = np.random.default_rng(3)
    west = rng.uniform(0, 1, (50, 2))
    east = rng.uniform(100, 101, (50, 2))
    corners = np.vstack((west, east))
    covering = covering_boxes(np.column_stack((corners, corners + 0.01)), 4)
    widths = covering[:, 2] - covering[:, 0]
    assert len(covering) >= 2
    assert widths.max() < 2  # no covering box spans the gap between the clusters


def test_no_covering_box_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        covering_boxes(np.zeros((3, 4)), 0)
