"""What a sample-region generator lays out before codes and names: microgrid shapes, their tree, the streets.

Both generators (the hand-shaped county town and the lattice for benchmarks) produce a `Layout`; the
`region` module turns it into coded, named boundaries. Later generators (households, facilities, a walking
network, incidents) can start from the same `Layout` and its `StreetNetwork`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon
from shapely.geometry.base import BaseGeometry

from gridmap_demo.names import RIVER_NAME
from gridmap_demo.projection import GeometryArray, LocalFrame

IntArray = npt.NDArray[np.int64]


class StreetKind(StrEnum):
    """How important a street is; community edges follow arterials, grid edges streets, microgrids lanes."""

    ARTERIAL = "arterial"
    STREET = "street"
    LANE = "lane"


@dataclass(frozen=True)
class Street:
    """One named street in local metres."""

    name: str
    kind: StreetKind
    geometry: LineString | MultiLineString


@dataclass(frozen=True)
class StreetNetwork:
    """The region's linework in local metres: the built-up outline, the river centreline and the streets."""

    outline: Polygon
    river: LineString
    river_width_m: float
    streets: tuple[Street, ...]

    def river_water(self) -> Polygon:
        """The river as water: its centreline widened and clipped to the outline."""
        water = self.river.buffer(self.river_width_m / 2.0, cap_style="flat").intersection(self.outline)
        polygons = [part for part in getattr(water, "geoms", [water]) if isinstance(part, Polygon)]
        return max(polygons, key=lambda part: part.area)

    def streets_frame(self, frame: LocalFrame) -> gpd.GeoDataFrame:
        """Streets in WGS-84 with `name` and `kind`, ordered by kind then name."""
        order = sorted(range(len(self.streets)), key=lambda i: (_KIND_ORDER[self.streets[i].kind], i))
        geometries = frame.to_lonlat(np.array([self.streets[i].geometry for i in order], dtype=object))
        return gpd.GeoDataFrame(
            {
                "name": [self.streets[i].name for i in order],
                "kind": [self.streets[i].kind.value for i in order],
            },
            geometry=list(geometries),
            crs="EPSG:4326",
        )

    def river_frame(self, frame: LocalFrame) -> gpd.GeoDataFrame:
        """The river in WGS-84: its water polygon and its centreline (which boundaries may follow)."""
        centreline = self.river.intersection(self.outline)
        geometries = frame.to_lonlat(np.array([self.river_water(), centreline], dtype=object))
        return gpd.GeoDataFrame(
            {"name": [RIVER_NAME, RIVER_NAME], "kind": ["water", "centreline"]},
            geometry=list(geometries),
            crs="EPSG:4326",
        )


_KIND_ORDER = {StreetKind.ARTERIAL: 0, StreetKind.STREET: 1, StreetKind.LANE: 2}


@dataclass(frozen=True)
class Layout:
    """Microgrids (WGS-84, rounded, an exact coverage) and the tree above them, before codes and names."""

    frame: LocalFrame
    microgrids: GeometryArray
    microgrid_grid: IntArray
    grid_community: IntArray
    network: StreetNetwork
    # Where named compounds should go: compound name -> microgrid index (e.g. 朝阳新村 on 环城路).
    placed_compounds: dict[str, int]

    @property
    def grid_count(self) -> int:
        """Number of grids."""
        return len(self.grid_community)

    @property
    def community_count(self) -> int:
        """Number of communities."""
        return int(self.grid_community.max()) + 1 if len(self.grid_community) else 0


def apportion(total: int, weights: Sequence[float], low: int, high: int) -> list[int]:
    """`total` split into integers proportional to `weights`, each within [low, high]."""
    count = len(weights)
    if not low * count <= total <= high * count:
        msg = f"cannot split {total} into {count} parts of {low}..{high}"
        raise ValueError(msg)
    weight_array = np.asarray(weights, dtype=np.float64)
    ideal = total * weight_array / weight_array.sum()
    shares = np.clip(np.floor(ideal), low, high).astype(np.int64)
    while shares.sum() < total:
        room = np.where(shares < high, ideal - shares, -np.inf)
        shares[int(np.argmax(room))] += 1
    while shares.sum() > total:
        excess = np.where(shares > low, shares - ideal, -np.inf)
        shares[int(np.argmax(excess))] -= 1
    return [int(share) for share in shares]


def as_polygon(geometry: BaseGeometry, what: str) -> Polygon:
    """`geometry` as a single Polygon, or a RuntimeError naming `what` (a generator bug)."""
    if not isinstance(geometry, Polygon):
        msg = f"{what} came out as a {geometry.geom_type}, not one polygon"
        raise RuntimeError(msg)
    return geometry


def coverage_union_groups(geometries: GeometryArray, groups: IntArray, count: int) -> GeometryArray:
    """For each group 0..count-1 the coverage union of its members (members must form an exact coverage)."""
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(count + 1))
    unions = [shapely.coverage_union_all(geometries[order[bounds[i] : bounds[i + 1]]]) for i in range(count)]
    return np.array(unions, dtype=object)
