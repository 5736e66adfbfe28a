"""Users, their roles, tokens and passwords (kept hashed) and browser sessions; implemented for both backends in
`gridmap/store/accounts.py`. The store keeps hashes only: passwords are hashed by gridmap.services.passwords."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """What a user may do, from least to most."""

    VIEWER = "viewer"
    WORKER = "worker"
    PLANNER = "planner"
    ADMIN = "admin"


@dataclass(frozen=True)
class UserInfo:
    """A person who may use gridmap, and their role. The token is never kept, only its hash."""

    id: int
    name: str
    role: Role
    created_at: datetime
    scope: str | None = None  # a dispatcher's community or street code prefix (None: every incident)


@dataclass(frozen=True)
class TokenInfo:
    """A user's token as the store keeps it (never the token itself): when it was made, ends and was last used."""

    id: int
    user: str
    role: Role
    label: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class SignInRecord:
    """What signing in by name checks: the user, their password's hash (None: they have none) and lock-out."""

    user: UserInfo
    password_hash: str | None
    locked_until: datetime | None


@dataclass(frozen=True)
class AccountInfo:
    """A user as the admin page lists them: whether they can sign in with a password and whether they are locked."""

    user: UserInfo
    has_password: bool
    failed_sign_ins: int
    locked_until: datetime | None


class AccountStore(Protocol):
    """The people who may use gridmap and their tokens."""

    def add_user(self, name: str, role: Role, *, scope: str | None = None, expires_at: datetime | None = None) -> str:
        """Create a user (a dispatcher optionally scoped to a code prefix) and return their token (kept hashed)."""
        ...

    def add_token(self, user_name: str, *, label: str, expires_at: datetime | None) -> tuple[TokenInfo, str]:
        """A new token for an existing user: its record, and the token itself (shown once, kept hashed)."""
        ...

    def list_tokens(self) -> list[TokenInfo]:
        """Every token's record (never the token), by user name and then age."""
        ...

    def revoke_token(self, token_id: int, *, at: datetime) -> TokenInfo:
        """Revoke a token from `at` on; NotFound for no such id."""
        ...

    def user_for_token(self, token: str, *, now: datetime | None = None) -> UserInfo | None:
        """The user holding this token, or None."""
        ...

    def list_users(self) -> list[UserInfo]:
        """Every user, by name."""
        ...

    def add_user_with_password(
        self, name: str, role: Role, *, password_hash: str, scope: str | None = None
    ) -> UserInfo:
        """Create a user who signs in with a password (given as its hash); no token. Conflict for a taken name."""
        ...

    def sign_in_record(self, name: str) -> SignInRecord | None:
        """The user named `name` with their password hash and lock, or None."""
        ...

    def list_accounts(self) -> list[AccountInfo]:
        """Every user with their sign-in state, by name."""
        ...

    def set_password(self, user_id: int, password_hash: str) -> UserInfo:
        """Replace a user's password hash, unlock them and end their sessions; NotFound for no such user."""
        ...

    def set_role(self, user_id: int, role: Role) -> UserInfo:
        """Give a user another role (their sessions and tokens carry it from the next request on)."""
        ...

    def unlock(self, user_id: int) -> UserInfo:
        """Lift a user's lock-out and forget their failed sign-ins."""
        ...

    def note_failed_sign_in(self, user_id: int, *, now: datetime, limit: int, lock_for: timedelta) -> datetime | None:
        """Count a failed sign-in; at the `limit`-th in a row lock the user for `lock_for` and return until when."""
        ...

    def start_session(self, user_id: int, session_hash: str, *, now: datetime, expires_at: datetime) -> None:
        """Keep a new session (by its id's hash) of a user who just signed in, forget their failed sign-ins, and
        drop every session that has expired."""
        ...

    def user_for_session(self, session_hash: str, *, now: datetime) -> UserInfo | None:
        """The user of a live session (by its id's hash), or None; notes when it was last seen."""
        ...

    def end_session(self, session_hash: str) -> None:
        """Forget a session (signing out); nothing happens for an unknown one."""
        ...
