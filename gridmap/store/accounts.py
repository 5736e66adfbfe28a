"""Users, their tokens, passwords and sessions in SQL: a token or session id is handed out once, and only its
SHA-256 hash is stored; a password only as the argon2 hash the services made.

A token or session may expire, a token be revoked and a session ended; every request reads its row, so either
holds at once on every server worker. Last use is written at most once a minute (TOUCH_INTERVAL), not on
every request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.store.account_store import AccountInfo, AccountStore, Role, SignInRecord, TokenInfo, UserInfo
from gridmap.store.frames import stored_text
from gridmap.store.tables import (
    CODE_LENGTH,
    MAX_INTEGER,
    NAME_LENGTH,
    PERSON_LENGTH,
    ApiToken,
    User,
    UserSession,
    utc_now,
)

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


def _new_user(name: str, role: Role, *, scope: str | None, password_hash: str | None) -> User:
    """A user row, its name and role checked (InvalidInput for an empty name or unknown role)."""
    name = stored_text(name.strip(), "the user name", PERSON_LENGTH)
    if not name:
        msg = "a user needs a name"
        raise InvalidInput(msg)
    try:
        role = Role(role)
    except ValueError:
        msg = f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}"
        raise InvalidInput(msg) from None
    return User(
        name=name,
        role=role.value,
        scope=None if scope is None else stored_text(scope, "the scope", CODE_LENGTH),
        created_at=utc_now(),
        password_hash=password_hash,
        failed_sign_ins=0,
    )


def _user_row(session: Session, user_id: int) -> User:
    """The user row of `user_id`, locked for the change that follows; NotFound for no such user."""
    row = session.get(User, user_id, with_for_update=True) if 0 < user_id <= MAX_INTEGER else None
    if row is None:
        msg = f"there is no user {user_id}"
        raise NotFound(msg)
    return row


class UserAccounts(AccountStore):
    """The user half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_user(self, name: str, role: Role, *, scope: str | None = None, expires_at: datetime | None = None) -> str:
        """Create a user (a dispatcher optionally scoped to a code prefix) and return their token (kept hashed)."""
        user = _new_user(name, role, scope=scope, password_hash=None)
        with self._new_user_transaction(user.name) as session:
            session.add(user)
            session.flush()
            _info, token = _new_token(session, user, label="first token", expires_at=expires_at)
        return token

    def add_user_with_password(
        self, name: str, role: Role, *, password_hash: str, scope: str | None = None
    ) -> UserInfo:
        """Create a user who signs in with a password (given as its hash); no token. Conflict for a taken name."""
        user = _new_user(name, role, scope=scope, password_hash=password_hash)
        with self._new_user_transaction(user.name) as session:
            session.add(user)
            session.flush()
            return _user(user)

    @contextmanager
    def _new_user_transaction(self, name: str) -> Iterator[Session]:
        """A transaction adding a user: Conflict when the name is taken."""
        try:
            with self._transaction() as session:
                yield session
        except IntegrityError:
            msg = f"a user named {name!r} exists already"
            raise Conflict(msg) from None

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

    def sign_in_record(self, name: str) -> SignInRecord | None:
        """The user named `name` with their password hash and lock, or None."""
        if len(name) > PERSON_LENGTH:
            return None  # no stored name is that long
        with self._transaction() as session:
            row = session.scalar(select(User).where(User.name == name))
            if row is None:
                return None
            return SignInRecord(user=_user(row), password_hash=row.password_hash, locked_until=row.locked_until)

    def list_accounts(self) -> list[AccountInfo]:
        """Every user with their sign-in state, by name."""
        with self._transaction() as session:
            return [
                AccountInfo(
                    user=_user(row),
                    has_password=row.password_hash is not None,
                    failed_sign_ins=row.failed_sign_ins,
                    locked_until=row.locked_until,
                )
                for row in session.scalars(select(User).order_by(User.name)).all()
            ]

    def set_password(self, user_id: int, password_hash: str) -> UserInfo:
        """Replace a user's password hash, unlock them and end their sessions; NotFound for no such user."""
        with self._write_transaction() as session:
            row = _user_row(session, user_id)
            row.password_hash = password_hash
            row.failed_sign_ins = 0
            row.locked_until = None
            session.execute(delete(UserSession).where(UserSession.user_id == user_id))
            session.flush()
            return _user(row)

    def set_role(self, user_id: int, role: Role) -> UserInfo:
        """Give a user another role (their sessions and tokens carry it from the next request on)."""
        with self._write_transaction() as session:
            row = _user_row(session, user_id)
            row.role = Role(role).value
            session.flush()
            return _user(row)

    def unlock(self, user_id: int) -> UserInfo:
        """Lift a user's lock-out and forget their failed sign-ins."""
        with self._write_transaction() as session:
            row = _user_row(session, user_id)
            row.failed_sign_ins = 0
            row.locked_until = None
            session.flush()
            return _user(row)

    def note_failed_sign_in(self, user_id: int, *, now: datetime, limit: int, lock_for: timedelta) -> datetime | None:
        """Count a failed sign-in; at the `limit`-th in a row lock the user for `lock_for` and return until when.

        The count is read and written under the row's lock, so failures sent at once by several workers all count.
        """
        with self._write_transaction() as session:
            row = _user_row(session, user_id)
            row.failed_sign_ins += 1
            if row.failed_sign_ins < limit:
                return None
            row.failed_sign_ins = 0  # after the lock, a new round of attempts
            row.locked_until = now + lock_for
            return row.locked_until

    def start_session(self, user_id: int, session_hash: str, *, now: datetime, expires_at: datetime) -> None:
        """Keep a new session (by its id's hash) of a user who just signed in, forget their failed sign-ins, and
        drop every session that has expired."""
        with self._write_transaction() as session:
            row = _user_row(session, user_id)
            row.failed_sign_ins = 0
            row.locked_until = None
            session.execute(delete(UserSession).where(UserSession.expires_at <= now))
            session.add(
                UserSession(
                    session_hash=session_hash, user_id=user_id, created_at=now, last_seen_at=now, expires_at=expires_at
                )
            )

    def user_for_session(self, session_hash: str, *, now: datetime) -> UserInfo | None:
        """The user of a live session (by its id's hash), or None; notes when it was last seen (once a minute)."""
        with self._transaction() as session:
            found = session.execute(
                select(User, UserSession.id, UserSession.last_seen_at)
                .join(UserSession, UserSession.user_id == User.id)
                .where(UserSession.session_hash == session_hash, UserSession.expires_at > now)
            ).one_or_none()
        if found is None:
            return None
        user, session_id, last_seen = found
        if now - last_seen >= TOUCH_INTERVAL:
            with self._transaction() as session:
                session.execute(
                    update(UserSession)
                    .where(UserSession.id == session_id, UserSession.last_seen_at <= now - TOUCH_INTERVAL)
                    .values(last_seen_at=now)
                )
        return _user(user)

    def end_session(self, session_hash: str) -> None:
        """Forget a session (signing out); nothing happens for an unknown one."""
        with self._transaction() as session:
            session.execute(delete(UserSession).where(UserSession.session_hash == session_hash))
