"""Two versions read only where they differ: the features meeting boxes around what changed, and the points inside.

Outside the boxes both versions hold the same features with the same properties, so a point there gets the same
community, grid and microgrid from each (a point's codes depend only on the features covering it). What a change
of version does to households and incidents is then found from the points inside the boxes, assigned to the
features meeting them, without reading either version whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from geopandas import GeoDataFrame

from gridmap.geo.hierarchy import Level
from gridmap.store.version_store import Feature, VersionStore


@dataclass(frozen=True)
class LocalFrames:
    """Boxes (min lon, min lat, max lon, max lat; one per row) and each version's features meeting one of them."""

    boxes: npt.NDArray[np.float64]
    before: GeoDataFrame
    after: GeoDataFrame

    def holds(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Per point: does it lie in (or on the edge of) a box?"""
        return points_in_boxes(self.boxes, lon, lat)


def local_frames(
    store: VersionStore, from_version: int, to_version: int, changed: Sequence[Feature]
) -> LocalFrames | None:
    """The two versions around the `changed` features (both versions' features that the other does not hold
    alike), one box per feature id over both its versions (none when nothing changed: then nothing moves); None
    when a side has no grid there, where only the whole versions give the answer (or its error)."""
    boxes = feature_boxes(changed)
    if not len(boxes):  # the versions are alike: nothing moves
        alike = store.version_frame(to_version, codes=())
        return LocalFrames(boxes=boxes, before=alike, after=alike)
    before, after = (store.version_frame(version_id, boxes=boxes) for version_id in (from_version, to_version))
    if not all((frame["level"] == Level.GRID.value).any() for frame in (before, after)):
        return None
    return LocalFrames(boxes=boxes, before=before, after=after)


def feature_boxes(changed: Sequence[Feature]) -> npt.NDArray[np.float64]:
    """One box per feature id over every geometry `changed` holds for it (both its versions), by id."""
    ids = [f.feature_id for f in changed]
    bounds = shapely.bounds(np.asarray([f.geometry for f in changed], dtype=object)).reshape(-1, 4)
    by_id = pd.DataFrame(bounds, columns=["west", "south", "east", "north"]).groupby(ids, sort=True)
    return pd.concat([by_id[["west", "south"]].min(), by_id[["east", "north"]].max()], axis=1).to_numpy(np.float64)


def points_in_boxes(
    boxes: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Per point: does it lie in (or on the edge of) one of the boxes?

    The points are sorted by longitude once; each box takes the run of points within its longitudes (a binary
    search) and keeps those within its latitudes: no point geometry is made."""
    inside = np.zeros(len(lon), dtype=bool)
    if not len(boxes) or not len(lon):
        return inside
    by_lon = np.argsort(lon, kind="stable")
    sorted_lon = lon[by_lon]
    starts = np.searchsorted(sorted_lon, boxes[:, 0], side="left")
    ends = np.searchsorted(sorted_lon, boxes[:, 2], side="right")
    for start, end, south, north in zip(starts, ends, boxes[:, 1], boxes[:, 3], strict=True):
        run = by_lon[start:end]
        inside[run[(lat[run] >= south) & (lat[run] <= north)]] = True
    return inside
