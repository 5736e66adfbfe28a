"""The token-bucket arithmetic and the named limiter, with an injected clock and buckets kept in a dict."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.errors import InvalidInput
from gridmap.incidents.ratelimit import Bucket, BucketRule, Decision, RateLimited, TokenBucketLimiter, take_from


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class DictBuckets:
    """A BucketStore in a dict, as the SQL store applies `take_from` in a transaction."""

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.sweeps = 0

    def take_tokens(self, limit: str, client: str, rule: BucketRule, *, now: float, cost: int = 1) -> Decision:
        bucket, decision = take_from(self.buckets.get((limit, client)), rule, now, cost)
        self.buckets[limit, client] = bucket
        return decision

    def forget_full_buckets(self, limit: str, rule: BucketRule, *, now: float) -> int:
        self.sweeps += 1
        full = [key for key, b in self.buckets.items() if key[0] == limit and now - b.updated >= rule.full_after_s]
        for key in full:
            del self.buckets[key]
        return len(full)


def limiter(
    clock: Clock, buckets: DictBuckets | None = None, *, capacity: int, refill_per_s: float
) -> TokenBucketLimiter:
    kept = buckets or DictBuckets()
    return TokenBucketLimiter(
        "reports",
        rule=BucketRule(capacity, refill_per_s),
        buckets=lambda: kept,
        clock=clock,
        subject="reports",
    )


def test_a_burst_then_refusal_then_refill() -> None:
    clock = Clock()
    reports = limiter(clock, capacity=3, refill_per_s=0.5)
    assert [reports.take("ip-1").allowed for _ in range(4)] == [True, True, True, False]
    refused = reports.take("ip-1")
    assert refused.retry_after_s == pytest.approx(2.0)
    assert reports.take("ip-2").allowed  # other clients have their own bucket
    clock.now += 2.0
    assert reports.take("ip-1").allowed
    assert not reports.take("ip-1").allowed


def test_check_raises_with_the_wait() -> None:
    reports = limiter(Clock(), capacity=1, refill_per_s=0.1)
    reports.check("c")
    with pytest.raises(RateLimited, match="too many reports from this device; try again in 10 s") as caught:
        reports.check("c")
    assert caught.value.retry_after_s == pytest.approx(10.0)


def test_a_clock_stepping_back_refills_nothing() -> None:
    rule = BucketRule(capacity=1, refill_per_s=1.0)
    bucket, first = take_from(None, rule, 1000.0)
    assert first.allowed
    _, again = take_from(bucket, rule, 900.0)
    assert not again.allowed


def test_bad_settings() -> None:
    with pytest.raises(InvalidInput, match="capacity"):
        BucketRule(capacity=0, refill_per_s=1.0)
    with pytest.raises(InvalidInput, match="refill"):
        BucketRule(capacity=1, refill_per_s=0.0)


def test_idle_clients_are_forgotten_once_per_refill_period() -> None:
    clock, buckets = Clock(), DictBuckets()
    reports = limiter(clock, buckets, capacity=2, refill_per_s=1.0)
    for n in range(100):
        reports.take(f"c{n}")
    assert buckets.sweeps == 1  # the first take; the next one is due a refill period (2 s) later
    clock.now += 10
    reports.take("new")
    assert buckets.sweeps == 2
    assert list(buckets.buckets) == [("reports", "new")]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 5.0), min_size=1, max_size=60))
def test_never_more_than_capacity_plus_refill(gaps: list[float]) -> None:
    clock = Clock()
    reports = limiter(clock, capacity=3, refill_per_s=0.5)
    start = clock.now
    allowed = 0
    for gap in gaps:
        clock.now += gap
        allowed += reports.take("c").allowed
    assert allowed <= 3 + (clock.now - start) * 0.5 + 1e-9
