"""Households in the store: their codes in a boundary version, and counts per community, grid or microgrid.

Counts hold no personal data, so everyone may read them; the register's names and phones stay in the store.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gridmap.address.match import AddressMatcher
from gridmap.errors import Forbidden, InvalidInput, NotFound
from gridmap.geo.crs import Datum
from gridmap.geo.hierarchy import Level
from gridmap.services.geocode import BoundaryLayers, row_point, sniff_encoding
from gridmap.services.users import has_role
from gridmap.store.interface import (
    BoundaryStore,
    Feature,
    HouseholdCounts,
    HouseholdRecord,
    PlacedHousehold,
    Placement,
    Role,
    UserInfo,
    VersionInfo,
    VersionStatus,
)


def place_households(store: BoundaryStore, version_id: int) -> int:
    """Store every household's codes in a version (the rule of `/locate`); returns how many were placed."""
    points = store.household_points()
    if not points:
        store.save_placements(version_id, [])
        return 0
    layers = BoundaryLayers(store.version_frame(version_id))
    lon = np.array([np.nan if p.lon is None else p.lon for p in points], dtype=np.float64)
    lat = np.array([np.nan if p.lat is None else p.lat for p in points], dtype=np.float64)
    codes = layers.assign(lon, lat)
    placements = [
        Placement(
            row=point.row,
            community_code=codes["community_code"][i] or None,
            grid_code=codes["grid_code"][i] or None,
            microgrid_code=codes["microgrid_code"][i] or None,
            nearest_grid_code=codes["nearest_grid_code"][i] or None,
            distance_m=float(codes["nearest_grid_distance_m"][i]) if codes["nearest_grid_distance_m"][i] else None,
        )
        for i, point in enumerate(points)
        if codes["assignment"][i]
    ]
    store.save_placements(version_id, placements)
    return len(placements)


def household_counts(store: BoundaryStore, version: VersionInfo, code: str) -> HouseholdCounts:
    """Households, people and care flags in the feature `code` of a version (placing households first if needed).

    Published and retired versions no longer change, so their placements are stored once; a draft may still be
    edited, so its households are placed afresh each time.
    """
    if version.status is VersionStatus.DRAFT or not store.has_placements(version.id):
        place_households(store, version.id)
    return store.household_counts(version.id, code)


def households_in_grid(
    store: BoundaryStore, version: VersionInfo, code: str, *, user: UserInfo
) -> list[PlacedHousehold]:
    """The households (personal data included) in the feature `code`, for planners, admins and its own worker.

    A worker may list the grid whose `worker` property is their name, and that grid's microgrids; anyone
    else is Forbidden, before any household is read.
    """
    found = store.features(version.id, code=code).features
    if not found:
        msg = f"boundary version {version.id} has no community, grid or microgrid {code!r}"
        raise NotFound(msg)
    own_grid = user.role is Role.WORKER and _grid_worker(store, version, found[0]) == user.name
    if not (has_role(user, Role.PLANNER) or own_grid):
        msg = f"{user.name} is a {user.role.value}; the households of {code} are for its grid's worker and planners"
        raise Forbidden(msg)
    if version.status is VersionStatus.DRAFT or not store.has_placements(version.id):
        place_households(store, version.id)
    return store.households_in(version.id, code)


def _grid_worker(store: BoundaryStore, version: VersionInfo, feature: Feature) -> str | None:
    """The worker of the grid a grid or microgrid is (or is in); None for communities."""
    if feature.level is Level.GRID:
        return feature.worker
    if feature.level is Level.MICROGRID and feature.parent:
        grids = store.features(version.id, code=feature.parent, level=Level.GRID).features
        return grids[0].worker if grids else None
    return None


@dataclass
class HouseholdImport:
    """What reading a household file gave: the records to store and one message per refused row."""

    records: list[HouseholdRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    located_by_address: int = 0


def read_households(path: Path, *, matcher: AddressMatcher | None, datum: Datum = Datum.WGS84) -> HouseholdImport:
    """Household records from a CSV (UTF-8 or GBK); rows without coordinates are located by their address.

    Bad rows are reported by line number and reason (never by their names or phones) and left out; the good
    rows are kept.
    """
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    result = HouseholdImport()
    with path.open(newline="", encoding=sniff_encoding(path)) as handle:
        reader = csv.DictReader(handle)
        header = [name.strip().lower() for name in reader.fieldnames or []]
        missing = [c for c in ("household_id", "address") if c not in header]
        if missing:
            msg = f"{path}: lacks the columns {', '.join(missing)} (found: {', '.join(header) or 'none'})"
            raise InvalidInput(msg)
        for line, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
            if not any(row.values()):
                continue
            try:
                result.records.append(_record(row, matcher, datum, result))
            except ValueError as err:
                result.errors.append(f"line {line}: {err}")
    return result


def _record(
    row: dict[str, str], matcher: AddressMatcher | None, datum: Datum, result: HouseholdImport
) -> HouseholdRecord:
    """One row as a record; ValueError saying what is wrong (without personal data)."""
    if not row.get("household_id"):
        msg = "no household_id"
        raise ValueError(msg)
    people = _count(row.get("people"), "people", default=1)
    children = _count(row.get("left_behind_children"), "left_behind_children", default=0)
    elderly, disabled = _flag(row.get("elderly_alone"), "elderly_alone"), _flag(row.get("disabled"), "disabled")
    point, error = row_point(row, datum)
    if error:
        raise ValueError(error)
    if point is None and matcher is not None and row.get("address"):
        found = matcher.match(row["address"])
        if found.matched and found.lon is not None and found.lat is not None:
            point = (found.lon, found.lat)
            result.located_by_address += 1
    return HouseholdRecord(
        household_id=row["household_id"],
        address=row.get("address", ""),
        lon=None if point is None else point[0],
        lat=None if point is None else point[1],
        people=people,
        elderly_alone=elderly,
        disabled=disabled,
        left_behind_children=children,
        head_name=row.get("head_name") or None,
        phone=row.get("phone") or None,
    )


def _count(text: str | None, what: str, *, default: int) -> int:
    if not text:
        return default
    if not text.isdigit() or int(text) > 1000:
        msg = f"{what} is not a count"
        raise ValueError(msg)
    return int(text)


def _flag(text: str | None, what: str) -> bool:
    if not text or text.lower() in ("0", "false", "no", "否"):
        return False
    if text.lower() in ("1", "true", "yes", "是"):
        return True
    msg = f"{what} is not 0/1"
    raise ValueError(msg)
