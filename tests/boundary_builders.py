"""Builders of small boundary sets for tests: lon/lat boxes near Shouning with well-formed codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

LON0, LAT0 = 119.50, 27.45
STEP = 0.002  # about 200 m
COMMUNITY = "350924100001"


def cell(col: float, row: float, width: float = 1.0, height: float = 1.0) -> shapely.Polygon:
    """A lon/lat box `width` x `height` grid steps in size, `col` steps east and `row` steps north of the origin."""
    return shapely.box(LON0 + col * STEP, LAT0 + row * STEP, LON0 + (col + width) * STEP, LAT0 + (row + height) * STEP)


def feature(
    code: str, level: str | None, parent: str, geometry: BaseGeometry | dict[str, Any] | None
) -> dict[str, Any]:
    """A GeoJSON feature of the grid model."""
    if isinstance(geometry, BaseGeometry):
        geometry = shapely.geometry.mapping(geometry)
    properties: dict[str, Any] = {"code": code, "name": f"名称{code[-3:]}", "parent": parent}
    if level is not None:
        properties["level"] = level
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def community_of_grids(columns: int = 2, rows: int = 2) -> list[dict[str, Any]]:
    """One community split into columns x rows grids, an exact coverage."""
    features = [feature(COMMUNITY, "community", "", cell(0, 0, columns, rows))]
    number = 0
    for row in reversed(range(rows)):
        for col in range(columns):
            number += 1
            features.append(feature(f"{COMMUNITY}{number:03d}", "grid", COMMUNITY, cell(col, row)))
    return features


def write_collection(path: Path, features: list[dict[str, Any]]) -> Path:
    """Write features as a GeoJSON FeatureCollection."""
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def frame_of(features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The grid-model frame of in-memory features, as read from a file."""
    import tempfile

    from gridmap.io.boundaries import read_boundaries

    with tempfile.TemporaryDirectory() as folder:
        path = write_collection(Path(folder) / "boundaries.geojson", features)
        return read_boundaries([path]).frame
