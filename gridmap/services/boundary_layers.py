"""Boundary layers: a boundary version's community, grid and microgrid assigners, answering codes for many points.

Shared by geocoding (which also matches addresses) and household impact (which does not), so that assigning points
needs neither the address matcher nor its dictionaries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt

from gridmap.errors import InvalidInput
from gridmap.geo.assign import PointAssigner
from gridmap.geo.cell_raster import CellRaster
from gridmap.geo.crs import LocalMetres
from gridmap.geo.hierarchy import Level


@dataclass(frozen=True)
class LayerCodes:
    """Per point: its community, grid and microgrid code (None where none covers it), whether a grid covers it,
    and for points outside every grid the nearest grid's code and its distance in metres (NaN otherwise)."""

    codes: dict[Level, npt.NDArray[np.object_]]
    located: npt.NDArray[np.bool_]
    covered: npt.NDArray[np.bool_]
    nearest_grid_code: npt.NDArray[np.object_]
    distance_m: npt.NDArray[np.float64]


class BoundaryLayers:
    """One assigner per level of a boundary version, answering codes for many points at once.

    `rasters` are the levels' cell rasters as `raster_arrays()` gave them for the same boundaries (see
    gridmap.services.raster_cache); missing ones are built when a query is large enough to repay them.
    """

    def __init__(self, boundaries: gpd.GeoDataFrame, *, rasters: Mapping[Level, CellRaster] | None = None) -> None:
        if boundaries.empty:
            msg = "the boundary version has no features to assign households to"
            raise InvalidInput(msg)
        self.assigners: dict[Level, tuple[PointAssigner, np.ndarray]] = {}
        for level in Level:
            part = boundaries[boundaries["level"] == level.value]
            if len(part):
                codes = part["code"].astype(str).to_numpy()
                raster = (rasters or {}).get(level)
                assigner = PointAssigner(np.asarray(part.geometry, dtype=object), codes, raster=raster)
                self.assigners[level] = (assigner, codes)
        if Level.GRID not in self.assigners:
            msg = "the boundaries have no grid level to assign households to"
            raise InvalidInput(msg)
        self.metres = LocalMetres(*(float(v) for v in boundaries.total_bounds))

    def raster_arrays(self) -> dict[Level, dict[str, npt.NDArray[np.generic]]]:
        """Each level's cell raster as arrays (built now where missing), to keep for the next run."""
        found = {level: assigner.raster_arrays() for level, (assigner, _) in self.assigners.items()}
        return {level: arrays for level, arrays in found.items() if arrays is not None}

    def codes(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], *, threads: int = 1) -> LayerCodes:
        """The codes of each point at every level, and the nearest grid of points outside every grid."""
        codes: dict[Level, npt.NDArray[np.object_]] = {}
        for level in Level:
            if level in self.assigners and level is not Level.GRID:
                assigner, names = self.assigners[level]
                codes[level] = _named(assigner.assign_xy(lon, lat, threads=threads), names)
            elif level is not Level.GRID:
                codes[level] = np.full(len(lon), None, dtype=object)
        grids, names = self.assigners[Level.GRID]
        where = grids.locate(lon, lat, metres=self.metres, threads=threads)
        codes[Level.GRID] = _named(where.polygon, names)
        covered = where.polygon >= 0
        return LayerCodes(
            codes={level: codes[level] for level in Level},
            located=np.isfinite(lon) & np.isfinite(lat),
            covered=covered,
            nearest_grid_code=_named(np.where(covered, -1, where.nearest), names),
            distance_m=np.where(covered, np.nan, where.distance_m),
        )

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> dict[str, list[str]]:
        """Per point: community/grid/microgrid code, assignment, nearest grid and distance (as CSV text)."""
        found = self.codes(lon, lat)
        columns = {f"{level.value}_code": [code or "" for code in found.codes[level].tolist()] for level in Level}
        columns["assignment"] = [
            "" if not ok else ("covered" if inside else "uncovered")
            for ok, inside in zip(found.located.tolist(), found.covered.tolist(), strict=True)
        ]
        columns["nearest_grid_code"] = [code or "" for code in found.nearest_grid_code.tolist()]
        columns["nearest_grid_distance_m"] = [f"{d:.1f}" if math.isfinite(d) else "" for d in found.distance_m.tolist()]
        return columns


def _named(found: npt.NDArray[np.intp], names: np.ndarray) -> npt.NDArray[np.object_]:
    """The code of each found polygon index, None for -1."""
    named = np.full(len(found), None, dtype=object)
    hit = found >= 0
    named[hit] = names[found[hit]]
    return named
