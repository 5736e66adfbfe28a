"""Users, their tokens and passwords: create one (a token is shown once), prove who a caller is, check their role;
what an admin does to accounts (roles, password resets, unlocking). Sessions are in gridmap.services.sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gridmap.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from gridmap.services import passwords
from gridmap.store.account_store import AccountInfo, AccountStore, Role, TokenInfo, UserInfo

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
    return store.add_user(name, role, scope=_checked_scope(scope, role), expires_at=expires_at)


def add_user_with_password(
    store: AccountStore, *, name: str, role: Role, password: str, scope: str | None = None
) -> UserInfo:
    """Create a user who signs in with a name and password (an admin's page): no token is made."""
    passwords.check_policy(password, name=name)
    return store.add_user_with_password(
        name, role, password_hash=passwords.hash_password(password), scope=_checked_scope(scope, role)
    )


def _checked_scope(scope: str | None, role: Role) -> str | None:
    """A dispatcher's scope, stripped; InvalidInput for a scope of a role that has none, or not a code prefix."""
    if scope is None:
        return None
    scope = scope.strip()
    if role not in (Role.PLANNER, Role.ADMIN):
        msg = f"a scope is for planners and admins, not a {role}; a worker reaches the incidents of their grids"
        raise InvalidInput(msg)
    if not _SCOPE.fullmatch(scope):
        msg = f"scope {scope!r} is not a code prefix: give 1-32 letters or digits, e.g. 350924100001"
        raise InvalidInput(msg)
    return scope


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
        msg = "this needs you to sign in (请先登录), or a token: send 'Authorization: Bearer <token>'"
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


def list_accounts(store: AccountStore) -> list[AccountInfo]:
    """Every user with their role, whether they have a password and whether they are locked out, by name."""
    return store.list_accounts()


def user_named(store: AccountStore, name: str) -> UserInfo:
    """The user called `name`; NotFound for nobody."""
    record = store.sign_in_record(name)
    if record is None:
        msg = f"there is no user named {name!r}"
        raise NotFound(msg)
    return record.user


def account(store: AccountStore, user_id: int) -> AccountInfo:
    """The user `user_id` with their sign-in state; NotFound for no such user."""
    found = next((account for account in store.list_accounts() if account.user.id == user_id), None)
    if found is None:
        msg = f"there is no user {user_id}"
        raise NotFound(msg)
    return found


def set_password(store: AccountStore, user_id: int, password: str) -> UserInfo:
    """Set a user's password (the CLI's `user passwd`, an admin's reset): it unlocks them and ends their sessions."""
    passwords.check_policy(password, name=account(store, user_id).user.name)
    return store.set_password(user_id, passwords.hash_password(password))


def set_role(store: AccountStore, admin: UserInfo, user_id: int, role: Role) -> UserInfo:
    """Give a user another role; an admin may not change their own (so that some admin always remains)."""
    if user_id == admin.id:
        msg = "you cannot change your own role; ask another admin (不能修改自己的角色)"
        raise InvalidInput(msg)
    return store.set_role(user_id, role)


def unlock(store: AccountStore, user_id: int) -> UserInfo:
    """Let a user locked out by wrong passwords sign in again at once."""
    return store.unlock(user_id)
