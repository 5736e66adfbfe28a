"""Tokens prove who a caller is; roles say what they may do."""

from __future__ import annotations

import pytest

from gridmap.errors import Forbidden, Unauthorized
from gridmap.services.users import add_user, authenticate, require_role
from gridmap.store.account_store import Role
from gridmap.store.interface import BoundaryStore


def test_a_token_authenticates_its_user(store: BoundaryStore) -> None:
    token = add_user(store, name="张发敏", role=Role.WORKER)

    user = authenticate(store, token)

    assert (user.name, user.role) == ("张发敏", Role.WORKER)


@pytest.mark.parametrize("token", [None, "", "gm_not-a-real-token"])
def test_missing_or_unknown_tokens_are_refused(store: BoundaryStore, token: str | None) -> None:
    add_user(store, name="someone", role=Role.ADMIN)

    with pytest.raises(Unauthorized):
        authenticate(store, token)


def test_roles_are_ordered(store: BoundaryStore) -> None:
    worker = authenticate(store, add_user(store, name="w", role=Role.WORKER))

    require_role(worker, Role.VIEWER)
    require_role(worker, Role.WORKER)
    with pytest.raises(Forbidden, match="needs a planner"):
        require_role(worker, Role.PLANNER)
