"""The standard address registry as data in the store: imported from a file, read back as the geocoder's matcher.

`import_registry` is what `gridmap registry import` runs (and the demo loader): rows that cannot be read are
counted and left out, ids repeated in the file or stored already are counted and skipped. Aliases (other names
for a road, compound or town: the file's `aliases` column and an alias file) are stored beside the entries,
as data the community edits. `RegistryMatchers` builds the matcher once per registry revision and alias list,
so every process sees a new import without restarting.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gridmap.address.gazetteer import SHOUNING
from gridmap.address.match import AddressMatcher
from gridmap.address.normalize import normalize_name
from gridmap.address.registry import COLUMNS, AddressAlias, AddressRegistry, StandardAddress
from gridmap.errors import InvalidInput, NotFound
from gridmap.services.geocode import alias_file, column_aliases, registry_frame
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
    aliases: int = 0  # stored
    unknown_aliases: list[str] = field(default_factory=list)  # naming no road, compound or town: left out


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


def import_registry(
    store: AddressStore, path: Path, *, replace: bool = False, aliases: Path | None = None
) -> RegistryImport:
    """Import a registry file (CSV in UTF-8 or GBK, or GeoJSON points) and the aliases of its `aliases` column
    and of the alias file `aliases` into the store, after emptying the store's registry and aliases when
    `replace`; nothing is stored when either file cannot be read at all."""
    frame = registry_frame(path)
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        msg = f"{path}: not an address registry: it lacks the columns {', '.join(missing)}"
        raise InvalidInput(msg)
    written = [*column_aliases(frame), *(alias_file(aliases) if aliases is not None else ())]
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
    if written or replace:
        registry = AddressRegistry(store.addresses(), aliases=written, strict=False)
        towns = [a for a in written if a.kind == "town" and not SHOUNING.named(normalize_name(a.name))]
        unknown = [*registry.skipped_aliases, *towns]
        result.unknown_aliases = [f"{a.kind} {a.name}: {a.alias}" for a in unknown]
        result.aliases = store.add_address_aliases([a for a in written if a not in unknown], replace=replace)
    return result


class RegistryMatchers:
    """The matcher over the store's registry, built once per registry revision and kept for the process."""

    def __init__(self, store: AddressStore) -> None:
        self.store = store
        self._revision: tuple[tuple[int, int], tuple[AddressAlias, ...]] | None = None
        self._matcher: AddressMatcher | None = None
        self._lock = threading.Lock()

    def get(self) -> AddressMatcher:
        """The matcher of the registry as stored now; NotFound (saying how to load one) when it is empty."""
        revision = (self.store.address_revision(), tuple(self.store.address_aliases()))
        with self._lock:
            if revision[0][0] == 0:
                raise NotFound(NO_REGISTRY)
            if self._matcher is None or revision != self._revision:
                registry = AddressRegistry(self.store.addresses(), aliases=revision[1], strict=False)
                self._matcher = AddressMatcher(registry)
                self._revision = revision
            return self._matcher
