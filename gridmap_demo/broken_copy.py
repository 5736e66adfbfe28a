"""The working copy a broken variant is planted in: features by index, claims, and answer-key entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import Level, child_code
from gridmap_demo.projection import LocalFrame

Record = tuple[dict[str, Any], BaseGeometry | None]
Entry = dict[str, Any]
Neighbours = dict[int, dict[int, float]]


@dataclass
class BrokenCopy:
    """Properties and geometries by index, what plants have claimed, and the planted problems so far."""

    frame: LocalFrame
    props: list[dict[str, Any]]
    geoms: list[BaseGeometry | None]
    rng: np.random.Generator
    deleted: set[int] = field(default_factory=set)
    used_grids: set[str] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    entries: list[Entry] = field(default_factory=list)
    neighbours: Neighbours = field(default_factory=dict)
    load: dict[str, int] = field(default_factory=dict)
    # Strict: each plant in its own grid, away from earlier geometry plants. Relaxed (small regions only):
    # plants merely avoid features an earlier plant changed.
    strict: bool = True
    touched: set[int] = field(default_factory=set)

    def indices(self, level: Level) -> list[int]:
        """Indices of the features of `level` still present."""
        return [i for i, p in enumerate(self.props) if p["level"] == level.value and i not in self.deleted]

    def children(self, parent: str) -> list[int]:
        """Indices of the features whose parent is `parent`, in code order."""
        found = [i for i, p in enumerate(self.props) if p["parent"] == parent and i not in self.deleted]
        return sorted(found, key=lambda i: self.props[i]["code"])

    def spare_children(self, parent: str) -> list[int]:
        """The children of `parent` no plant has changed yet, in code order."""
        return [i for i in self.children(parent) if i not in self.touched]

    def index_of(self, code: str) -> int:
        """Index of the (first) feature with `code`."""
        return next(i for i, p in enumerate(self.props) if p["code"] == code and i not in self.deleted)

    def code(self, index: int) -> str:
        """The code of feature `index`."""
        return str(self.props[index]["code"])

    def parent(self, index: int) -> str:
        """The parent code of feature `index`."""
        return str(self.props[index]["parent"])

    def geometry(self, index: int) -> BaseGeometry:
        """A feature's WGS-84 geometry (which must exist)."""
        geometry = self.geoms[index]
        if geometry is None:
            msg = f"feature {index} has no geometry"
            raise ValueError(msg)
        return geometry

    def local(self, index: int) -> BaseGeometry:
        """A feature's geometry in local metres."""
        return self.frame.one_to_local(self.geometry(index))

    def area(self, geometry: BaseGeometry) -> float:
        """Area in square metres (EPSG:4549), rounded to 0.01 m2."""
        return round(float(self.frame.area_m2(np.array([geometry], dtype=object))[0]), 2)

    def shuffled(self, items: list[Any]) -> list[Any]:
        """`items` in a seeded random order."""
        return [items[i] for i in self.rng.permutation(len(items))]

    def spread(self, items: list[Any], code_of: Callable[[Any], str]) -> list[Any]:
        """`items` in a seeded random order, those in communities with fewer plants first."""
        return sorted(self.shuffled(items), key=lambda item: self.load.get(code_of(item)[:12], 0))

    def free(self, *grids: str) -> bool:
        """True when no earlier plant used any of `grids` (always, when relaxed)."""
        return not self.strict or not self.used_grids.intersection(grids)

    def usable(self, microgrids: list[int], grids: list[str]) -> bool:
        """True when these microgrids are not near an earlier geometry plant and the grids are unused."""
        if not self.strict:
            return not self.touched.intersection(microgrids)
        return not self.blocked.intersection(microgrids) and self.free(*grids)

    def claim(self, microgrids: list[int], grids: list[str]) -> None:
        """Mark grids as used and microgrids (with their neighbours) as off limits to later geometry plants."""
        self.used_grids.update(grids)
        for grid in grids:
            self.load[grid[:12]] = self.load.get(grid[:12], 0) + 1
        self.touched.update(microgrids)
        for index in microgrids:
            self.blocked.add(index)
            self.blocked.update(self.neighbours.get(index, {}))

    def add(self, props: dict[str, Any], geometry: BaseGeometry | None) -> int:
        """Append a new feature and return its index."""
        self.props.append(props)
        self.geoms.append(geometry)
        return len(self.props) - 1

    def next_child_code(self, parent: str, level: Level) -> str:
        """The first child number under `parent` that no feature uses."""
        codes = {p["code"] for p in self.props}
        number = 1
        while child_code(parent, level, number) in codes:
            number += 1
        return child_code(parent, level, number)

    def plant(
        self, kind: str, codes: list[str], level: Level, area: float | None, description: str, **extra: str
    ) -> None:
        """Record one answer-key entry."""
        self.entries.append(
            {
                "kind": kind,
                "codes": sorted(codes),
                "level": level.value,
                "area_m2": area,
                "description": description,
                **extra,
            }
        )

    def find_microgrid_neighbours(self) -> None:
        """Fill `neighbours`: for each microgrid, those it shares an edge with and the shared length (m)."""
        micro = self.indices(Level.MICROGRID)
        local = np.array([self.local(i) for i in micro], dtype=object)
        left, right = shapely.STRtree(local).query(local, predicate="intersects")
        self.neighbours = {i: {} for i in micro}
        for a, b in zip(left, right, strict=True):
            if a < b:
                shared = float(shapely.intersection(local[a].boundary, local[b].boundary).length)
                if shared > 0:
                    self.neighbours[micro[a]][micro[b]] = self.neighbours[micro[b]][micro[a]] = shared


def plain_value(value: Any) -> Any:
    """numpy scalars as Python ones (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value


class CannotPlant(RuntimeError):
    """No feature of the region suits a plant (under the current strictness)."""


def cannot_plant(kind: str) -> CannotPlant:
    """The error raised when no feature of the region suits a plant."""
    return CannotPlant(f"found no place to plant {kind} in the sample region")
