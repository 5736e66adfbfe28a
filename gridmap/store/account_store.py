"""Users, their roles and tokens (kept hashed); implemented for both backends in `gridmap/store/accounts.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
