"""`household_revision` on SQLite and PostGIS: a cheap token that changes whenever the register does."""

from __future__ import annotations

from gridmap.store.household_store import HouseholdRecord
from gridmap.store.interface import BoundaryStore
from tests.boundary_builders import LAT0, LON0


def household(number: int, people: int = 3) -> HouseholdRecord:
    """A test household near the origin (no personal data)."""
    return HouseholdRecord(f"R{number:04d}", f"胜利街{number}号", LON0 + 0.0001 * number, LAT0, people=people)


def test_the_revision_counts_households_and_changes_with_every_import(households_store: BoundaryStore) -> None:
    store = households_store
    empty = store.household_revision()
    assert empty[0] == 0
    store.add_households([household(1), household(2)])
    first = store.household_revision()
    assert first[0] == 2 and first != empty
    assert store.household_revision() == first  # reading changes nothing
    store.add_households([household(3, people=1)])
    second = store.household_revision()
    assert second[0] == 3 and second[1] > first[1]
