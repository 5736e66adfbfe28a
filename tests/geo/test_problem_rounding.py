"""rounded_pairs: the floats Python's round gives, for whole arrays of coordinates."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmap.geo.problems import LOCATION_DECIMALS, rounded_pairs


def same_bits(a: float, b: float) -> bool:
    """Equal as stored (so -0.0 differs from 0.0, and NaN equals NaN): what the report's JSON shows."""
    return struct.pack("<d", a) == struct.pack("<d", b)


def assert_rounds_as_python(values: np.ndarray, decimals: int) -> None:
    pairs = rounded_pairs(values, values[::-1], decimals)
    expected_x = [round(v, decimals) for v in values.tolist()]
    expected_y = [round(v, decimals) for v in values[::-1].tolist()]
    assert all(same_bits(got, want) for (got, _), want in zip(pairs, expected_x, strict=True))
    assert all(same_bits(got, want) for (_, got), want in zip(pairs, expected_y, strict=True))


@pytest.mark.parametrize("decimals", [LOCATION_DECIMALS, 4, 3, 0])
def test_random_coordinates_and_ties_round_as_python_rounds(decimals: int) -> None:
    rng = np.random.default_rng(7)
    whole = rng.integers(-(10**11), 10**11, 20_000)
    ties = (whole + 0.5) / 10.0**decimals  # a half in decimal, the closest float to it: either side
    values = np.concatenate(
        [
            rng.uniform(70.0, 140.0, 20_000),  # longitudes
            rng.uniform(-1e7, 1e7, 20_000),  # projected metres
            rng.uniform(-1e-6, 1e-6, 2_000),  # around zero: -0.0 where Python gives it
            ties,
            np.nextafter(ties, math.inf),
            np.nextafter(ties, -math.inf),
            whole / 10.0**decimals,
        ]
    )
    assert_rounds_as_python(values, decimals)


def test_odd_values_go_through_round() -> None:
    values = np.array([0.0, -0.0, 5e-10, -5e-10, 1.5e-9, 2.5e-9, 2.0**60, 1e300, -1e300, math.inf, -math.inf, math.nan])
    assert_rounds_as_python(values, LOCATION_DECIMALS)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50), st.integers(0, 12))
def test_any_floats_round_as_python_rounds(values: list[float], decimals: int) -> None:
    assert_rounds_as_python(np.array(values, dtype=np.float64), decimals)
