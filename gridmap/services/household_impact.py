"""Impact of a boundary change on the household register: who would change grid between two versions.

Both versions are assigned afresh by the assignment engine (the rule of `/locate`), so a draft can be
compared with the published version before it is published. Household ids and codes only: no names or phones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from geopandas import GeoDataFrame

from gridmap.services.boundary_layers import BoundaryLayers

if TYPE_CHECKING:  # the store package imports SQLAlchemy; `gridmap check --compare-to` has no store
    from gridmap.services.local_frames import LocalFrames
    from gridmap.store.household_store import HouseholdLocations, HouseholdVersionStore
    from gridmap.store.version_store import VersionStore

_CODE_COLUMNS = ("community_code", "grid_code", "microgrid_code")


@dataclass(frozen=True)
class HouseholdMove:
    """One household whose grid differs between the versions; None where a version leaves it uncovered."""

    household_id: str
    from_grid: str | None
    to_grid: str | None
    from_microgrid: str | None
    to_microgrid: str | None
    from_community: str | None
    to_community: str | None


@dataclass(frozen=True)
class GridPair:
    """How many households go from one grid to another (None: outside every grid)."""

    from_grid: str | None
    to_grid: str | None
    count: int


@dataclass(frozen=True)
class HouseholdImpact:
    """The households a change of version would move between grids, one by one and counted per pair."""

    from_version: int
    to_version: int
    moves: list[HouseholdMove] = field(default_factory=list)

    @property
    def moved(self) -> int:
        """How many households change grid."""
        return len(self.moves)

    @property
    def pairs(self) -> list[GridPair]:
        """Counts per (from grid, to grid), the largest first (ties by codes, uncovered last)."""
        counts = Counter((m.from_grid, m.to_grid) for m in self.moves)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0] or "\uffff", item[0][1] or "\uffff"))
        return [GridPair(from_grid=a, to_grid=b, count=n) for (a, b), n in ordered]

    def to_json(self, *, with_households: bool) -> dict[str, Any]:
        """The counts, and the household list only when `with_households` (planners and admins)."""
        answer: dict[str, Any] = {
            "moved": self.moved,
            "pairs": [{"from": p.from_grid, "to": p.to_grid, "count": p.count} for p in self.pairs],
        }
        if with_households:
            answer["households"] = [
                {
                    "household_id": m.household_id,
                    "from": {"community": m.from_community, "grid": m.from_grid, "microgrid": m.from_microgrid},
                    "to": {"community": m.to_community, "grid": m.to_grid, "microgrid": m.to_microgrid},
                }
                for m in self.moves
            ]
        return answer


def household_impact(
    store: HouseholdVersionStore,
    from_version: int,
    to_version: int,
    *,
    local: LocalFrames | None = None,
    households: HouseholdLocations | None = None,
) -> HouseholdImpact:
    """The stored households whose grid in `to_version` differs from their grid in `from_version`; with `local`
    (the two versions around what differs between them), only the households inside it are assigned. Only the
    ids of those that move are read. `households` are the stored ones' locations when the caller has read them."""
    located = store.household_locations() if households is None else households
    if not len(located.rows):
        # Still ask for both versions, so that an unknown version is NotFound whatever the register holds.
        store.get_version(from_version)
        store.get_version(to_version)
        return HouseholdImpact(from_version=from_version, to_version=to_version)
    before, after, inside = frames_to_assign(store, from_version, to_version, local, located.lon, located.lat)
    rows = located.rows[inside]
    if not len(rows):
        return HouseholdImpact(from_version=from_version, to_version=to_version)
    lon, lat = located.lon[inside], located.lat[inside]
    moves = _moves(before, after, lon, lat, lambda moved: store.household_ids(rows[moved].tolist()))
    return HouseholdImpact(from_version=from_version, to_version=to_version, moves=moves)


def frames_to_assign(
    store: VersionStore,
    from_version: int,
    to_version: int,
    local: LocalFrames | None,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> tuple[GeoDataFrame, GeoDataFrame, npt.NDArray[np.bool_]]:
    """The two versions' frames to assign points to, and which points to assign: every point to the whole
    versions, or (with `local`) the points inside it to its frames."""
    if local is None:
        return store.version_frame(from_version), store.version_frame(to_version), np.full(len(lon), True)
    return local.before, local.after, local.holds(lon, lat)


def moves_between(
    before: GeoDataFrame,
    after: GeoDataFrame,
    *,
    household_ids: Sequence[str],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> list[HouseholdMove]:
    """The households (WGS-84 points) whose grid in the `after` boundaries differs from the `before` ones."""
    return _moves(before, after, lon, lat, lambda moved: [household_ids[i] for i in moved])


def _moves(
    before: GeoDataFrame,
    after: GeoDataFrame,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    ids_of: Callable[[list[int]], Sequence[str]],
) -> list[HouseholdMove]:
    """The points whose grid differs between the boundaries, named by `ids_of` (the household ids of points by
    their index), which is asked for those points only."""
    old = _codes(before, lon, lat)
    new = _codes(after, lon, lat)
    moved = [i for i, (a, b) in enumerate(zip(old["grid_code"], new["grid_code"], strict=True)) if a != b]
    return [
        HouseholdMove(
            household_id=household_id,
            from_grid=old["grid_code"][i],
            to_grid=new["grid_code"][i],
            from_microgrid=old["microgrid_code"][i],
            to_microgrid=new["microgrid_code"][i],
            from_community=old["community_code"][i],
            to_community=new["community_code"][i],
        )
        for i, household_id in zip(moved, ids_of(moved) if moved else [], strict=True)
    ]


def _codes(
    boundaries: GeoDataFrame, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> dict[str, list[str | None]]:
    """Community, grid and microgrid code of every point (None outside every feature)."""
    assigned = BoundaryLayers(boundaries).assign(lon, lat)
    return {column: [code or None for code in assigned[column]] for column in _CODE_COLUMNS}
