"""A token-bucket rate limit per client for public reporting; pure, with the clock injected.

Each client has a bucket of `capacity` tokens refilled at `refill_per_s`; a request takes one token, and
without one it is refused with the seconds to wait. Bursts up to `capacity` pass; the steady rate is the
refill rate. Buckets of idle clients that have refilled completely are dropped, so memory stays bounded.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from gridmap.errors import InvalidInput, RateLimited

__all__ = ["Decision", "RateLimited", "TokenBucketLimiter"]


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass, the whole tokens left, and the seconds until the next token."""

    allowed: bool
    remaining: int
    retry_after_s: float


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Token buckets keyed by client (an IP address, a WeChat openid, an API key)."""

    def __init__(self, *, capacity: int, refill_per_s: float, clock: Callable[[], float]) -> None:
        if capacity < 1 or not refill_per_s > 0 or not math.isfinite(refill_per_s):
            msg = f"a rate limit needs capacity >= 1 and a positive refill rate, not {capacity} and {refill_per_s}"
            raise InvalidInput(msg)
        self.capacity = capacity
        self.refill_per_s = refill_per_s
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._swept_at = -math.inf

    def take(self, client: str, cost: int = 1) -> Decision:
        """Take `cost` tokens from the client's bucket if it has them; the decision either way."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client) or _Bucket(float(self.capacity), now)
            elapsed = max(0.0, now - bucket.updated)  # a clock stepping back refills nothing
            bucket.tokens = min(float(self.capacity), bucket.tokens + elapsed * self.refill_per_s)
            bucket.updated = max(bucket.updated, now)
            allowed = bucket.tokens >= cost
            if allowed:
                bucket.tokens -= cost
            self._buckets[client] = bucket
            wait = 0.0 if allowed else (cost - bucket.tokens) / self.refill_per_s
            self._sweep(now)
            return Decision(allowed=allowed, remaining=int(bucket.tokens), retry_after_s=wait)

    def check(self, client: str) -> None:
        """Take one token or raise RateLimited saying how long to wait."""
        decision = self.take(client)
        if not decision.allowed:
            wait = math.ceil(decision.retry_after_s)
            msg = f"too many reports from this device; try again in {wait} s"
            raise RateLimited(msg, retry_after_s=decision.retry_after_s)

    def _sweep(self, now: float) -> None:
        """Drop buckets that would be full by now: forgetting them changes no decision."""
        full_after = self.capacity / self.refill_per_s
        # At most once per refill period, so a crowd of clients does not make every request a full scan.
        if len(self._buckets) < 1024 or now - self._swept_at < full_after:
            return
        self._swept_at = now
        for client in [c for c, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[client]
