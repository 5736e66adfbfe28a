"""The household register and where each household falls in a version; implemented in `gridmap/store/households.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gridmap.store.version_store import VersionStore

if TYPE_CHECKING:  # arrays cross this protocol, but importing it (a command's --help) costs no numpy
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class HouseholdRecord:
    """A household of the register; `head_name` and `phone` are personal data, never shown to viewers."""

    household_id: str
    address: str
    lon: float | None
    lat: float | None
    people: int
    elderly_alone: bool = False
    disabled: bool = False
    left_behind_children: int = 0
    head_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class HouseholdPoint:
    """Where a stored household is (WGS-84; None when it has no point), by its row number and household id."""

    row: int
    household_id: str
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class HouseholdLocations:
    """The stored households that have a point, as columns by row: row numbers and WGS-84 coordinates."""

    rows: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]


@dataclass(frozen=True)
class Placement:
    """A household's codes in one version; no grid code and the nearest grid when it is uncovered."""

    row: int
    community_code: str | None
    grid_code: str | None
    microgrid_code: str | None
    nearest_grid_code: str | None = None
    distance_m: float | None = None


@dataclass(frozen=True)
class PlacedHousehold:
    """A household of the register with its codes in one version (personal data included: check roles first)."""

    household: HouseholdRecord
    community_code: str | None
    grid_code: str | None
    microgrid_code: str | None


@dataclass(frozen=True)
class HouseholdCounts:
    """Households in one community, grid or microgrid of a version, with people and care flags."""

    code: str
    version_id: int
    households: int
    people: int
    elderly_alone: int
    disabled: int
    left_behind_children: int


class HouseholdStore(Protocol):
    """Households (personal data included: check roles first) and their codes per boundary version."""

    def add_households(self, households: Sequence[HouseholdRecord]) -> int:
        """Add households to the register in one transaction; Conflict when a household id is taken."""
        ...

    def household_points(self) -> list[HouseholdPoint]:
        """Every stored household's point and id, by row."""
        ...

    def household_locations(self) -> HouseholdLocations:
        """The row numbers and points of the households that have a point, by row, as arrays (no ids:
        `household_ids` names the rows a caller keeps)."""
        ...

    def household_ids(self, rows: Sequence[int]) -> list[str]:
        """The household ids of stored rows, in the order asked for."""
        ...

    def save_placements(self, version_id: int, placements: Sequence[Placement]) -> None:
        """Replace the household codes stored for a version."""
        ...

    def has_placements(self, version_id: int) -> bool:
        """Whether household codes are stored for a version."""
        ...

    def households(self) -> list[HouseholdRecord]:
        """Every household of the register (personal data included), by household id."""
        ...

    def households_in(self, version_id: int, code: str) -> list[PlacedHousehold]:
        """The households placed in the feature `code` of a version, by household id; NotFound for no such code."""
        ...

    def household_revision(self) -> tuple[int, int]:
        """How many households the register holds and its highest row number: changes with every import."""
        ...

    def household_counts(self, version_id: int, code: str) -> HouseholdCounts:
        """Households placed in the feature `code` of a version; NotFound when the version has no such code."""
        ...


class HouseholdVersionStore(HouseholdStore, VersionStore, Protocol):
    """The household register with the boundary versions its households are placed in."""
