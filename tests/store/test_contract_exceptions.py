"""Allowed exceptions on SQLite and PostGIS: kept per set as given, listed oldest first, removed one by one."""

from __future__ import annotations

import pytest
import shapely

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.allowed_exceptions import ExceptionKind, allowed_exception
from gridmap.store.interface import BoundaryStore
from tests.boundary_builders import cell

RIVER = allowed_exception(kind="gap", geometry=cell(1.4, 0, 0.2, 2), reason="蟾溪 between 城东 and 大同")
OVERLAY = allowed_exception(
    kind="overlap",
    geometry=shapely.MultiPolygon([cell(0, 0), cell(2, 2)]),
    reason="综治 overlay grids",
    codes=["350924100001901", "350924100001902"],
)
PERIMETER = allowed_exception(kind="gap", geometry=cell(0, 0, 3, 3), reason="county perimeter", outside=True)


def test_exceptions_come_back_as_given_oldest_first(store: BoundaryStore) -> None:
    store.create_set("town")
    assert store.allowed_exceptions("town") == []
    added = [store.add_allowed_exception("town", e, who="张发敏") for e in (RIVER, OVERLAY, PERIMETER)]
    assert [e.id for e in added] == sorted({e.id for e in added})  # distinct, increasing
    listed = store.allowed_exceptions("town")
    assert listed == added
    for stored, given in zip(listed, (RIVER, OVERLAY, PERIMETER), strict=True):
        assert (stored.kind, stored.reason, stored.codes, stored.outside) == (
            given.kind,
            given.reason,
            given.codes,
            given.outside,
        )
        assert shapely.equals_exact(stored.geometry, given.geometry, tolerance=0)
        assert stored.allowed_by == "张发敏"
        assert stored.allowed_at is not None and stored.allowed_at.utcoffset() is not None
    assert listed[1].kind is ExceptionKind.OVERLAP and listed[1].geometry.geom_type == "MultiPolygon"


def test_each_set_has_its_own_register(store: BoundaryStore) -> None:
    store.create_set("town")
    store.create_set("village")
    river = store.add_allowed_exception("town", RIVER, who="张发敏")
    assert store.allowed_exceptions("village") == []
    with pytest.raises(NotFound, match="'village' has no allowed exception"):
        store.remove_allowed_exception("village", river.id or 0)
    assert store.allowed_exceptions("town") == [river]


def test_remove_deletes_one_and_a_second_remove_is_not_found(store: BoundaryStore) -> None:
    store.create_set("town")
    river, overlay = (store.add_allowed_exception("town", e, who="张发敏") for e in (RIVER, OVERLAY))
    store.remove_allowed_exception("town", river.id or 0)
    assert store.allowed_exceptions("town") == [overlay]
    with pytest.raises(NotFound):
        store.remove_allowed_exception("town", river.id or 0)


def test_unknown_sets_and_bad_records_change_nothing(store: BoundaryStore) -> None:
    for call in (
        lambda: store.allowed_exceptions("nowhere"),
        lambda: store.add_allowed_exception("nowhere", RIVER, who="张发敏"),
        lambda: store.remove_allowed_exception("nowhere", 1),
    ):
        with pytest.raises(NotFound, match="no boundary set named 'nowhere'"):
            call()
    store.create_set("town")
    with pytest.raises(InvalidInput, match="say who"):
        store.add_allowed_exception("town", RIVER, who="  ")
    with pytest.raises(InvalidInput, match="longer than"):
        store.add_allowed_exception("town", RIVER, who="x" * 101)
    with pytest.raises(InvalidInput, match="NUL"):
        store.add_allowed_exception(
            "town", allowed_exception(kind="gap", geometry=RIVER.geometry, reason="a\x00b"), who="a"
        )
    assert store.allowed_exceptions("town") == []
