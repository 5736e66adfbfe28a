"""Signing in with a name and password: browser sessions, lock-out after repeated failures, and CSRF tokens.

A session id is 32 random bytes, handed to the browser once (in an HttpOnly cookie) and kept only as its SHA-256
hash, as tokens are; the store reads the session's row on every request, so signing out, a password reset or
an expiry holds at once on every worker. MAX_FAILED_SIGN_INS wrong passwords in a row lock the account for
LOCK_FOR; while locked, no password is even tried, and an admin may unlock it sooner.

The CSRF token is derived from the session id (a keyed hash no one can compute without the id, which scripts
cannot read): the page reads it from a cookie of its own and sends it back in a header with every unsafe
request, proving the request came from a page of this origin (docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gridmap.errors import InvalidInput, RateLimited, Unauthorized
from gridmap.services import passwords
from gridmap.store.account_store import AccountStore, UserInfo

MAX_FAILED_SIGN_INS = 5
LOCK_FOR = timedelta(minutes=15)
_SESSION_BYTES = 32
_CSRF_KEY = b"gridmap csrf token of a session"
_WRONG = "the name or password is wrong (用户名或密码错误)"


@dataclass(frozen=True)
class SignedIn:
    """A new session: who, its id (for the cookie, never stored), its CSRF token, and when it ends."""

    user: UserInfo
    session_id: str
    csrf_token: str
    expires_at: datetime


def session_hash(session_id: str) -> str:
    """The SHA-256 hex digest under which a session id is stored."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: an HMAC of its id, so it can be checked without storing it."""
    return hmac.new(_CSRF_KEY, session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, sent: str | None) -> bool:
    """Whether `sent` (the X-CSRF-Token header) is the session's CSRF token (compared in constant time)."""
    return sent is not None and hmac.compare_digest(sent.encode("utf-8"), csrf_token(session_id).encode("utf-8"))


def _start(store: AccountStore, user: UserInfo, *, now: datetime, lifetime: timedelta) -> SignedIn:
    session_id = secrets.token_urlsafe(_SESSION_BYTES)
    expires_at = now + lifetime
    store.start_session(user.id, session_hash(session_id), now=now, expires_at=expires_at)
    return SignedIn(user=user, session_id=session_id, csrf_token=csrf_token(session_id), expires_at=expires_at)


def _check_password(store: AccountStore, name: str, password: str, *, now: datetime) -> UserInfo:
    """The user `name` when `password` is theirs; Unauthorized (counted towards a lock) or RateLimited (locked)."""
    record = store.sign_in_record(name.strip())
    if record is not None and record.locked_until is not None and record.locked_until > now:
        wait = record.locked_until - now
        msg = (
            f"too many wrong passwords: this account is locked for {max(1, round(wait.total_seconds() / 60))} more "
            "minutes; try again later or ask an admin to unlock it (密码错误次数过多，账户已暂时锁定)"
        )
        raise RateLimited(msg, retry_after_s=wait.total_seconds())
    if not passwords.verify(password, record.password_hash if record is not None else None):
        if record is not None and record.password_hash is not None:
            store.note_failed_sign_in(record.user.id, now=now, limit=MAX_FAILED_SIGN_INS, lock_for=LOCK_FOR)
        raise Unauthorized(_WRONG)
    assert record is not None  # verify() is False without a record
    return record.user


def sign_in(store: AccountStore, *, name: str, password: str, lifetime: timedelta) -> SignedIn:
    """Start a session of `lifetime` for the user `name` if `password` is theirs."""
    now = datetime.now(UTC)
    user = _check_password(store, name, password, now=now)
    return _start(store, user, now=now, lifetime=lifetime)


def session_user(store: AccountStore, session_id: str) -> UserInfo | None:
    """The user of a live session, None for an unknown, ended or expired one."""
    return store.user_for_session(session_hash(session_id), now=datetime.now(UTC))


def sign_out(store: AccountStore, session_id: str) -> None:
    """End a session (on every worker from its next request on)."""
    store.end_session(session_hash(session_id))


def change_password(store: AccountStore, user: UserInfo, *, old: str, new: str, lifetime: timedelta) -> SignedIn:
    """Change one's own password after proving the old one: every session of the user ends (other browsers
    signed in with the old password too), and this browser gets a new one."""
    now = datetime.now(UTC)
    try:
        user = _check_password(store, user.name, old, now=now)
    except Unauthorized:
        # The caller is signed in: a wrong current password is a wrong field (and counts towards a lock).
        msg = "the current password is wrong (当前密码错误)"
        raise InvalidInput(msg) from None
    passwords.check_policy(new, name=user.name)
    store.set_password(user.id, passwords.hash_password(new))
    return _start(store, user, now=now, lifetime=lifetime)
