"""Importing a household file into the store: read, locate by address where needed, store, place in grids.

Shared by `gridmap households import` and the demo loader; the summary holds counts and line numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gridmap.address.match import AddressMatcher
from gridmap.geo.crs import Datum
from gridmap.services.boundaries import DEFAULT_SET
from gridmap.services.households import place_households, read_households
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import VersionInfo


@dataclass(frozen=True)
class HouseholdsImported:
    """What an import did: households stored, how many located by address, rows refused and why, placements."""

    added: int
    located_by_address: int
    errors: list[str]
    placed: int
    version: VersionInfo | None  # the published version they were placed in; None when none is published


def import_households(
    store: BoundaryStore,
    path: Path,
    *,
    matcher: AddressMatcher | None,
    datum: Datum = Datum.WGS84,
    set_name: str = DEFAULT_SET,
) -> HouseholdsImported:
    """Add a household file's good rows to the register and place them in the set's published version.

    Rows without coordinates are located by their address when a `matcher` is given. Conflict, and nothing
    stored, when a household id is taken.
    """
    read = read_households(path, matcher=matcher, datum=datum)
    added = store.add_households(read.records)
    names = {boundary_set.name for boundary_set in store.list_sets()}
    published = store.published_version(set_name) if set_name in names else None
    placed = place_households(store, published.id) if published is not None else 0
    return HouseholdsImported(
        added=added, located_by_address=read.located_by_address, errors=read.errors, placed=placed, version=published
    )
