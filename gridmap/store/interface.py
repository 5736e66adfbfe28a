"""The whole store: every aggregate's protocol in one, for the places that need all of them.

Services take the narrowest protocol they need (`VersionStore`, `DraftEditStore`, `HouseholdStore`, `IncidentStore`,
`JobStore`, `AccountStore`, `AddressStore`, `ReferenceStore`, `ExceptionStore`, or the rate limiter's
`BucketStore`); the composition root (`gridmap.api.app`) and the command line hold a `BoundaryStore`. Whether
PostGIS or embedded SQLite answers is decided once, by `gridmap.store.open_store(url)`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from gridmap.incidents.ratelimit import BucketStore
from gridmap.store.account_store import AccountStore
from gridmap.store.address_store import AddressStore
from gridmap.store.edit_store import DraftEditStore
from gridmap.store.exception_store import ExceptionStore
from gridmap.store.household_store import HouseholdStore
from gridmap.store.incident_store import IncidentStore
from gridmap.store.job_store import JobStore
from gridmap.store.reference_store import ReferenceStore
from gridmap.store.version_store import VersionStore


class BoundaryStore(
    VersionStore,
    DraftEditStore,
    HouseholdStore,
    IncidentStore,
    JobStore,
    AccountStore,
    AddressStore,
    ReferenceStore,
    ExceptionStore,
    BucketStore,
    Protocol,
):
    """Every aggregate's storage on one database (PostGIS or embedded SQLite), and the connections to close."""

    url: str

    def close(self) -> None:
        """Release the database connections."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Close the store."""
        ...
