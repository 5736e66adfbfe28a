"""The whole register read back and exported, on SQLite and PostGIS: masked unless an admin asks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gridmap.errors import Forbidden, Unauthorized
from gridmap.services.household_export import COLUMNS, export_households
from gridmap.store.account_store import Role
from gridmap.store.household_store import HouseholdRecord
from gridmap.store.interface import BoundaryStore

RECORDS = [
    HouseholdRecord("H2", "胜利街2号", None, None, people=1, head_name="张三丰", phone="13812340421"),
    HouseholdRecord("H1", "胜利街1号", 119.5, 27.45, people=4, disabled=True, head_name="李四", phone="189****8298"),
    HouseholdRecord("H3", "胜利街3号", None, None, people=2),
]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_register_reads_back_whole_by_household_id(households_store: BoundaryStore) -> None:
    households_store.add_households(RECORDS)
    assert households_store.households() == sorted(RECORDS, key=lambda r: r.household_id)


def test_export_masks_unless_an_admin_asks(households_store: BoundaryStore, tmp_path: Path) -> None:
    store = households_store
    store.add_households(RECORDS)
    out = tmp_path / "masked.csv"
    assert export_households(store, out, token=None) == 3
    rows = read_rows(out)
    assert tuple(rows[0]) == COLUMNS
    assert [(r["household_id"], r["head_name"], r["phone"]) for r in rows] == [
        ("H1", "李**", "189****8298"),
        ("H2", "张**", "138****0421"),
        ("H3", "", ""),
    ]
    assert "张三丰" not in out.read_text(encoding="utf-8") and "1234" not in out.read_text(encoding="utf-8")
    assert (rows[0]["people"], rows[0]["disabled"], rows[0]["lon"]) == ("4", "True", "119.5")

    admin = store.add_user("管理员", Role.ADMIN)
    planner = store.add_user("规划员", Role.PLANNER)
    refused = tmp_path / "refused.csv"
    with pytest.raises(Unauthorized, match="admin's token"):
        export_households(store, refused, include_personal=True, token=None)
    with pytest.raises(Unauthorized):
        export_households(store, refused, include_personal=True, token="not-a-token")
    with pytest.raises(Forbidden, match="only an admin"):
        export_households(store, refused, include_personal=True, token=planner)
    assert not refused.exists()

    full = tmp_path / "full.csv"
    export_households(store, full, include_personal=True, token=admin)
    assert [(r["head_name"], r["phone"]) for r in read_rows(full)][:2] == [
        ("李四", "189****8298"),
        ("张三丰", "13812340421"),
    ]
