"""The token-bucket rate limiter with an injected clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmap.errors import InvalidInput
from gridmap.incidents.ratelimit import RateLimited, TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_refusal_then_refill() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(capacity=3, refill_per_s=0.5, clock=clock)
    assert [limiter.take("ip-1").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.take("ip-1")
    assert refused.retry_after_s == pytest.approx(2.0)
    assert limiter.take("ip-2").allowed  # other clients have their own bucket
    clock.now += 2.0
    assert limiter.take("ip-1").allowed
    assert not limiter.take("ip-1").allowed


def test_check_raises_with_the_wait() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(capacity=1, refill_per_s=0.1, clock=clock)
    limiter.check("c")
    with pytest.raises(RateLimited, match="try again in 10 s") as caught:
        limiter.check("c")
    assert caught.value.retry_after_s == pytest.approx(10.0)


def test_a_clock_stepping_back_refills_nothing() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(capacity=1, refill_per_s=1.0, clock=clock)
    assert limiter.take("c").allowed
    clock.now -= 100
    assert not limiter.take("c").allowed


def test_bad_settings() -> None:
    with pytest.raises(InvalidInput, match="capacity"):
        TokenBucketLimiter(capacity=0, refill_per_s=1.0, clock=Clock())
    with pytest.raises(InvalidInput, match="refill"):
        TokenBucketLimiter(capacity=1, refill_per_s=0.0, clock=Clock())


def test_idle_clients_are_forgotten() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(capacity=2, refill_per_s=1.0, clock=clock)
    for n in range(2000):
        limiter.take(f"c{n}")
    clock.now += 10
    limiter.take("new")
    assert len(limiter._buckets) < 1024


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 5.0), min_size=1, max_size=60))
def test_never_more_than_capacity_plus_refill(gaps: list[float]) -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(capacity=3, refill_per_s=0.5, clock=clock)
    start = clock.now
    allowed = 0
    for gap in gaps:
        clock.now += gap
        allowed += limiter.take("c").allowed
    assert allowed <= 3 + (clock.now - start) * 0.5 + 1e-9
