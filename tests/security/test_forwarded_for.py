"""Rate limits by client address: a caller cannot pick a fresh bucket by writing `X-Forwarded-For`.

The header counts only from a configured trusted proxy, and then only its right-most address that is not
itself a trusted proxy (the addresses to its left are the caller's own words).
"""

from __future__ import annotations

import pytest

from gridmap.api.clients import client_address, trusted_networks
from gridmap.errors import InvalidInput
from tests.api.conftest import AppFactory, TestClient, assert_problem
from tests.api.test_incidents import report_body

PROXIES = trusted_networks(["10.0.0.1", "10.1.0.0/16", "::1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", "1.1.1.1", "203.0.113.9"),  # not from a proxy: the header is ignored
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the left is the caller's invention
        ("10.0.0.1", "198.51.100.1, 10.1.2.3", "198.51.100.1"),  # a chain of trusted proxies is skipped
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("10.0.0.1", "10.1.2.3, 10.0.0.1", "10.1.2.3"),  # only proxies: the left-most of them
        ("10.0.0.1", "not-an-address, 198.51.100.1", "198.51.100.1"),
        ("10.0.0.1", "198.51.100.1, not-an-address", "not-an-address"),  # garbage right of it is its own bucket
        (None, "1.1.1.1", "unknown"),
    ],
)
def test_the_client_is_the_right_most_untrusted_address(peer: str | None, forwarded: str | None, client: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_no_proxies_are_trusted_by_default_and_bad_entries_are_refused() -> None:
    assert client_address("127.0.0.1", "1.1.1.1", trusted_networks([])) == "127.0.0.1"
    with pytest.raises(InvalidInput, match="trusted_proxies"):
        trusted_networks(["10.0.0.0/33"])


def test_forwarded_for_counts_only_from_a_trusted_proxy(make_client: AppFactory) -> None:
    client = make_client(report_burst=1, reports_per_hour=1.0, trusted_proxies=["10.0.0.1"])
    proxy = TestClient(client.app, client=("10.0.0.1", 40000))
    stranger = TestClient(client.app, client=("203.0.113.9", 40000))

    # Behind the proxy, each forwarded client has a bucket of its own.
    for resident in ("198.51.100.1", "198.51.100.2"):
        headers = {"X-Forwarded-For": resident}
        assert proxy.post("/api/v1/incidents", json=report_body(), headers=headers).status_code == 201
    assert_problem(
        proxy.post("/api/v1/incidents", json=report_body(), headers={"X-Forwarded-For": "198.51.100.1"}), 429
    )
    # A direct caller cannot pick a new bucket by writing the header.
    assert (
        stranger.post("/api/v1/incidents", json=report_body(), headers={"X-Forwarded-For": "1.1.1.1"}).status_code
        == 201
    )
    for forged in ("1.1.1.2", "198.51.100.3"):
        refused = stranger.post("/api/v1/incidents", json=report_body(), headers={"X-Forwarded-For": forged})
        assert_problem(refused, 429)
