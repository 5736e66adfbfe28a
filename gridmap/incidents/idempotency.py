"""Idempotency keys: a double tap on "report" (or a retried POST) creates one incident, not two.

The client sends a key per report (e.g. a UUID made when the form opens). The first request with a key
creates the incident and the registry remembers which; a repeat with the same key and the same content
gets that incident back; the same key with different content is refused, since it is a client bug. Keys
are scoped per client and forgotten after `ttl`. The store's implementation holds the same contract with a
unique (client, key) row.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from gridmap.errors import Conflict, InvalidInput

DEFAULT_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Outcome:
    """The incident a keyed request stands for, and whether this request created it."""

    incident_id: str
    created: bool


class IdempotencyRegistry(Protocol):
    """Remembers which incident each (client, key) created."""

    def get_or_create(
        self, *, client: str, key: str, fingerprint: str, now: datetime, create: Callable[[], str]
    ) -> Outcome:
        """The incident already created under (client, key), or a new one from `create()`."""
        ...


def check_key(key: str) -> str:
    """The key as given, if it is 1-200 printable ASCII characters; InvalidInput otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        msg = f"the Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters (e.g. a UUID)"
        raise InvalidInput(msg)
    return key


def fingerprint(fields: Mapping[str, object]) -> str:
    """A digest of a request's content, equal for equal content whatever the field order."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Record:
    incident_id: str
    fingerprint: str
    at: datetime


class InMemoryIdempotencyRegistry:
    """An idempotency registry in a dict, for tests and a single process; thread-safe."""

    def __init__(self, *, ttl: timedelta = DEFAULT_TTL) -> None:
        self._ttl = ttl
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    def get_or_create(
        self, *, client: str, key: str, fingerprint: str, now: datetime, create: Callable[[], str]
    ) -> Outcome:
        """The incident already created under (client, key), or a new one from `create()`."""
        slot = (client, check_key(key))
        # Held across create(): a second tap waits for the first and then gets its incident.
        with self._lock:
            self._forget_before(now - self._ttl)
            record = self._records.get(slot)
            if record is not None:
                if record.fingerprint != fingerprint:
                    msg = "this Idempotency-Key was already used for a different report; make a new key per report"
                    raise Conflict(msg)
                return Outcome(record.incident_id, created=False)
            incident_id = create()
            self._records[slot] = _Record(incident_id, fingerprint, now)
            return Outcome(incident_id, created=True)

    def _forget_before(self, cutoff: datetime) -> None:
        stale = [slot for slot, record in self._records.items() if record.at < cutoff]
        for slot in stale:
            del self._records[slot]
