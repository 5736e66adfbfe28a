"""A draft file edited "in QGIS": written straight with pyogrio as another program saves it, for the round-trip tests.

The edit moves the border between the two microgrids of grid 350924100001003 (tests/api/region.py) east by a
tenth of a cell, in both of them, so the coverage stays exact; it may rename a feature too. The file differs
from `gridmap draft export` as a QGIS save does: fields in another order plus one of QGIS's own, the layer
renamed, and every geometry a MultiPolygon.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyogrio
import shapely

from tests.boundary_builders import LON0, STEP

GRID = "350924100001003"
WEST, EAST = f"{GRID}01", f"{GRID}02"  # its microgrids, sharing the border at half a cell
BORDER_LON = LON0 + 0.5 * STEP
MOVED_LON = LON0 + 0.6 * STEP
QGIS_LAYER = "网格 edited"
QGIS_FIELDS = [
    "households_target", "备注", "name", "gm_base", "level", "code", "worker", "parent", "revision", "feature_id"
]  # fmt: skip


def _move_border(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    moved = coords.copy()
    moved[np.isclose(coords[:, 0], BORDER_LON, rtol=0, atol=1e-12), 0] = MOVED_LON
    return moved


def qgis_edit(
    exported: Path,
    out: Path,
    *,
    move_border: bool = True,
    names: dict[str, str] | None = None,
    drop: str = "",
    values: dict[str, dict[str, object]] | None = None,
) -> Path:
    """Write `out`: the exported draft with the border moved, `names` (code: name) changed, `drop` (a code) left out,
    and `values` (code: {field: value}) set; a row given a new `feature_id` of None is a feature drawn in QGIS."""
    frame = pyogrio.read_dataframe(exported)
    if move_border:
        for code in (WEST, EAST):
            row = frame.index[frame["code"] == code][0]
            frame.loc[row, "geometry"] = shapely.transform(frame.geometry[row], _move_border)
    for code, name in (names or {}).items():
        frame.loc[frame["code"] == code, "name"] = name
    frame = frame[frame["code"] != drop].copy()
    for code, fields in (values or {}).items():
        row = frame.index[frame["code"] == code][0]
        for name, value in fields.items():
            frame.loc[row, name] = value
    frame["备注"] = "checked on site"
    frame["geometry"] = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in frame.geometry]
    pyogrio.write_dataframe(frame[[*QGIS_FIELDS, "geometry"]], out, layer=QGIS_LAYER, driver="GPKG")
    return out
