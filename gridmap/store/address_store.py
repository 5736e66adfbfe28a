"""The standard address registry (标准地址库) and its aliases in the store; implemented in
`gridmap/store/addresses.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gridmap.address.registry import AddressAlias, StandardAddress


@dataclass(frozen=True)
class AddressesAdded:
    """What adding entries to the registry did: entries stored, and those skipped because their id was stored."""

    added: int
    already_stored: int


class AddressStore(Protocol):
    """Registry entries with WGS-84 points (no personal data), read whole by the geocoder."""

    def add_addresses(self, entries: Sequence[StandardAddress], *, replace: bool = False) -> AddressesAdded:
        """Store entries in one transaction, after emptying the registry when `replace`; ids stored already are
        skipped and counted."""
        ...

    def addresses(self) -> list[StandardAddress]:
        """Every entry of the registry, in the order they were added."""
        ...

    def address_revision(self) -> tuple[int, int]:
        """How many entries the registry holds and its highest row number: changes with every import."""
        ...

    def add_address_aliases(self, aliases: Sequence[AddressAlias], *, replace: bool = False) -> int:
        """Store aliases in one transaction, after emptying the stored ones when `replace`; an alias of a kind
        stored already keeps its stored name. How many were added."""
        ...

    def address_aliases(self) -> list[AddressAlias]:
        """Every stored alias, in the order they were added."""
        ...
