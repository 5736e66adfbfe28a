"""The standard address registry as data in the store: imported from a file, read back as the geocoder's matcher.

`import_registry` is what `gridmap registry import` runs (and the demo loader): rows that cannot be read and
duplicates are left out and reported by row (`registry_rows`), ids stored already are counted and skipped.
Aliases (other names for a road, compound or town: the file's `aliases` column and an alias file) are stored
beside the entries, as data the community edits. `RegistryMatchers` builds the matcher once per registry
revision and alias list, so every process sees a new import without restarting.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gridmap.address.gazetteer import SHOUNING
from gridmap.address.match import AddressMatcher
from gridmap.address.normalize import normalize_name
from gridmap.address.registry import AddressAlias, AddressRegistry
from gridmap.errors import InvalidInput, NotFound
from gridmap.services.geocode import alias_file, column_aliases, registry_frame
from gridmap.services.registry_rows import Problem, RowProblem, mapped_frame, registry_rows
from gridmap.store.address_store import AddressStore

NO_REGISTRY = "no address registry is loaded: gridmap registry import FILE"
SHOWN_ROWS = 10  # rows left out named by number in an error


@dataclass
class RegistryImport:
    """What importing a registry file did: rows read, entries stored, and the rows left out with why."""

    rows: int = 0
    imported: int = 0
    already_stored: int = 0  # ids the store held before this import: skipped
    problems: list[RowProblem] = field(default_factory=list)  # rows left out: unparseable, duplicates
    aliases: int = 0  # stored
    unknown_aliases: list[str] = field(default_factory=list)  # naming no road, compound or town: left out

    def count(self, *problems: Problem) -> int:
        """How many rows were left out for these problems."""
        return sum(p.problem in problems for p in self.problems)


def import_registry(
    store: AddressStore,
    path: Path,
    *,
    replace: bool = False,
    aliases: Path | None = None,
    columns: Mapping[str, str] | None = None,
) -> RegistryImport:
    """Import a registry file (CSV in UTF-8 or GBK, an XLSX workbook's first sheet, or GeoJSON points; its
    columns renamed to ours by `columns`, see `registry_rows`) and the aliases of its `aliases` column and of
    the alias file `aliases` into the store, after emptying the store's registry and aliases when `replace`.
    Nothing is stored when either file cannot be read at all, or when no row of it can be (InvalidInput)."""
    frame = mapped_frame(registry_frame(path), columns or {})
    read = registry_rows(frame)
    if not read.entries:
        shown = "; ".join(f"row {p.row}: {p.detail}" for p in read.problems[:SHOWN_ROWS])
        msg = f"{path}: none of its {read.rows:,} rows is a usable registry entry; nothing was imported ({shown})"
        raise InvalidInput(msg)
    written = [*column_aliases(frame), *(alias_file(aliases) if aliases is not None else ())]
    result = RegistryImport(rows=read.rows, problems=read.problems)
    added = store.add_addresses(read.entries, replace=replace)
    result.imported = added.added
    result.already_stored = added.already_stored
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
