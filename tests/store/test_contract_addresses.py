"""The address registry on SQLite and PostGIS: entries kept as given, ids stored once, a revision that moves."""

from __future__ import annotations

import pytest

from gridmap.address.registry import AddressAlias, StandardAddress
from gridmap.errors import Conflict, InvalidInput
from gridmap.store.interface import BoundaryStore
from tests.boundary_builders import LAT0, LON0


def door(number: int) -> StandardAddress:
    """A door plate on 胜利街 near the test origin."""
    return StandardAddress(f"door:胜利街:{number}", LON0 + 0.0001 * number, LAT0, road="胜利街", number=str(number))


ROOM = StandardAddress(
    "room:朝阳新村:1:2:501", LON0, LAT0 + 0.001, compound="朝阳新村", building="1", unit="2", room="501"
)


def test_entries_come_back_as_given_in_the_order_added(store: BoundaryStore) -> None:
    assert store.addresses() == [] and store.address_revision() == (0, 0)
    added = store.add_addresses([door(1), ROOM, door(2)])
    assert (added.added, added.already_stored) == (3, 0)
    assert store.addresses() == [door(1), ROOM, door(2)]


def test_ids_stored_already_are_skipped_and_replace_starts_afresh(store: BoundaryStore) -> None:
    store.add_addresses([door(1), door(2)])
    added = store.add_addresses([door(2), door(3)])
    assert (added.added, added.already_stored) == (1, 1)
    assert [a.id for a in store.addresses()] == ["door:胜利街:1", "door:胜利街:2", "door:胜利街:3"]
    replaced = store.add_addresses([ROOM], replace=True)
    assert (replaced.added, replaced.already_stored) == (1, 0)
    assert store.addresses() == [ROOM]


def test_the_revision_changes_with_every_import_even_a_replace_of_the_same_size(store: BoundaryStore) -> None:
    store.add_addresses([door(1), door(2)])
    first = store.address_revision()
    assert first[0] == 2 and store.address_revision() == first  # reading changes nothing
    store.add_addresses([door(1), door(2)], replace=True)
    second = store.address_revision()
    assert second[0] == 2 and second != first
    store.add_addresses([door(3)])
    assert store.address_revision()[0] == 3


def test_bad_entries_refuse_the_whole_import(store: BoundaryStore) -> None:
    store.add_addresses([door(1)])
    with pytest.raises(Conflict, match="repeat an id"):
        store.add_addresses([door(2), door(2)])
    with pytest.raises(InvalidInput, match="finite"):
        store.add_addresses([door(3), StandardAddress("door:胜利街:4", float("nan"), LAT0, road="胜利街")])
    with pytest.raises(InvalidInput, match="longer than"):
        store.add_addresses([StandardAddress("x" * 101, LON0, LAT0)])
    with pytest.raises(InvalidInput, match="road of address"):
        store.add_addresses([StandardAddress("door:long", LON0, LAT0, road="路" * 201)])
    assert store.addresses() == [door(1)]


def test_aliases_come_back_in_order_a_taken_alias_keeps_its_name_and_replace_empties_them(
    store: BoundaryStore,
) -> None:
    first = [AddressAlias("road", "环城路", "环城大道"), AddressAlias("compound", "朝阳新村", "朝阳小区")]
    assert store.add_address_aliases(first) == 2
    assert store.add_address_aliases([AddressAlias("road", "胜利街", "环城大道")]) == 0  # 环城大道 is taken
    assert store.address_aliases() == first
    assert store.add_address_aliases([AddressAlias("town", "鳌阳镇", "城关镇")], replace=True) == 1
    assert store.address_aliases() == [AddressAlias("town", "鳌阳镇", "城关镇")]
    with pytest.raises(InvalidInput):
        store.add_address_aliases([AddressAlias("river", "蟾溪", "大溪")])
