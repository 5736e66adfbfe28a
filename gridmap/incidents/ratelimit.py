"""Token-bucket rate limits per client, named (reports, expensive reads); pure, with clock and buckets injected.

Each client has a bucket of `capacity` tokens refilled at `refill_per_s`; a request takes one token, and
without one it is refused with the seconds to wait. Bursts up to `capacity` pass; the steady rate is the
refill rate. The arithmetic (`take_from`) is pure; the buckets live where a `BucketStore` keeps them (the
database, so that every server worker takes from the same bucket), which applies it in one transaction.
Buckets of idle clients that have refilled completely are forgotten, since forgetting them changes nothing.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gridmap.errors import InvalidInput, RateLimited

__all__ = ["Bucket", "BucketRule", "BucketStore", "Decision", "RateLimited", "TokenBucketLimiter", "take_from"]


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass, the whole tokens left, and the seconds until the next token."""

    allowed: bool
    remaining: int
    retry_after_s: float


@dataclass(frozen=True)
class BucketRule:
    """How many tokens a bucket holds and how fast it refills."""

    capacity: int
    refill_per_s: float

    def __post_init__(self) -> None:
        if self.capacity < 1 or not self.refill_per_s > 0 or not math.isfinite(self.refill_per_s):
            msg = (
                "a rate limit needs capacity >= 1 and a positive refill rate, "
                f"not {self.capacity} and {self.refill_per_s}"
            )
            raise InvalidInput(msg)

    @property
    def full_after_s(self) -> float:
        """Seconds an empty bucket takes to refill completely."""
        return self.capacity / self.refill_per_s


@dataclass(frozen=True)
class Bucket:
    """A client's tokens as of `updated` (seconds on the limiter's clock)."""

    tokens: float
    updated: float


def take_from(bucket: Bucket | None, rule: BucketRule, now: float, cost: int = 1) -> tuple[Bucket, Decision]:
    """The bucket after trying to take `cost` tokens at `now` (None: a new, full bucket), and the decision."""
    bucket = bucket or Bucket(float(rule.capacity), now)
    elapsed = max(0.0, now - bucket.updated)  # a clock stepping back refills nothing
    tokens = min(float(rule.capacity), bucket.tokens + elapsed * rule.refill_per_s)
    allowed = tokens >= cost
    if allowed:
        tokens -= cost
    wait = 0.0 if allowed else (cost - tokens) / rule.refill_per_s
    return Bucket(tokens, max(bucket.updated, now)), Decision(
        allowed=allowed, remaining=int(tokens), retry_after_s=wait
    )


class BucketStore(Protocol):
    """Where buckets live; `take_tokens` reads, applies `take_from` and writes a bucket atomically."""

    def take_tokens(self, limit: str, client: str, rule: BucketRule, *, now: float, cost: int = 1) -> Decision:
        """Apply `take_from` to the client's bucket of the named limit in one transaction."""
        ...

    def forget_full_buckets(self, limit: str, rule: BucketRule, *, now: float) -> int:
        """Drop the named limit's buckets that would be full by `now`; how many were dropped."""
        ...


class TokenBucketLimiter:
    """One named limit (e.g. "reports") on buckets keyed by client (an IP address, an openid, an API key)."""

    def __init__(
        self,
        name: str,
        *,
        rule: BucketRule,
        buckets: Callable[[], BucketStore],
        clock: Callable[[], float],
        subject: str = "requests",
    ) -> None:
        self.name = name
        self.rule = rule
        self.subject = subject
        # A callable: the server's store is opened by its lifespan, after the limiter is built.
        self._buckets = buckets
        self._clock = clock
        self._swept_at = -math.inf
        self._lock = threading.Lock()

    def take(self, client: str, cost: int = 1) -> Decision:
        """Take `cost` tokens from the client's bucket if it has them; the decision either way."""
        now = self._clock()
        decision = self._buckets().take_tokens(self.name, client, self.rule, now=now, cost=cost)
        self._sweep(now)
        return decision

    def check(self, client: str) -> None:
        """Take one token or raise RateLimited saying how long to wait."""
        decision = self.take(client)
        if not decision.allowed:
            wait = math.ceil(decision.retry_after_s)
            msg = f"too many {self.subject} from this device; try again in {wait} s"
            raise RateLimited(msg, retry_after_s=decision.retry_after_s)

    def _sweep(self, now: float) -> None:
        """Forget full buckets at most once per refill period, so a crowd of clients does not grow the table."""
        with self._lock:
            if now - self._swept_at < self.rule.full_after_s:
                return
            self._swept_at = now
        self._buckets().forget_full_buckets(self.name, self.rule, now=now)
