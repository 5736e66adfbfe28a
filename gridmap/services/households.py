"""Households in the store: their codes in a boundary version, and counts per community, grid or microgrid.

Counts hold no personal data, so everyone may read them; the register's names and phones stay in the store.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gridmap.address.match import AddressMatcher
from gridmap.errors import Forbidden, InvalidInput, NotFound
from gridmap.geo.crs import Datum
from gridmap.geo.hierarchy import Level
from gridmap.io.text import decoding, text_encoding
from gridmap.services.geocode import NOT_FINITE, BoundaryLayers, row_point
from gridmap.services.incident_access import grid_worker
from gridmap.services.users import has_role
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.household_store import (
    HouseholdCounts,
    HouseholdPoint,
    HouseholdRecord,
    HouseholdStore,
    HouseholdVersionStore,
    PlacedHousehold,
    Placement,
)
from gridmap.store.version_store import VersionInfo, VersionStatus, VersionStore


def place_households(store: HouseholdVersionStore, version_id: int) -> int:
    """Store every household's codes in a version (the rule of `/locate`); returns how many were placed.

    A write: called when a version is published and when households are imported, never by a read.
    """
    placements = _placements(store, version_id, store.household_points())
    store.save_placements(version_id, placements)
    return len(placements)


def _placements(store: VersionStore, version_id: int, points: Sequence[HouseholdPoint]) -> list[Placement]:
    """The codes of these households in a version, computed (nothing is stored)."""
    if not points:
        return []
    layers = BoundaryLayers(store.version_frame(version_id))
    lon = np.array([np.nan if p.lon is None else p.lon for p in points], dtype=np.float64)
    lat = np.array([np.nan if p.lat is None else p.lat for p in points], dtype=np.float64)
    codes = layers.assign(lon, lat)
    return [
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


def _stored_placements(store: HouseholdStore, version: VersionInfo) -> bool:
    """Whether the version's stored placements answer: published and retired versions no longer change.

    A draft may still be edited, and a version published before placements were stored on publishing has
    none: their households are placed in memory for each read, and nothing is written.
    """
    return version.status is not VersionStatus.DRAFT and store.has_placements(version.id)


def _placed_in_memory(store: HouseholdVersionStore, version: VersionInfo) -> list[PlacedHousehold]:
    """Every household with its codes in the version, computed without storing them."""
    points = store.household_points()
    placements = _placements(store, version.id, points)
    household_ids = {point.row: point.household_id for point in points}
    records = {record.household_id: record for record in store.households()}  # read after: holds every point
    return [
        PlacedHousehold(records[household_ids[p.row]], p.community_code, p.grid_code, p.microgrid_code)
        for p in placements
    ]


def _inside(placed: Sequence[PlacedHousehold], code: str) -> list[PlacedHousehold]:
    """The households placed in `code` at any level, by household id (the store's rule)."""
    found = [p for p in placed if code in (p.community_code, p.grid_code, p.microgrid_code)]
    return sorted(found, key=lambda p: p.household.household_id)


def _counted(placed: Sequence[PlacedHousehold], version_id: int, code: str) -> HouseholdCounts:
    households = [p.household for p in _inside(placed, code)]
    return HouseholdCounts(
        code=code,
        version_id=version_id,
        households=len(households),
        people=sum(h.people for h in households),
        elderly_alone=sum(h.elderly_alone for h in households),
        disabled=sum(h.disabled for h in households),
        left_behind_children=sum(h.left_behind_children for h in households),
    )


def household_counts(store: HouseholdVersionStore, version: VersionInfo, code: str) -> HouseholdCounts:
    """Households, people and care flags in the feature `code` of a version; a read that never writes."""
    if _stored_placements(store, version):
        return store.household_counts(version.id, code)
    if not store.features(version.id, code=code).features:
        msg = f"boundary version {version.id} has no community, grid or microgrid {code!r}"
        raise NotFound(msg)
    return _counted(_placed_in_memory(store, version), version.id, code)


def household_counts_of_level(
    store: HouseholdVersionStore, version: VersionInfo, level: Level
) -> list[HouseholdCounts]:
    """The counts of each feature of a level (households placed once, not once per feature, when in memory)."""
    codes = [feature.code for feature in store.features(version.id, level=level).features]
    if _stored_placements(store, version):
        return [store.household_counts(version.id, code) for code in codes]
    placed = _placed_in_memory(store, version)
    return [_counted(placed, version.id, code) for code in codes]


def households_in_grid(
    store: HouseholdVersionStore, version: VersionInfo, code: str, *, user: UserInfo
) -> list[PlacedHousehold]:
    """The households (personal data included) in the feature `code`, for planners, admins and its own worker.

    A worker may list the grid whose `worker` property is their name, and that grid's microgrids; anyone
    else is Forbidden, before any household is read.
    """
    found = store.features(version.id, code=code).features
    if not found:
        msg = f"boundary version {version.id} has no community, grid or microgrid {code!r}"
        raise NotFound(msg)
    own_grid = user.role is Role.WORKER and grid_worker(store, version, found[0]) == user.name
    if not (has_role(user, Role.PLANNER) or own_grid):
        msg = f"{user.name} is a {user.role.value}; the households of {code} are for its grid's worker and planners"
        raise Forbidden(msg)
    if _stored_placements(store, version):
        return store.households_in(version.id, code)
    return _inside(_placed_in_memory(store, version), code)


@dataclass
class HouseholdImport:
    """What reading a household file gave: the records to store and one message per refused row."""

    records: list[HouseholdRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    located_by_address: int = 0


class NonFiniteCoordinates(ValueError):
    """A row whose lon or lat is NaN or Infinity."""


def read_households(path: Path, *, matcher: AddressMatcher | None, datum: Datum = Datum.WGS84) -> HouseholdImport:
    """Household records from a CSV (UTF-8, UTF-16 with BOM, or GBK); rows without coordinates are located by
    their address.

    Bad rows are reported by line number and reason (never by their names or phones) and left out; the good
    rows are kept. Coordinates of NaN or Infinity refuse the whole file, naming the line: they are what a
    broken export writes, so the rest of the file is not to be trusted either.
    """
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    result = HouseholdImport()
    encoding = text_encoding(path)
    with path.open(newline="", encoding=encoding) as handle, decoding(path, encoding):
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
            except NonFiniteCoordinates as err:
                msg = f"{path}: line {line}: {err}; nothing was imported"
                raise InvalidInput(msg) from None
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
        raise (NonFiniteCoordinates if error == NOT_FINITE else ValueError)(error)
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
