"""Boundary layers with their cell rasters kept on disk, so that the next run over the same boundaries skips
building them (seconds at province scale).

A raster is kept in the folder `folder/<key>/`, one `.npy` file per array, the key a hash of the boundaries'
geometry, codes and levels and of the raster settings: a new boundary version (or any edit) gets a new key, and an
old folder is simply not used. A run maps the files rather than reading them (a query touches only the cells its
points fall in). The folder is written under a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
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

_FORMAT = "cell-raster-2"  # changes when the raster's arrays change meaning


def boundaries_key(boundaries: gpd.GeoDataFrame) -> str:
    """A hash of the features' geometry, codes and levels and of the raster settings."""
    digest = hashlib.sha256(f"{_FORMAT}:{CELLS_PER_POLYGON}:{MAX_RASTER_CELLS}".encode())
    for column in ("level", "code"):
        digest.update("\x1f".join(map(str, boundaries[column].tolist())).encode())
    wkbs = shapely.to_wkb(np.asarray(boundaries.geometry, dtype=object))
    digest.update(b"".join(wkb or b"" for wkb in wkbs))  # WKB is self-delimiting: one update, not one per feature
    return digest.hexdigest()[:32]


def cached_layers(boundaries: gpd.GeoDataFrame, folder: Path | None) -> BoundaryLayers:
    """The boundaries' layers with their rasters read from `folder` when kept there, else built and kept.

    With `folder` None nothing is kept and the rasters are built when a query is large enough to repay them.
    """
    if folder is None:
        return BoundaryLayers(boundaries)
    path = folder / boundaries_key(boundaries)
    kept = _read(path)
    if kept is not None:
        return BoundaryLayers(boundaries, rasters=kept)
    layers = BoundaryLayers(boundaries)
    _write(path, layers)
    return layers


def _read(path: Path) -> dict[Level, CellRaster] | None:
    """The rasters kept in the folder `path`, mapped read-only; None when there is no usable folder."""
    if not path.is_dir():
        return None
    try:
        arrays = {kept.stem: np.load(kept, mmap_mode="r") for kept in path.glob("*.npy")}
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
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=path.parent, suffix=".part"))
        for name, value in arrays.items():
            np.save(temporary / f"{name}.npy", value)
        temporary.rename(path)  # fails when another run kept the same rasters first: theirs are as good
    except OSError as err:
        logger.warning("could not keep the raster cache in %s: %s", path.parent, type(err).__name__)
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
