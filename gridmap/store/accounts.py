"""Users and their tokens in SQL: a token is handed out once, and only its SHA-256 hash is stored.

A token may expire and be revoked; every request reads its row, so a revoke holds at once on every server
worker. Its last use is written at most once a minute (TOUCH_INTERVAL), not on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.store.account_store import AccountStore, Role, TokenInfo, UserInfo
from gridmap.store.frames import stored_text
from gridmap.store.tables import CODE_LENGTH, MAX_INTEGER, NAME_LENGTH, PERSON_LENGTH, ApiToken, User, utc_now

TOKEN_PREFIX = "gm_"
_TOKEN_BYTES = 32
# A token's last use is recorded at most this often, so that reading with it is not a write per request.
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(session: Session, user: User, *, label: str, expires_at: datetime | None) -> tuple[TokenInfo, str]:
    """Add a token for `user`; its record and the token."""
    # A random token is as strong as its length; hashing it without salt is enough to hide it at rest.
    token = TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
    row = ApiToken(
        user_id=user.id, token_hash=hash_token(token), label=label, created_at=utc_now(), expires_at=expires_at
    )
    session.add(row)
    session.flush()
    return _token(row, user), token


def _token(row: ApiToken, user: User) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user=user.name,
        role=Role(user.role),
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _user(row: User) -> UserInfo:
    return UserInfo(id=row.id, name=row.name, role=Role(row.role), created_at=row.created_at, scope=row.scope)


class UserAccounts(AccountStore):
    """The user half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_user(self, name: str, role: Role, *, scope: str | None = None, expires_at: datetime | None = None) -> str:
        """Create a user (a dispatcher optionally scoped to a code prefix) and return their token (kept hashed)."""
        name = stored_text(name.strip(), "the user name", PERSON_LENGTH)
        if not name:
            msg = "a user needs a name"
            raise InvalidInput(msg)
        try:
            role = Role(role)
        except ValueError:
            msg = f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}"
            raise InvalidInput(msg) from None
        try:
            with self._transaction() as session:
                user = User(
                    name=name,
                    role=role.value,
                    scope=None if scope is None else stored_text(scope, "the scope", CODE_LENGTH),
                    created_at=utc_now(),
                )
                session.add(user)
                session.flush()
                _info, token = _new_token(session, user, label="first token", expires_at=expires_at)
        except IntegrityError:
            msg = f"a user named {name!r} exists already"
            raise Conflict(msg) from None
        return token

    def add_token(self, user_name: str, *, label: str, expires_at: datetime | None) -> tuple[TokenInfo, str]:
        """A new token for an existing user: its record, and the token itself (shown once, kept hashed)."""
        label = stored_text(label.strip(), "the token label", NAME_LENGTH)
        with self._write_transaction() as session:
            user = session.scalar(select(User).where(User.name == stored_text(user_name, "the user", PERSON_LENGTH)))
            if user is None:
                msg = f"there is no user named {user_name!r}"
                raise NotFound(msg)
            return _new_token(session, user, label=label, expires_at=expires_at)

    def user_for_token(self, token: str, *, now: datetime | None = None) -> UserInfo | None:
        """The user holding this token, None when nobody does or it expired or was revoked; notes its use."""
        now = now or utc_now()
        with self._transaction() as session:
            found = session.execute(
                select(User, ApiToken.id, ApiToken.last_used_at)
                .join(ApiToken, ApiToken.user_id == User.id)
                .where(
                    ApiToken.token_hash == hash_token(token),
                    ApiToken.revoked_at.is_(None),
                    or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
                )
            ).one_or_none()
        if found is None:
            return None
        user, token_id, last_used = found
        if last_used is None or now - last_used >= TOUCH_INTERVAL:
            with self._transaction() as session:
                # The condition again in SQL: of several workers seeing a stale time, one writes.
                session.execute(
                    update(ApiToken)
                    .where(
                        ApiToken.id == token_id,
                        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_INTERVAL),
                    )
                    .values(last_used_at=now)
                )
        return _user(user)

    def list_tokens(self) -> list[TokenInfo]:
        """Every token's record (never the token), by user name and then age."""
        with self._transaction() as session:
            rows = session.execute(
                select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(User.name, ApiToken.id)
            )
            return [_token(token, user) for token, user in rows]

    def revoke_token(self, token_id: int, *, at: datetime) -> TokenInfo:
        """Revoke a token from `at` on (a revoked one keeps its first revocation time); NotFound for no such id."""
        with self._write_transaction() as session:
            token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_INTEGER else None
            if token is None:
                msg = f"there is no token {token_id} (`gridmap token list` shows them)"
                raise NotFound(msg)
            if token.revoked_at is None:
                token.revoked_at = at
            user = session.get_one(User, token.user_id)
            session.flush()
            return _token(token, user)

    def list_users(self) -> list[UserInfo]:
        """Every user, by name."""
        with self._transaction() as session:
            return [_user(row) for row in session.scalars(select(User).order_by(User.name)).all()]
