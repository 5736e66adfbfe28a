"""Who a request comes from, for rate limits: the peer address, or the address a trusted proxy forwarded.

`X-Forwarded-For` is anyone's to write, so it counts only when the peer is one of settings.trusted_proxies;
then the right-most address that is not itself a trusted proxy is the client (the ones to its left were
written by the client and prove nothing). Rate limits are named token buckets in the store, so every
server worker takes from the same bucket.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence

from fastapi import FastAPI, Request

from gridmap.errors import InvalidInput
from gridmap.incidents.ratelimit import BucketRule, BucketStore, TokenBucketLimiter

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(proxies: Sequence[str]) -> tuple[Network, ...]:
    """The configured proxies as networks (a single address is a /32 or /128); InvalidInput for bad entries."""
    try:
        return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)
    except ValueError as err:
        msg = f"settings.trusted_proxies: {err}"
        raise InvalidInput(msg) from None


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None, networks: Sequence[Network]) -> str:
    """The client of a request from `peer` carrying `X-Forwarded-For: forwarded_for` (see the module docstring)."""
    client = peer or "unknown"
    if not forwarded_for or not _trusted(client, networks):
        return client
    for hop in reversed([hop.strip() for hop in forwarded_for.split(",") if hop.strip()]):
        client = hop
        if not _trusted(hop, networks):
            break
    return client


def request_client(request: Request) -> str:
    """The client address of a request, under the app's trusted proxies."""
    networks: tuple[Network, ...] = request.app.state.trusted_networks
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), networks)


def store_limiter(app: FastAPI, name: str, *, capacity: int, per_hour: float, subject: str) -> TokenBucketLimiter:
    """A named rate limit whose buckets live in the app's store (opened by its lifespan), on the wall clock."""

    def buckets() -> BucketStore:
        store: BucketStore = app.state.store
        return store

    # The wall clock: several processes share the buckets, and a monotonic clock is each process's own.
    return TokenBucketLimiter(
        name, rule=BucketRule(capacity, per_hour / 3600.0), buckets=buckets, clock=time.time, subject=subject
    )
