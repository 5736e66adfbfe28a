"""What several server workers share through the store, on SQLite and on PostGIS: rate-limit buckets, jobs,
tokens with expiry and revocation, and publishing against the version the publisher saw."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import text

from gridmap.errors import NotFound
from gridmap.incidents.ratelimit import BucketRule
from gridmap.store import create_engine_for, migrate, open_store
from gridmap.store.interface import (
    BoundaryStore,
    ExpectedPublished,
    JobChange,
    JobStatus,
    PublishedMeanwhile,
    Role,
    VersionStatus,
)
from tests.store.conftest import sqlite_url
from tests.store.test_contract import engine_of, passing

RULE = BucketRule(capacity=3, refill_per_s=0.5)


def test_a_bucket_admits_its_burst_then_refills(store: BoundaryStore) -> None:
    now = 1_000_000.0
    taken = [store.take_tokens("reports", "10.0.0.1", RULE, now=now).allowed for _ in range(4)]
    assert taken == [True, True, True, False]
    refused = store.take_tokens("reports", "10.0.0.1", RULE, now=now)
    assert refused.retry_after_s == pytest.approx(2.0)
    assert store.take_tokens("reports", "10.0.0.2", RULE, now=now).allowed  # another client
    assert store.take_tokens("expensive", "10.0.0.1", RULE, now=now).allowed  # another limit
    assert store.take_tokens("reports", "10.0.0.1", RULE, now=now + 2.0).allowed
    assert not store.take_tokens("reports", "10.0.0.1", RULE, now=now + 2.0).allowed


def test_concurrent_takers_share_one_bucket(store: BoundaryStore) -> None:
    """Twenty threads (as several workers would) take from one bucket of five: exactly five pass."""
    rule = BucketRule(capacity=5, refill_per_s=1e-6)
    decisions: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def take() -> None:
        start.wait()
        try:
            decisions.append(store.take_tokens("reports", "crowd", rule, now=2_000_000.0).allowed)
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(decisions) == [False] * 15 + [True] * 5


def test_full_buckets_are_forgotten_and_others_kept(store: BoundaryStore) -> None:
    store.take_tokens("reports", "old", RULE, now=100.0)
    store.take_tokens("reports", "recent", RULE, now=105.0)
    store.take_tokens("expensive", "old", RULE, now=100.0)

    assert store.forget_full_buckets("reports", RULE, now=100.0 + RULE.full_after_s) == 1
    with engine_of(store).connect() as connection:
        left = connection.execute(text("SELECT limit_name, client FROM rate_buckets ORDER BY 1, 2")).all()
    assert [tuple(row) for row in left] == [("expensive", "old"), ("reports", "recent")]


def test_jobs_are_kept_with_their_progress_and_outcome(store: BoundaryStore) -> None:
    job = store.create_job("geocode", owner="规划员", label="地址.csv", runner="host:1")
    assert (job.status, job.progress, job.summary, job.finished_at) == (JobStatus.QUEUED, 0, None, None)
    assert len(job.id) == 32 and store.get_job(job.id) == job

    store.update_job(job.id, JobChange(status=JobStatus.RUNNING))
    store.add_job_progress(job.id, 40)
    store.add_job_progress(job.id, 2)
    assert [j.id for j in store.list_jobs("geocode", unfinished=True)] == [job.id]
    finished = datetime.now(UTC)
    done = store.update_job(job.id, JobChange(status=JobStatus.DONE, summary={"rows": 42}, finished_at=finished))

    assert (done.status, done.progress, done.summary, done.runner) == (JobStatus.DONE, 42, {"rows": 42}, "host:1")
    assert done.finished_at == finished
    assert store.list_jobs("geocode", unfinished=True) == []
    assert store.list_jobs("other") == []
    store.delete_job(job.id)
    with pytest.raises(NotFound):
        store.get_job(job.id)
    with pytest.raises(NotFound):
        store.update_job("0" * 32, JobChange(status=JobStatus.FAILED))


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


def test_a_second_publisher_is_told_who_won(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    """Two drafts made while version 1 was published: the second publish is refused, naming the first."""
    first = store.import_version("aoyang", region, who="a", why="first")
    store.publish(first.id, who="a", why="first", check=passing)
    mine = store.import_version("aoyang", region, who="甲", why="mine")
    theirs = store.import_version("aoyang", region, who="乙", why="theirs")
    store.publish(theirs.id, who="乙", why="theirs", check=passing)

    with pytest.raises(PublishedMeanwhile) as refusal:
        store.publish(mine.id, who="甲", why="mine", check=passing)
    assert refusal.value.members["published_version"] == theirs.id
    assert refusal.value.members["published_by"] == "乙"
    assert f"version {theirs.id} was published by 乙" in refusal.value.detail
    assert store.get_version(mine.id).status is VersionStatus.DRAFT
    assert store.published_version("aoyang") == store.get_version(theirs.id)

    with pytest.raises(PublishedMeanwhile):  # naming the version it saw does not help: that one is retired
        store.publish(mine.id, who="甲", why="mine", check=passing, expected=ExpectedPublished(first.id))
    store.publish(mine.id, who="甲", why="mine", check=passing, expected=ExpectedPublished(theirs.id))
    assert store.published_version("aoyang") == store.get_version(mine.id)


def test_force_replaces_whatever_is_published(store: BoundaryStore, region: gpd.GeoDataFrame) -> None:
    old = store.import_version("aoyang", region, who="a", why="old draft")
    newer = store.import_version("aoyang", region, who="b", why="newer")
    store.publish(newer.id, who="b", why="newer", check=passing)
    with pytest.raises(PublishedMeanwhile):
        store.publish(old.id, who="a", why="old", check=passing, expected=ExpectedPublished(None))

    published = store.publish(old.id, who="a", why="old, on purpose", check=passing, force=True)
    assert published.status is VersionStatus.PUBLISHED
    assert store.get_version(newer.id).status is VersionStatus.RETIRED


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
