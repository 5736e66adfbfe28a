"""The household register as a CSV file, with names and phones masked unless an admin asks for them.

Masking keeps enough to recognise a record on the ground (the family name, the phone's prefix and last four
digits) and nothing that identifies a person: 陈琴强 -> 陈**, 13812340421 -> 138****0421.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, fields
from pathlib import Path
from typing import Protocol

from gridmap.errors import Forbidden, Unauthorized
from gridmap.services import users as user_service
from gridmap.store.account_store import AccountStore, Role
from gridmap.store.household_store import HouseholdRecord, HouseholdStore

COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(HouseholdRecord))


class HouseholdAccountStore(HouseholdStore, AccountStore, Protocol):
    """The household register and the accounts that decide who may see its names and phones."""


_MASK = "*"
_PHONE_KEPT_HEAD, _PHONE_KEPT_TAIL = 3, 4


def mask_name(name: str | None) -> str:
    """The first character followed by two stars; empty stays empty."""
    name = (name or "").strip()
    return f"{name[0]}{_MASK * 2}" if name else ""


def mask_phone(phone: str | None) -> str:
    """The first three and last four characters kept and every digit between starred; a masked phone stays as it is.

    Numbers too short to keep seven characters of are starred entirely (digits only; separators stay).
    """
    phone = (phone or "").strip()
    if not phone or _MASK in phone:
        return phone
    if len(phone) < _PHONE_KEPT_HEAD + _PHONE_KEPT_TAIL + 1:
        return "".join(_MASK if c.isdigit() else c for c in phone)
    tail = len(phone) - _PHONE_KEPT_TAIL
    return "".join(c if i < _PHONE_KEPT_HEAD or i >= tail or not c.isdigit() else _MASK for i, c in enumerate(phone))


def masked(record: HouseholdRecord) -> dict[str, object]:
    """The record's CSV row with its personal fields masked."""
    row = asdict(record)
    row["head_name"] = mask_name(record.head_name)
    row["phone"] = mask_phone(record.phone)
    return row


def export_households(
    store: HouseholdAccountStore, path: Path, *, include_personal: bool = False, token: str | None
) -> int:
    """Write every household to a UTF-8 CSV at `path`; returns how many rows were written.

    Names and phones are masked unless `include_personal`, which needs an admin's token (Unauthorized without
    a valid one, Forbidden for other roles); nothing is written when the token is refused.
    """
    if include_personal:
        _require_admin(store, token)
    records = store.households()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow(asdict(record) if include_personal else masked(record))
    return len(records)


def _require_admin(store: AccountStore, token: str | None) -> None:
    """Unauthorized without a valid token, Forbidden unless it is an admin's."""
    if not token:
        msg = "exporting names and phones (--include-personal) needs an admin's token: give --token or GRIDMAP_TOKEN"
        raise Unauthorized(msg)
    user = user_service.authenticate(store, token)
    if not user_service.has_role(user, Role.ADMIN):
        msg = (
            f"{user.name} is a {user.role.value}: only an admin may export names and phones; "
            "export without --include-personal for a masked file"
        )
        raise Forbidden(msg)
