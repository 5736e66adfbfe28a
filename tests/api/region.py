"""A small hand-drawn region for API tests: two communities of four grids, each grid split in two microgrids.

Cells are STEP degrees (about 200 m) square, laid out from (LON0, LAT0) as in tests/boundary_builders.py.
Grid numbers run west to east, north to south inside their community, as the code scheme asks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely

from tests.boundary_builders import LAT0, LON0, STEP, cell

TOWN = "350924100"
COMMUNITIES = {f"{TOWN}001": ("大同社区", 0), f"{TOWN}002": ("城东社区", 2)}  # code: (name, first column)
WORKERS = ["张发敏", "李秀英", "王建国", "陈美玲"]


def _feature(code: str, name: str, level: str, parent: str, geometry: shapely.Polygon, **extra: Any) -> dict[str, Any]:
    properties = {"code": code, "name": name, "level": level, "parent": parent, **extra}
    return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geometry)}


def region_features() -> list[dict[str, Any]]:
    """2 communities, 8 grids, 16 microgrids: an exact three-level coverage."""
    features = []
    for community, (community_name, col0) in COMMUNITIES.items():
        features.append(_feature(community, community_name, "community", "", cell(col0, 0, 2, 2)))
        number = 0
        for row in (1, 0):  # north first
            for col in (0, 1):
                number += 1
                grid = f"{community}{number:03d}"
                name = f"{community_name[:2]}第{number}网格"
                box = cell(col0 + col, row)
                features.append(
                    _feature(grid, name, "grid", community, box, worker=WORKERS[number - 1], households_target=300)
                )
                for half in (0, 1):  # west half, east half
                    micro = f"{grid}{half + 1:02d}"
                    features.append(
                        _feature(
                            micro,
                            f"{name}{half + 1}号楼栋",
                            "microgrid",
                            grid,
                            cell(col0 + col + half / 2, row, 0.5, 1),
                        )
                    )
    return features


def write_region(path: Path, features: list[dict[str, Any]] | None = None) -> Path:
    """The region (or `features`) as a GeoJSON file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"type": "FeatureCollection", "features": region_features() if features is None else features}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def grid_centre(community_col0: int, col: int, row: int) -> tuple[float, float]:
    """The WGS-84 centre of the grid cell at (col, row) of the community starting at column community_col0."""
    return (LON0 + (community_col0 + col + 0.5) * STEP, LAT0 + (row + 0.5) * STEP)
