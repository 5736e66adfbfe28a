"""Boundary layers with their cell rasters kept on disk, so that the next run over the same boundaries skips
building them (seconds at province scale).

A raster is kept in `folder/<key>.npz`, the key a hash of the boundaries' geometry, codes and levels and of the
raster settings: a new boundary version (or any edit) gets a new key, and an old file is simply not used.
Files are written to a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmap.geo.assign import CELLS_PER_POLYGON, MAX_RASTER_CELLS
from gridmap.geo.cell_raster import CellRaster
from gridmap.geo.hierarchy import Level
from gridmap.services.boundary_layers import BoundaryLayers

logger = logging.getLogger(__name__)

_FORMAT = "cell-raster-1"  # changes when the raster's arrays change meaning


def boundaries_key(boundaries: gpd.GeoDataFrame) -> str:
    """A hash of the features' geometry, codes and levels and of the raster settings."""
    digest = hashlib.sha256(f"{_FORMAT}:{CELLS_PER_POLYGON}:{MAX_RASTER_CELLS}".encode())
    for column in ("level", "code"):
        digest.update("\x1f".join(boundaries[column].astype(str)).encode())
    for wkb in shapely.to_wkb(np.asarray(boundaries.geometry, dtype=object)):
        digest.update(b"" if wkb is None else wkb)
    return digest.hexdigest()[:32]


def cached_layers(boundaries: gpd.GeoDataFrame, folder: Path | None) -> BoundaryLayers:
    """The boundaries' layers with their rasters read from `folder` when kept there, else built and kept.

    With `folder` None nothing is kept and the rasters are built when a query is large enough to repay them.
    """
    if folder is None:
        return BoundaryLayers(boundaries)
    path = folder / f"{boundaries_key(boundaries)}.npz"
    kept = _read(path)
    if kept is not None:
        return BoundaryLayers(boundaries, rasters=kept)
    layers = BoundaryLayers(boundaries)
    _write(path, layers)
    return layers


def _read(path: Path) -> dict[Level, CellRaster] | None:
    """The rasters kept in `path`; None when there is no usable file."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError) as err:
        logger.warning("ignoring the unreadable raster cache file %s: %s", path.name, type(err).__name__)
        return None
    rasters = {}
    for level in Level:
        prefix = f"{level.value}."
        mine = {name.removeprefix(prefix): value for name, value in arrays.items() if name.startswith(prefix)}
        if mine:
            rasters[level] = CellRaster.from_arrays(mine)
    return rasters


def _write(path: Path, layers: BoundaryLayers) -> None:
    """Keep the layers' rasters in `path` (a failure to write only costs the next run the build)."""
    arrays = {
        f"{level.value}.{name}": value
        for level, named in layers.raster_arrays().items()
        for name, value in named.items()
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.part")
        with os.fdopen(handle, "wb") as target:
            np.savez(target, **arrays)  # type: ignore[arg-type]
        Path(temporary).replace(path)
    except OSError as err:
        logger.warning("could not keep the raster cache in %s: %s", path.parent, type(err).__name__)
