"""The bucket store contract, run on SQLite and on PostGIS: rate-limit buckets shared by every server worker."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from gridmap.incidents.ratelimit import BucketRule
from gridmap.store.interface import BoundaryStore
from tests.store.conftest import engine_of

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
