"""Users and their tokens: create one (the token is shown once), prove who a caller is, check their role."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gridmap.errors import Forbidden, InvalidInput, Unauthorized
from gridmap.store.account_store import AccountStore, Role, TokenInfo, UserInfo

# How long a new token lasts unless said otherwise, and at most.
DEFAULT_EXPIRES_DAYS = 365
MAX_EXPIRES_DAYS = 3650
# Each role may do what the roles before it may.
ROLE_ORDER: tuple[Role, ...] = (Role.VIEWER, Role.WORKER, Role.PLANNER, Role.ADMIN)
_SCOPE = re.compile(r"[0-9A-Za-z]{1,32}")  # a community or street code, or its start


def add_user(
    store: AccountStore, *, name: str, role: Role, scope: str | None = None, expires_days: int = DEFAULT_EXPIRES_DAYS
) -> str:
    """Create a user; returns their token, which is not stored and cannot be shown again.

    `scope` limits a planner or admin to the incidents of one community or street: a code prefix. The token
    expires after `expires_days` days.
    """
    expires_at = token_expiry(expires_days)
    if scope is not None:
        scope = scope.strip()
        if role not in (Role.PLANNER, Role.ADMIN):
            msg = f"a scope is for planners and admins, not a {role}; a worker reaches the incidents of their grids"
            raise InvalidInput(msg)
        if not _SCOPE.fullmatch(scope):
            msg = f"scope {scope!r} is not a code prefix: give 1-32 letters or digits, e.g. 350924100001"
            raise InvalidInput(msg)
    return store.add_user(name, role, scope=scope, expires_at=expires_at)


def token_expiry(days: int) -> datetime:
    """When a token made now for `days` days expires; InvalidInput outside 1 to MAX_EXPIRES_DAYS."""
    if not 1 <= days <= MAX_EXPIRES_DAYS:
        msg = f"a token lasts 1 to {MAX_EXPIRES_DAYS} days, not {days}"
        raise InvalidInput(msg)
    return datetime.now(UTC) + timedelta(days=days)


def add_token(store: AccountStore, *, user_name: str, label: str, expires_days: int) -> tuple[TokenInfo, str]:
    """Another token for a user (a new device, a replacement); its record and the token, shown once."""
    return store.add_token(user_name, label=label, expires_at=token_expiry(expires_days))


def list_tokens(*, store: AccountStore) -> list[TokenInfo]:
    """Every token's record (never the token itself), by user name and then age."""
    return store.list_tokens()


def revoke_token(store: AccountStore, token_id: int) -> TokenInfo:
    """Revoke a token now: every server worker refuses it from its next request on."""
    return store.revoke_token(token_id, at=datetime.now(UTC))


def authenticate(store: AccountStore, token: str | None) -> UserInfo:
    """The user holding `token`; Unauthorized when it is missing or unknown."""
    if not token:
        msg = "this needs a token: send 'Authorization: Bearer <token>'"
        raise Unauthorized(msg)
    user = store.user_for_token(token)
    if user is None:
        msg = "the token is not valid (unknown, expired or revoked); ask an admin for a new one (`gridmap token add`)"
        raise Unauthorized(msg)
    return user


def has_role(user: UserInfo | None, role: Role) -> bool:
    """Whether the user (None: an anonymous caller) has `role` or above."""
    return user is not None and ROLE_ORDER.index(user.role) >= ROLE_ORDER.index(role)


def require_role(user: UserInfo, role: Role) -> None:
    """Forbidden unless the user's role is `role` or above."""
    if ROLE_ORDER.index(user.role) < ROLE_ORDER.index(role):
        msg = f"{user.name} is a {user.role.value}; this needs a {role.value} or above"
        raise Forbidden(msg)
