"""side_by_side: a few calls at once in threads, results in their order, the same as one after the other."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shapely

from gridmap.services.parallel import side_by_side


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_results_come_in_the_calls_order(jobs: int) -> None:
    polygons = shapely.buffer(shapely.points(np.arange(40.0), np.zeros(40)), 0.8)
    calls = [
        lambda: shapely.coverage_invalid_edges(polygons, gap_width=0.0),
        lambda: shapely.area(shapely.union_all(polygons)),
        lambda: "third",
    ]
    edges, area, third = side_by_side(calls, jobs)
    assert shapely.equals(edges, shapely.coverage_invalid_edges(polygons, gap_width=0.0)).all()
    assert area == shapely.area(shapely.union_all(polygons))
    assert third == "third"


def test_with_one_job_every_call_runs_here() -> None:
    here = threading.get_ident()
    assert side_by_side([threading.get_ident, threading.get_ident], 1) == [here, here]


def test_a_failing_call_raises_its_error() -> None:
    def fails() -> None:
        msg = "broken"
        raise ValueError(msg)

    with pytest.raises(ValueError, match="broken"):
        side_by_side([lambda: 1, fails], 2)
