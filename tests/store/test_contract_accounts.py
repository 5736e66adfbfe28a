"""The account store contract, run on SQLite and on PostGIS: users, tokens kept hashed, expiry and revocation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.store import create_engine_for, migrate, open_store
from gridmap.store.account_store import Role
from gridmap.store.interface import BoundaryStore
from gridmap.store.tables import ApiToken, User
from tests.store.conftest import engine_of, sqlite_url


def test_users_get_a_token_that_is_stored_only_hashed(store: BoundaryStore) -> None:
    token = store.add_user("张发敏", Role.WORKER)
    other = store.add_user("planner", Role.PLANNER)

    user = store.user_for_token(token)
    assert user is not None and (user.name, user.role) == ("张发敏", Role.WORKER)
    assert token != other and len(token) > 40
    assert store.user_for_token(token + "x") is None
    assert [u.name for u in store.list_users()] == ["planner", "张发敏"]
    with engine_of(store).connect() as connection:
        stored = connection.execute(
            select(ApiToken.token_hash).join(User, User.id == ApiToken.user_id).where(User.name == "张发敏")
        ).scalar_one()
        everything = " ".join(
            str(v)
            for table in ("users", "api_tokens")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for v in row
        )
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in everything
    with pytest.raises(Conflict):
        store.add_user("张发敏", Role.ADMIN)
    with pytest.raises(InvalidInput, match="unknown role"):
        store.add_user("someone", "mayor")  # type: ignore[arg-type]


def test_expired_and_revoked_tokens_are_refused(store: BoundaryStore) -> None:
    now = datetime.now(UTC)
    token = store.add_user("张发敏", Role.WORKER, expires_at=now + timedelta(days=1))
    assert store.user_for_token(token, now=now) is not None
    assert store.user_for_token(token, now=now + timedelta(days=1, seconds=1)) is None

    second, second_token = store.add_token("张发敏", label="new phone", expires_at=None)
    assert second.label == "new phone" and second.expires_at is None
    revoked = store.revoke_token(second.id, at=now)
    assert revoked.revoked_at == now
    assert store.user_for_token(second_token) is None
    assert store.user_for_token(token) is not None  # the other token still works
    with pytest.raises(NotFound):
        store.revoke_token(9999, at=now)
    with pytest.raises(NotFound):
        store.add_token("nobody", label="", expires_at=None)


def test_last_use_is_written_at_most_once_a_minute(store: BoundaryStore) -> None:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    token = store.add_user("planner", Role.PLANNER)
    [listed] = store.list_tokens()
    assert listed.last_used_at is None

    store.user_for_token(token, now=start)
    store.user_for_token(token, now=start + timedelta(seconds=59))
    assert store.list_tokens()[0].last_used_at == start
    store.user_for_token(token, now=start + timedelta(seconds=61))
    assert store.list_tokens()[0].last_used_at == start + timedelta(seconds=61)


def test_token_list_shows_records_never_tokens(store: BoundaryStore) -> None:
    token = store.add_user("b-user", Role.VIEWER)
    store.add_user("a-user", Role.ADMIN)
    listed = store.list_tokens()
    assert [(t.user, t.role, t.label) for t in listed] == [
        ("a-user", Role.ADMIN, "first token"),
        ("b-user", Role.VIEWER, "first token"),
    ]
    assert token not in repr(listed) and hashlib.sha256(token.encode()).hexdigest() not in repr(listed)


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def database_at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database migrated to the revision before tokens got their own table."""
    url: str = sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("postgis_databases")()
    engine = create_engine_for(url)
    try:
        migrate.upgrade(engine, "0006")
    finally:
        engine.dispose()
    return url


def test_the_users_tokens_move_into_the_token_table(database_at_0006: str) -> None:
    token = "gm_an-old-token-handed-out-before-0007"
    engine = create_engine_for(database_at_0006)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO users (name, role, token_hash, created_at) VALUES ('老用户', 'planner', :h, :at)"),
                {"h": hashlib.sha256(token.encode()).hexdigest(), "at": datetime(2026, 1, 1)},
            )
        migrate.upgrade(engine)
        with open_store(database_at_0006) as store:
            user = store.user_for_token(token)
            assert user is not None and (user.name, user.role) == ("老用户", Role.PLANNER)
            [listed] = store.list_tokens()
            assert (listed.user, listed.expires_at, listed.revoked_at) == ("老用户", None, None)
        migrate.downgrade(engine, "0006")
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT token_hash FROM users")).scalar_one()
        assert stored == hashlib.sha256(token.encode()).hexdigest()
    finally:
        engine.dispose()
