"""Idempotency keys: a double tap returns the first incident; a reused key with other content is refused."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from gridmap.errors import Conflict, InvalidInput
from gridmap.incidents.idempotency import InMemoryIdempotencyRegistry, fingerprint

NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


class Creator:
    def __init__(self) -> None:
        self.made: list[str] = []

    def __call__(self) -> str:
        self.made.append(f"I-{len(self.made) + 1}")
        return self.made[-1]


def test_a_double_tap_returns_the_first_incident() -> None:
    registry, create = InMemoryIdempotencyRegistry(), Creator()
    body = fingerprint({"service_code": "other", "lat": 27.46})
    first = registry.get_or_create(client="c1", key="k-1", fingerprint=body, now=NOW, create=create)
    again = registry.get_or_create(client="c1", key="k-1", fingerprint=body, now=NOW, create=create)
    assert (first.incident_id, first.created) == ("I-1", True)
    assert (again.incident_id, again.created) == ("I-1", False)
    assert create.made == ["I-1"]


def test_keys_are_per_client_and_expire() -> None:
    registry, create = InMemoryIdempotencyRegistry(ttl=timedelta(hours=1)), Creator()
    body = fingerprint({"a": 1})
    registry.get_or_create(client="c1", key="k", fingerprint=body, now=NOW, create=create)
    other = registry.get_or_create(client="c2", key="k", fingerprint=body, now=NOW, create=create)
    assert other.created
    later = registry.get_or_create(client="c1", key="k", fingerprint=body, now=NOW + timedelta(hours=2), create=create)
    assert later.created
    assert create.made == ["I-1", "I-2", "I-3"]


def test_the_same_key_with_other_content_is_a_conflict() -> None:
    registry, create = InMemoryIdempotencyRegistry(), Creator()
    registry.get_or_create(client="c", key="k", fingerprint=fingerprint({"a": 1}), now=NOW, create=create)
    with pytest.raises(Conflict, match="different report"):
        registry.get_or_create(client="c", key="k", fingerprint=fingerprint({"a": 2}), now=NOW, create=create)


def test_fingerprints_ignore_field_order() -> None:
    assert fingerprint({"a": 1, "b": "网格"}) == fingerprint({"b": "网格", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": "1 "})


@pytest.mark.parametrize("key", ["", "x" * 201, "键", "a\nb"])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidInput, match="Idempotency-Key"):
        InMemoryIdempotencyRegistry().get_or_create(client="c", key=key, fingerprint="f", now=NOW, create=Creator())


def test_concurrent_taps_create_one_incident() -> None:
    registry, create = InMemoryIdempotencyRegistry(), Creator()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def tap() -> None:
        barrier.wait()
        outcome = registry.get_or_create(client="c", key="k", fingerprint="f", now=NOW, create=create)
        results.append(outcome.incident_id)

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["I-1"] * 8
    assert create.made == ["I-1"]
