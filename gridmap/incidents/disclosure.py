"""What the public may learn about incidents: who counts as the public, and the k rule for counted cells and areas.

Public callers (no token, or a viewer's token) see incidents only through generalised points
(`gridmap.geo.generalise`), never in private categories, and only in groups of at least k: a map cell with
fewer than k incidents is merged into the coarser cell holding it (twice the size, again and again, taking in
the shown cells inside it when the small ones alone stay below k), and what is still below k at the coarsest
level tried is withheld and only counted. Staff (workers and above) see
exact data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

MAX_MERGE_LEVELS = 16  # a cell may grow to 2**16 times its side before its incidents are withheld


@dataclass(frozen=True)
class Disclosure:
    """How much the public sees: the generalisation grid in metres and the smallest group shown."""

    location_m: float
    min_group: int

    def __post_init__(self) -> None:
        if not self.location_m > 0 or self.min_group < 1:
            msg = f"disclosure needs a positive grid size and k >= 1, not {self.location_m!r} and {self.min_group!r}"
            raise ValueError(msg)


@dataclass(frozen=True)
class MergedCell:
    """A shown cell: column x and row y at `level` (a cell of level n is 2**n base cells a side), and its count."""

    x: int
    y: int
    level: int
    count: int


def merge_small_cells(
    counts: Mapping[tuple[int, int], int], min_group: int, *, max_levels: int = MAX_MERGE_LEVELS
) -> tuple[list[MergedCell], int]:
    """Cells with at least `min_group` incidents, smaller ones merged upwards; and how many were withheld.

    Level by level, the small cells of one coarser cell are put together; when they still hold fewer than
    `min_group`, the coarser cell also takes in the cells already shown inside it, so that a small group
    beside a busy one is shown with it rather than withheld. A coarser cell built from small cells only
    holds just those (cells shown on their own inside it are not counted again), so the counts of the
    answer add up to the total less the withheld ones.
    """
    shown: dict[tuple[int, int, int], int] = {}  # (level, x, y) -> count
    small: dict[tuple[int, int], int] = {}
    for (x, y), count in counts.items():
        if count >= min_group:
            shown[(0, x, y)] = count
        elif count > 0:
            small[(x, y)] = count
    for level in range(1, max_levels + 1):
        if not small:
            break
        parents: defaultdict[tuple[int, int], int] = defaultdict(int)
        for (x, y), count in small.items():
            parents[(x // 2, y // 2)] += count
        inside = _shown_inside(shown, level, set(parents))
        small = {}
        for (x, y), count in parents.items():
            if count >= min_group:
                shown[(level, x, y)] = count
            elif inside.get((x, y)):
                absorbed = inside[(x, y)]
                shown[(level, x, y)] = count + sum(shown.pop(key) for key in absorbed)
            else:
                small[(x, y)] = count
    cells = [MergedCell(x, y, level, count) for (level, x, y), count in shown.items()]
    cells.sort(key=lambda cell: (cell.level, cell.y, cell.x))
    return cells, sum(small.values())


def _shown_inside(
    shown: Mapping[tuple[int, int, int], int], level: int, parents: set[tuple[int, int]]
) -> dict[tuple[int, int], list[tuple[int, int, int]]]:
    """The shown finer cells inside each of `parents` (cells of `level`)."""
    inside: defaultdict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
    for key in shown:
        finer, x, y = key
        parent = (x >> (level - finer), y >> (level - finer))
        if finer < level and parent in parents:
            inside[parent].append(key)
    return dict(inside)


def withhold_small_areas(counts: Mapping[str, int], min_group: int) -> tuple[dict[str, int], int]:
    """Area counts of at least `min_group`, and the number of incidents in the areas left out."""
    shown = {code: count for code, count in counts.items() if count >= min_group}
    return shown, sum(counts.values()) - sum(shown.values())
