"""The standard address registry as data in the store: imported from a file, read back as the geocoder's matcher.

`import_registry` is what `gridmap registry import` runs (and the demo loader): rows that cannot be read are
counted and left out, ids repeated in the file or stored already are counted and skipped. `RegistryMatchers`
builds the matcher once per registry revision, so every process sees a new import without restarting.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gridmap.address.match import AddressMatcher
from gridmap.address.registry import COLUMNS, AddressRegistry, StandardAddress
from gridmap.errors import InvalidInput, NotFound
from gridmap.services.geocode import registry_frame
from gridmap.store.address_store import AddressStore

NO_REGISTRY = "no address registry is loaded: gridmap registry import FILE"
SHOWN_ROWS = 10  # unparseable rows named by number in a summary


@dataclass
class RegistryImport:
    """What importing a registry file did: rows read, entries stored, ids skipped, rows that could not be read."""

    rows: int = 0
    imported: int = 0
    duplicate_ids: int = 0  # repeated in the file (the first is kept) or stored already
    unparseable: int = 0
    unparseable_rows: list[int] = field(default_factory=list)  # the first SHOWN_ROWS, numbered from 1


def _entry(index: int, row: Mapping[Hashable, object]) -> StandardAddress | None:
    """The entry of one row, or None when it has no id or no usable point."""
    raw_id = row["id"] if "id" in row else str(index)
    if raw_id is None or not str(raw_id).strip():
        return None
    try:
        lon, lat = float(str(row["lon"])), float(str(row["lat"]))
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    parts = {name: None if row[name] is None else str(row[name]).strip() or None for name in COLUMNS[:6]}
    return StandardAddress(id=str(raw_id).strip(), lon=lon, lat=lat, **parts)


def import_registry(store: AddressStore, path: Path, *, replace: bool = False) -> RegistryImport:
    """Import a registry file (CSV in UTF-8 or GBK, or GeoJSON points) into the store, after emptying the
    store's registry when `replace`; nothing is stored when the file is not a registry at all."""
    frame = registry_frame(path)
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        msg = f"{path}: not an address registry: it lacks the columns {', '.join(missing)}"
        raise InvalidInput(msg)
    result = RegistryImport(rows=len(frame))
    entries: dict[str, StandardAddress] = {}
    for index, row in enumerate(frame.to_dict("records")):
        entry = _entry(index, row)
        if entry is None:
            result.unparseable += 1
            if len(result.unparseable_rows) < SHOWN_ROWS:
                result.unparseable_rows.append(index + 1)
        elif entry.id in entries:
            result.duplicate_ids += 1
        else:
            entries[entry.id] = entry
    added = store.add_addresses(list(entries.values()), replace=replace)
    result.imported = added.added
    result.duplicate_ids += added.already_stored
    return result


class RegistryMatchers:
    """The matcher over the store's registry, built once per registry revision and kept for the process."""

    def __init__(self, store: AddressStore) -> None:
        self.store = store
        self._revision: tuple[int, int] | None = None
        self._matcher: AddressMatcher | None = None
        self._lock = threading.Lock()

    def get(self) -> AddressMatcher:
        """The matcher of the registry as stored now; NotFound (saying how to load one) when it is empty."""
        revision = self.store.address_revision()
        with self._lock:
            if revision[0] == 0:
                raise NotFound(NO_REGISTRY)
            if self._matcher is None or revision != self._revision:
                self._matcher = AddressMatcher(AddressRegistry(self.store.addresses()))
                self._revision = revision
            return self._matcher
