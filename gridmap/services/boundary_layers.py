"""Boundary layers: a boundary version's community, grid and microgrid assigners, answering codes for many points.

Shared by geocoding (which also matches addresses) and household impact (which does not), so that assigning points
needs neither the address matcher nor its dictionaries.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np

from gridmap.errors import InvalidInput
from gridmap.geo.assign import PointAssigner
from gridmap.geo.crs import LocalMetres
from gridmap.geo.hierarchy import Level


class BoundaryLayers:
    """One assigner per level of a boundary version, answering codes for many points at once."""

    def __init__(self, boundaries: gpd.GeoDataFrame) -> None:
        if boundaries.empty:
            msg = "the boundary version has no features to assign households to"
            raise InvalidInput(msg)
        self.assigners: dict[Level, tuple[PointAssigner, np.ndarray]] = {}
        for level in Level:
            part = boundaries[boundaries["level"] == level.value]
            if len(part):
                codes = part["code"].astype(str).to_numpy()
                self.assigners[level] = (PointAssigner(np.asarray(part.geometry, dtype=object), codes), codes)
        if Level.GRID not in self.assigners:
            msg = "the boundaries have no grid level to assign households to"
            raise InvalidInput(msg)
        self.metres = LocalMetres(*(float(v) for v in boundaries.total_bounds))

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> dict[str, list[str]]:
        """Per point: community/grid/microgrid code, assignment, nearest grid and distance (as CSV text)."""
        columns: dict[str, list[str]] = {}
        for level in Level:
            if level in self.assigners:
                assigner, codes = self.assigners[level]
                found = assigner.assign_xy(lon, lat)
                columns[f"{level.value}_code"] = [str(codes[i]) if i >= 0 else "" for i in found.tolist()]
            else:
                columns[f"{level.value}_code"] = [""] * len(lon)
        grids, codes = self.assigners[Level.GRID]
        where = grids.locate(lon, lat, metres=self.metres)
        located = np.isfinite(lon) & np.isfinite(lat)
        columns["assignment"] = [
            "" if not ok else ("covered" if p >= 0 else "uncovered")
            for ok, p in zip(located.tolist(), where.polygon.tolist(), strict=True)
        ]
        pairs = list(zip(where.polygon.tolist(), where.nearest.tolist(), strict=True))
        columns["nearest_grid_code"] = [str(codes[n]) if p < 0 and n >= 0 else "" for p, n in pairs]
        columns["nearest_grid_distance_m"] = [
            f"{d:.1f}" if p < 0 and math.isfinite(d) else ""
            for p, d in zip(where.polygon.tolist(), where.distance_m.tolist(), strict=True)
        ]
        return columns
