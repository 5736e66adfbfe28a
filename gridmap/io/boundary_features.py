"""The grid model's features as plain columns: what the coverage check reads, built without pandas.

`read_boundaries` fills one `FileFeatures` per file; the check takes their columns (`BoundaryFeatures`), and the
GeoDataFrame the other use cases take is built from the same records only when one asks for it, so that
`gridmap check` starts without importing pandas and geopandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import geopandas as gpd


@dataclass(frozen=True)
class FileFeatures:
    """One file's features: each one's grid-model properties (with `source` and `feature`) and WGS-84 geometry."""

    records: list[dict[str, Any]]
    geometries: npt.NDArray[np.object_]  # None where the file has no usable geometry


@dataclass(frozen=True)
class BoundaryFeatures:
    """The columns of grid-model features the check reads, one value per feature in order."""

    code: Sequence[Any]
    level: Sequence[Any]
    parent: Sequence[Any]
    source: Sequence[Any]
    feature: Sequence[Any]  # the feature's number in its file
    geometries: npt.NDArray[np.object_]  # WGS-84

    @classmethod
    def from_files(cls, files: Sequence[FileFeatures]) -> BoundaryFeatures:
        """The features of every file, file after file."""
        records = [record for file in files for record in file.records]
        geometries = np.concatenate([file.geometries for file in files]) if files else np.empty(0, dtype=object)
        return cls(
            code=[record["code"] for record in records],
            level=[record["level"] for record in records],
            parent=[record["parent"] for record in records],
            source=[record["source"] for record in records],
            feature=[record["feature"] for record in records],
            geometries=geometries,
        )

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> BoundaryFeatures:
        """The columns of a boundary frame (as `read_boundaries` or a store gives it)."""
        return cls(
            code=frame["code"].tolist(),
            level=frame["level"].tolist(),
            parent=frame["parent"].tolist(),
            source=frame["source"].tolist(),
            feature=frame["feature"].tolist(),
            geometries=np.asarray(frame.geometry.values, dtype=object),
        )

    def __len__(self) -> int:
        return len(self.geometries)
