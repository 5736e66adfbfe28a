"""The sample streets as written: every line split where it crosses or meets another, so that they form a network.

The generator draws each street as one line across the town: streets cross without a shared vertex, and
lanes end on the street they leave only to within a centimetre (the 7-decimal rounding). Written like that,
a walking network built from the file would have no junctions unless its reader nodes the lines (the
life-circle service does, for any GeoJSON). `noded_streets` nodes them once, with `gridmap.geo.noding`:
every line is split at every crossing and at every line end lying within `NODING_TOLERANCE_M` of another
line, and the pieces meeting at a junction share its vertex exactly, so that joining lines at shared
vertices gives the street network. Each street keeps its row, name and kind: its geometry becomes the
pieces between junctions, in order and in the street's direction.

Vertices stay the generator's, bit for bit; a junction that is not one of them (a crossing, or where a
lane's end lands on the street) is rounded to the files' 7 decimals, under a centimetre off the lines.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.crs import LocalMetres
from gridmap.geo.noding import NODING_TOLERANCE_M, FloatArray, node_lines
from gridmap_demo.projection import round_lonlat

__all__ = ["NODING_TOLERANCE_M", "noded_streets"]


def noded_streets(streets: gpd.GeoDataFrame, *, tolerance_m: float = NODING_TOLERANCE_M) -> gpd.GeoDataFrame:
    """The streets (WGS-84 lines, any properties) with each line split at every junction with the others."""
    geometries = np.asarray(streets.geometry.values, dtype=object)
    lonlat = shapely.get_coordinates(geometries)
    if not len(lonlat):
        return streets.copy()
    metres = LocalMetres(*(float(b) for b in shapely.total_bounds(geometries)))
    local = np.asarray(metres.to_local(geometries), dtype=object)
    # the generator's own vertices, found again by their (unchanged) metre coordinates
    originals = dict(zip(map(tuple, shapely.get_coordinates(local).tolist()), lonlat.tolist(), strict=True))
    noded_local = node_lines(local, tolerance_m)
    noded = streets.copy()
    noded.geometry = [
        geometry if after is before else _as_written(after, metres, originals)
        for geometry, before, after in zip(geometries, local, noded_local, strict=True)
    ]
    return noded


def _as_written(local: BaseGeometry, metres: LocalMetres, originals: dict[tuple[float, ...], list[float]]) -> object:
    """A noded street back in WGS-84: its original vertices as they were, new junctions rounded to 7 decimals."""

    def back(xy: FloatArray) -> FloatArray:
        rounded = round_lonlat(shapely.get_coordinates(metres.to_wgs84(shapely.points(xy))))
        kept = [originals.get(tuple(point)) for point in xy.tolist()]
        return np.asarray([rounded[k] if old is None else old for k, old in enumerate(kept)], dtype=np.float64)

    return shapely.transform(local, back)
