"""Users in SQL: a token is handed out once, and only its SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from contextlib import AbstractContextManager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, InvalidInput
from gridmap.store.frames import stored_text
from gridmap.store.interface import Role, UserInfo
from gridmap.store.tables import PERSON_LENGTH, User, utc_now

TOKEN_PREFIX = "gm_"
_TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: User) -> UserInfo:
    return UserInfo(id=row.id, name=row.name, role=Role(row.role), created_at=row.created_at)


class UserAccounts:
    """The user half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_user(self, name: str, role: Role) -> str:
        """Create a user and return their token; only its SHA-256 hash is stored."""
        name = stored_text(name.strip(), "the user name", PERSON_LENGTH)
        if not name:
            msg = "a user needs a name"
            raise InvalidInput(msg)
        try:
            role = Role(role)
        except ValueError:
            msg = f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}"
            raise InvalidInput(msg) from None
        # A random token is as strong as its length; hashing it without salt is enough to hide it at rest.
        token = TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
        try:
            with self._transaction() as session:
                session.add(User(name=name, role=role.value, token_hash=hash_token(token), created_at=utc_now()))
        except IntegrityError:
            msg = f"a user named {name!r} exists already"
            raise Conflict(msg) from None
        return token

    def user_for_token(self, token: str) -> UserInfo | None:
        """The user holding this token, or None."""
        with self._transaction() as session:
            row = session.scalar(select(User).where(User.token_hash == hash_token(token)))
            return None if row is None else _user(row)

    def list_users(self) -> list[UserInfo]:
        """Every user, by name."""
        with self._transaction() as session:
            return [_user(row) for row in session.scalars(select(User).order_by(User.name)).all()]
