"""The account store's sign-in contract, run on SQLite and on PostGIS: password hashes, the failed sign-in count and
lock, sessions kept by their hash, their expiry and end, and the migration that adds them keeping every token."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from gridmap.errors import Conflict, NotFound
from gridmap.store import create_engine_for, migrate, open_store
from gridmap.store.account_store import Role
from gridmap.store.interface import BoundaryStore
from tests.store.conftest import sqlite_url

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
LOCK = timedelta(minutes=15)
# The store keeps whatever hash the services made: the tests need no real argon2 hash.
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
SESSION = hashlib.sha256(b"a session id").hexdigest()


def test_a_password_user_has_no_token_and_a_unique_name(store: BoundaryStore) -> None:
    user = store.add_user_with_password("张发敏", Role.WORKER, password_hash=HASH)

    record = store.sign_in_record("张发敏")
    assert record is not None and record.user == user and record.password_hash == HASH
    assert record.locked_until is None
    assert store.list_tokens() == []
    assert store.sign_in_record("nobody") is None and store.sign_in_record("x" * 500) is None
    with pytest.raises(Conflict):
        store.add_user_with_password("张发敏", Role.ADMIN, password_hash=HASH)
    token_user = store.add_user("token-only", Role.VIEWER)
    [listed, _] = sorted(store.list_accounts(), key=lambda a: a.user.name)
    assert (listed.user.name, listed.has_password) == ("token-only", False) and token_user.startswith("gm_")


def test_the_limit_th_failure_in_a_row_locks_and_a_sign_in_or_unlock_starts_again(store: BoundaryStore) -> None:
    user = store.add_user_with_password("worker", Role.WORKER, password_hash=HASH)

    results = [store.note_failed_sign_in(user.id, now=START, limit=3, lock_for=LOCK) for _ in range(3)]

    assert results == [None, None, START + LOCK]
    record = store.sign_in_record("worker")
    assert record is not None and record.locked_until == START + LOCK
    [account] = store.list_accounts()
    assert account.failed_sign_ins == 0 and account.locked_until == START + LOCK
    store.unlock(user.id)
    assert store.sign_in_record("worker").locked_until is None  # type: ignore[union-attr]

    # Two failures, then a success: the next two failures do not lock.
    for _ in range(2):
        store.note_failed_sign_in(user.id, now=START, limit=3, lock_for=LOCK)
    store.start_session(user.id, SESSION, now=START, expires_at=START + timedelta(hours=1))
    assert store.note_failed_sign_in(user.id, now=START, limit=3, lock_for=LOCK) is None
    assert store.note_failed_sign_in(user.id, now=START, limit=3, lock_for=LOCK) is None
    with pytest.raises(NotFound):
        store.note_failed_sign_in(9999, now=START, limit=3, lock_for=LOCK)


def test_a_session_names_its_user_until_it_expires_or_ends(store: BoundaryStore) -> None:
    user = store.add_user_with_password("planner", Role.PLANNER, password_hash=HASH)
    store.start_session(user.id, SESSION, now=START, expires_at=START + timedelta(hours=12))

    assert store.user_for_session(SESSION, now=START + timedelta(hours=1)) == user
    assert store.user_for_session(SESSION, now=START + timedelta(hours=12)) is None
    assert store.user_for_session("0" * 64, now=START) is None

    store.end_session(SESSION)
    assert store.user_for_session(SESSION, now=START) is None
    store.end_session(SESSION)  # ending it again is no error


def test_a_new_password_or_role_holds_for_the_users_sessions(store: BoundaryStore) -> None:
    user = store.add_user_with_password("planner", Role.PLANNER, password_hash=HASH)
    other = store.add_user_with_password("other", Role.WORKER, password_hash=HASH)
    other_session = hashlib.sha256(b"another").hexdigest()
    store.start_session(user.id, SESSION, now=START, expires_at=START + timedelta(hours=12))
    store.start_session(other.id, other_session, now=START, expires_at=START + timedelta(hours=12))

    store.set_role(user.id, Role.VIEWER)
    seen = store.user_for_session(SESSION, now=START)
    assert seen is not None and seen.role is Role.VIEWER

    store.note_failed_sign_in(user.id, now=START, limit=1, lock_for=LOCK)
    store.set_password(user.id, "$argon2id$another")
    record = store.sign_in_record("planner")
    assert record is not None and record.password_hash == "$argon2id$another" and record.locked_until is None
    assert store.user_for_session(SESSION, now=START) is None  # every session of theirs ended
    assert store.user_for_session(other_session, now=START) == other  # nobody else's
    with pytest.raises(NotFound):
        store.set_password(9999, HASH)


def test_starting_a_session_drops_the_expired_ones(store: BoundaryStore) -> None:
    user = store.add_user_with_password("planner", Role.PLANNER, password_hash=HASH)
    old = hashlib.sha256(b"old").hexdigest()
    store.start_session(user.id, old, now=START, expires_at=START + timedelta(hours=1))
    later = START + timedelta(days=2)
    store.start_session(user.id, SESSION, now=later, expires_at=later + timedelta(hours=1))

    assert store.user_for_session(SESSION, now=later) == user
    assert store.user_for_session(old, now=START) is None  # its row is gone, not only expired


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def database_at_0013(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database migrated to the revision before passwords and sessions."""
    url: str = sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("postgis_databases")()
    engine = create_engine_for(url)
    try:
        migrate.upgrade(engine, "0013")
    finally:
        engine.dispose()
    return url


def test_passwords_and_sessions_come_and_go_keeping_every_token(database_at_0013: str) -> None:
    engine = create_engine_for(database_at_0013)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO users (name, role, created_at) VALUES ('老用户', 'planner', :at)"), {"at": START}
            )
            connection.execute(
                text(
                    "INSERT INTO api_tokens (user_id, token_hash, label, created_at) "
                    "SELECT id, :h, 'first token', :at FROM users"
                ),
                {"h": hashlib.sha256(b"gm_old").hexdigest(), "at": START},
            )
        migrate.upgrade(engine)
        with open_store(database_at_0013) as store:
            [account] = store.list_accounts()
            assert (account.user.name, account.has_password, account.failed_sign_ins) == ("老用户", False, 0)
            store.start_session(account.user.id, SESSION, now=START, expires_at=START + timedelta(hours=1))
            assert store.user_for_token("gm_old") is not None
        migrate.downgrade(engine, "0013")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
    finally:
        engine.dispose()
