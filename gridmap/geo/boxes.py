"""Few boxes covering many: what a spatial query asks of a database when it has thousands of boxes to meet."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def covering_boxes(boxes: npt.NDArray[np.float64], at_most: int) -> npt.NDArray[np.float64]:
    """At most `at_most` boxes (min_x, min_y, max_x, max_y rows) such that each of `boxes` lies inside one of them.

    Boxes are grouped by the cell of a square lattice over their centres that holds their centre, and each group is
    replaced by the box around it: nearby boxes merge, far apart ones stay apart. `boxes` is returned as it is when
    it has no more than `at_most` rows. A query meeting the covering boxes finds everything meeting `boxes` and more;
    the caller filters by `boxes` afterwards."""
    if at_most < 1:
        msg = f"at_most is {at_most}; at least one covering box is needed"
        raise ValueError(msg)
    if len(boxes) <= at_most:
        return boxes
    side = math.isqrt(at_most)
    centre_x = (boxes[:, 0] + boxes[:, 2]) / 2
    centre_y = (boxes[:, 1] + boxes[:, 3]) / 2
    column = _lattice_index(centre_x, side)
    row = _lattice_index(centre_y, side)
    cell = row * side + column
    order = np.argsort(cell, kind="stable")
    sorted_cells = cell[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    ordered = boxes[order]
    return np.column_stack(
        (
            np.minimum.reduceat(ordered[:, 0], starts),
            np.minimum.reduceat(ordered[:, 1], starts),
            np.maximum.reduceat(ordered[:, 2], starts),
            np.maximum.reduceat(ordered[:, 3], starts),
        )
    )


def _lattice_index(values: npt.NDArray[np.float64], side: int) -> npt.NDArray[np.int64]:
    """The lattice column (or row) of each value among `side` equal steps from the least value to the greatest."""
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(len(values), dtype=np.int64)
    steps = np.floor((values - low) / (high - low) * side).astype(np.int64)
    return np.minimum(steps, side - 1)
