"""The standard address registry in SQL: one row per entry, the same on PostGIS and SQLite (plain lon/lat).

The geocoder reads the registry whole and indexes it in memory (gridmap.address.registry), so no spatial
index is needed here; `address_revision` tells a process when its copy is stale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.address.registry import ALIAS_KINDS, COLUMNS, AddressAlias, StandardAddress
from gridmap.errors import Conflict, InvalidInput
from gridmap.store.address_store import AddressesAdded, AddressStore
from gridmap.store.bulk_writes import BulkWrites
from gridmap.store.frames import stored_text
from gridmap.store.tables import ADDRESS_ID_LENGTH, CODE_LENGTH, NAME_LENGTH, AddressAliasRow, AddressEntry

# The longest text each part may hold: names of roads and compounds, numbers of doors, buildings, units, rooms.
_PART_LENGTHS = {"road": NAME_LENGTH, "compound": NAME_LENGTH} | dict.fromkeys(
    ("number", "building", "unit", "room"), CODE_LENGTH
)
_ID_BATCH = 500  # ids per IN (...) when looking for those stored already


def _row(entry: StandardAddress) -> dict[str, object]:
    """The table row of an entry, refusing values the columns cannot hold."""
    address_id = stored_text(entry.id.strip(), "an address id", ADDRESS_ID_LENGTH)
    if not address_id:
        msg = "every address registry entry needs an id"
        raise InvalidInput(msg)
    if not (math.isfinite(entry.lon) and math.isfinite(entry.lat)):
        msg = f"address {address_id}: coordinates must be finite numbers"
        raise InvalidInput(msg)
    parts = {name: getattr(entry, name) for name in _PART_LENGTHS}
    for name, value in parts.items():
        if value is not None:
            stored_text(value, f"the {name} of address {address_id}", _PART_LENGTHS[name])
    return {"address_id": address_id, "lon": entry.lon, "lat": entry.lat, **parts}


def _entry(row: AddressEntry) -> StandardAddress:
    parts = {name: getattr(row, name) for name in COLUMNS[:6]}
    return StandardAddress(id=row.address_id, lon=row.lon, lat=row.lat, **parts)


class AddressRegister(AddressStore, BulkWrites):
    """The address registry half of a SQL store; the store supplies the transaction."""

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_addresses(self, entries: Sequence[StandardAddress], *, replace: bool = False) -> AddressesAdded:
        """Store entries in one transaction, after emptying the registry when `replace`; ids stored already are
        skipped and counted."""
        rows = [_row(entry) for entry in entries]
        ids = [str(row["address_id"]) for row in rows]
        if len(set(ids)) != len(ids):
            msg = "the address registry entries repeat an id"
            raise Conflict(msg)
        try:
            with self._write_transaction() as session:
                if replace:
                    session.execute(delete(AddressEntry))
                    stored: set[str] = set()
                else:
                    stored = _stored_ids(session, ids)
                new = [row for row in rows if row["address_id"] not in stored]
                if new:
                    session.execute(insert(AddressEntry), new)
                    self._end_bulk_write(session, [AddressEntry.__tablename__], len(new))
        except IntegrityError:
            # Another import stored one of these ids meanwhile.
            msg = "another import changed the address registry meanwhile; nothing was imported, try again"
            raise Conflict(msg) from None
        return AddressesAdded(added=len(new), already_stored=len(rows) - len(new))

    def addresses(self) -> list[StandardAddress]:
        """Every entry of the registry, in the order they were added."""
        with self._transaction() as session:
            return [_entry(row) for row in session.scalars(select(AddressEntry).order_by(AddressEntry.id))]

    def address_revision(self) -> tuple[int, int]:
        """How many entries the registry holds and its highest row number: changes with every import."""
        with self._transaction() as session:
            count, last = session.execute(select(func.count(), func.coalesce(func.max(AddressEntry.id), 0))).one()
        return int(count), int(last)

    def add_address_aliases(self, aliases: Sequence[AddressAlias], *, replace: bool = False) -> int:
        """Store aliases in one transaction, after emptying the stored ones when `replace`; an alias of a kind
        stored already keeps its stored name. How many were added."""
        rows: dict[tuple[str, str], dict[str, str]] = {}
        for alias in aliases:
            if alias.kind not in ALIAS_KINDS:
                msg = f"an alias's kind must be one of {', '.join(ALIAS_KINDS)}, not {alias.kind!r}"
                raise InvalidInput(msg)
            row = {
                "kind": alias.kind,
                "name": stored_text(alias.name, "an alias's name", NAME_LENGTH),
                "alias": stored_text(alias.alias, "an alias", NAME_LENGTH),
            }
            rows.setdefault((alias.kind, row["alias"]), row)
        try:
            with self._write_transaction() as session:
                if replace:
                    session.execute(delete(AddressAliasRow))
                    stored: set[tuple[str, str]] = set()
                else:
                    stored = {
                        (kind, alias)
                        for kind, alias in session.execute(select(AddressAliasRow.kind, AddressAliasRow.alias))
                    }
                new = [row for key, row in rows.items() if key not in stored]
                if new:
                    session.execute(insert(AddressAliasRow), new)
        except IntegrityError:
            msg = "another import changed the address aliases meanwhile; nothing was imported, try again"
            raise Conflict(msg) from None
        return len(new)

    def address_aliases(self) -> list[AddressAlias]:
        """Every stored alias, in the order they were added."""
        with self._transaction() as session:
            rows = session.scalars(select(AddressAliasRow).order_by(AddressAliasRow.id))
            return [AddressAlias(row.kind, row.name, row.alias) for row in rows]


def _stored_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Those of `ids` the registry holds already."""
    found: set[str] = set()
    for start in range(0, len(ids), _ID_BATCH):
        batch = ids[start : start + _ID_BATCH]
        found.update(session.scalars(select(AddressEntry.address_id).where(AddressEntry.address_id.in_(batch))))
    return found
