"""Life circles of the store's data, analysed once and kept while their inputs stay the same.

Boundaries come from a boundary version of the store (the published one unless another is asked for) and
households from the store's register when it holds any with a point; otherwise the households file. The
store has no tables for facilities or streets, so those are always files (Settings.lifecircle_facilities
and lifecircle_network, the sample region's by default).

An analysis is kept in a small LRU keyed by everything it was made from: the boundary version (a draft also
by its content, since drafts may still be edited), the register's revision, the files' sizes and modification
times, and the walking speed. Publishing a version or importing households therefore gives fresh results.
The speed is rounded to `SPEED_STEP` first, so that a caller varying it in the third decimal gets the kept
analysis instead of making the server work anew; one analysis is computed at a time per process.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmap.services.lifecircle import (
    SAMPLE_FILES,
    LifeCircle,
    NetworkOptions,
    households_frame,
    load_network,
    read_facilities,
    read_households,
)
from gridmap.store.household_store import HouseholdStore, HouseholdVersionStore
from gridmap.store.version_store import VersionInfo, VersionStatus

DEFAULT_SIZE = 4
"""Analyses kept per process: each holds a few arrays per household, so a handful is plenty."""
MIN_SPEED, MAX_SPEED, SPEED_STEP = 0.3, 3.0, 0.1
"""Walking speeds (m/s) an analysis may be asked for, and the step they are rounded to."""


def quantised_speed(speed: float) -> float:
    """`speed` rounded to the nearest `SPEED_STEP` m/s (within MIN_SPEED..MAX_SPEED when given within it)."""
    return round(round(speed / SPEED_STEP) * SPEED_STEP, 1)


@dataclass(frozen=True)
class TownFiles:
    """The files an analysis reads: streets and facilities always, households when the register has none."""

    network: Path
    facilities: Path
    households: Path
    base: Path | None = None
    """Folder that paths are named relative to in `sources` (the server's own folders are not shown)."""

    @classmethod
    def of_sample(cls, sample_dir: Path, *, network: Path | None = None, facilities: Path | None = None) -> TownFiles:
        """The sample region's files in `sample_dir`, with streets or facilities replaced where given."""
        return cls(
            network=network or sample_dir / SAMPLE_FILES["network"],
            facilities=facilities or sample_dir / SAMPLE_FILES["facilities"],
            households=sample_dir / SAMPLE_FILES["households"],
            base=sample_dir,
        )

    def describe(self, path: Path) -> str:
        """`file <path>`, relative to the base folder when inside it, else the file's name alone."""
        if self.base is not None and path.is_relative_to(self.base):
            return f"file {path.relative_to(self.base).as_posix()}"
        return f"file {path.name}"


@dataclass(frozen=True)
class TownAnalysis:
    """A life-circle analysis and where each of its inputs came from."""

    town: LifeCircle
    sources: dict[str, str]
    unlocated: int
    """Households of the register left out because they have no point (0 when households come from a file)."""
    boundaries: gpd.GeoDataFrame | None
    """The boundary version's features, None without one."""


def register_households(store: HouseholdStore) -> tuple[gpd.GeoDataFrame, int]:
    """The register's households with a point, as WGS-84 points with `people`, and how many have none."""
    records = store.households()
    located = [r for r in records if r.lon is not None and r.lat is not None]
    lon = np.array([r.lon for r in located], dtype=np.float64)
    lat = np.array([r.lat for r in located], dtype=np.float64)
    people = np.array([r.people for r in located], dtype=np.float64)
    points = np.asarray(shapely.points(lon, lat), dtype=object)
    return households_frame(points, people), len(records) - len(located)


class TownCache:
    """Analysed towns of one store, the last `size` used kept (one computation at a time)."""

    def __init__(self, store: HouseholdVersionStore, files: TownFiles, *, size: int = DEFAULT_SIZE) -> None:
        self.store = store
        self.files = files
        self.size = size
        self._towns: OrderedDict[Hashable, TownAnalysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: VersionInfo | None, speed: float) -> TownAnalysis:
        """The town with the boundaries of `version` (None: none) at `speed` m/s (rounded to SPEED_STEP), analysed
        when its inputs changed."""
        speed = quantised_speed(speed)
        with self._lock:
            # A draft may still change, so its features are read to name it; other versions are read on a miss only.
            boundaries = None
            if version is not None and version.status is VersionStatus.DRAFT:
                boundaries = self.store.version_frame(version.id)
            key = (
                _version_key(version, boundaries),
                self.store.household_revision(),
                _file_key(self.files.households),
                _file_key(self.files.facilities),
                _file_key(self.files.network),
                speed,
            )
            analysis = self._towns.get(key)
            if analysis is None:
                analysis = analyse_town(self.store, self.files, version, speed, boundaries=boundaries)
                self._towns[key] = analysis
                while len(self._towns) > self.size:
                    self._towns.popitem(last=False)
            self._towns.move_to_end(key)
            return analysis


def analyse_town(
    store: HouseholdVersionStore,
    files: TownFiles,
    version: VersionInfo | None,
    speed: float,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    network: NetworkOptions | None = None,
) -> TownAnalysis:
    """A fresh analysis: `version`'s boundaries (read unless given), the register's households or else the file."""
    if version is not None and boundaries is None:
        boundaries = store.version_frame(version.id)
    households, unlocated = register_households(store)
    households_source = "store"
    if not len(households):
        households, unlocated = read_households(files.households), 0
        households_source = files.describe(files.households)
    town = LifeCircle(
        load_network(files.network, network),
        households,
        read_facilities(files.facilities),
        speed=speed,
        boundaries=boundaries,
    )
    sources = {
        "boundaries": "none" if version is None else f"store v{version.id}",
        "households": households_source,
        "facilities": files.describe(files.facilities),
        "network": files.describe(files.network),
    }
    return TownAnalysis(town=town, sources=sources, unlocated=unlocated, boundaries=boundaries)


def _version_key(version: VersionInfo | None, boundaries: gpd.GeoDataFrame | None) -> Hashable:
    """A version's cache key: its id, and for a draft (whose features are given) their content, as drafts change."""
    if version is None:
        return None
    if boundaries is None:
        return version.id
    digest = hashlib.sha256()
    for column in ("code", "level", "parent", "name"):
        if column in boundaries.columns:
            digest.update("\x1f".join(boundaries[column].fillna("").astype(str)).encode())
    for wkb in shapely.to_wkb(boundaries.geometry.to_numpy()):
        digest.update(wkb)
    return (version.id, digest.hexdigest())


def _file_key(path: Path) -> Hashable:
    """A file's path, size and modification time (None parts when it is missing)."""
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None)
    return (str(path), stat.st_size, stat.st_mtime_ns)
