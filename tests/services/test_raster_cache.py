"""Rasters kept per boundary version: the next run maps them instead of building, with the same answers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmap.geo.assign import PointAssigner
from gridmap.geo.hierarchy import Level
from gridmap.services.raster_cache import boundaries_key, cached_layers

SIDE = 4


def grid_frame() -> gpd.GeoDataFrame:
    """A 4 x 4 chessboard of unit grids, codes numbered against reading order so that ranks and indices differ."""
    boxes = [shapely.box(col, row, col + 1, row + 1) for row in range(SIDE) for col in range(SIDE)]
    codes = [f"35092410000100{SIDE * SIDE - i:02d}" for i in range(SIDE * SIDE)]
    return gpd.GeoDataFrame({"code": codes, "level": Level.GRID.value}, geometry=boxes, crs=4326)


def points(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points over the board and beyond it, and every lattice vertex (shared by up to four grids)."""
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-0.5, SIDE + 0.5, size=(2, count))
    vx, vy = np.meshgrid(np.arange(SIDE + 1.0), np.arange(SIDE + 1.0))
    return np.concatenate([x, vx.ravel()]), np.concatenate([y, vy.ravel()])


def exact_answer(frame: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The exact engine alone: the answer the rasters must reproduce."""
    assigner = PointAssigner(np.asarray(frame.geometry, dtype=object), frame["code"].to_numpy(), raster=False)
    return assigner.assign_xy(x, y)


def test_the_second_run_maps_the_kept_raster_and_answers_the_same(tmp_path: Path) -> None:
    frame = grid_frame()
    x, y = points(200_000)
    first = cached_layers(frame, tmp_path).assigners[Level.GRID][0]
    kept = tmp_path / boundaries_key(frame)
    written = {path.name: path.stat().st_mtime_ns for path in kept.glob("*.npy")}
    assert {"grid.label.npy", "grid.owners.npy"} <= set(written)

    second = cached_layers(frame, tmp_path).assigners[Level.GRID][0]
    assert {path.name: path.stat().st_mtime_ns for path in kept.glob("*.npy")} == written  # read, not rebuilt
    answer = second.assign_xy(x, y)
    assert np.array_equal(answer, first.assign_xy(x, y))
    assert np.array_equal(answer, exact_answer(frame, x, y))


def test_a_half_written_folder_is_not_read(tmp_path: Path) -> None:
    frame = grid_frame()
    (tmp_path / f"{boundaries_key(frame)}.part").mkdir()  # what a run stopped while writing leaves behind
    x, y = points(200_000)
    layers = cached_layers(frame, tmp_path)
    assert (tmp_path / boundaries_key(frame)).is_dir()
    answer = layers.assigners[Level.GRID][0].assign_xy(x, y)
    assert np.array_equal(answer, exact_answer(frame, x, y))
