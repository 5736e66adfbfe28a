"""Every method of every store protocol is implemented by both backends, not inherited as the protocol's stub.

The SQL mixins subclass their protocols, so a method added to a protocol and to no mixin would answer None at
run time; mypy refuses to instantiate such a store, and this test says which method is missing.
"""

from __future__ import annotations

import inspect

import pytest

from gridmap.incidents.ratelimit import BucketStore
from gridmap.store.account_store import AccountStore
from gridmap.store.address_store import AddressStore
from gridmap.store.edit_store import DraftEditStore
from gridmap.store.exception_store import ExceptionStore
from gridmap.store.household_store import HouseholdStore
from gridmap.store.incident_store import IncidentStore
from gridmap.store.interface import BoundaryStore
from gridmap.store.job_store import JobStore
from gridmap.store.postgis import PostgisStore
from gridmap.store.reference_store import ReferenceStore
from gridmap.store.sql import SqlBoundaryStore
from gridmap.store.sqlite import SqliteStore
from gridmap.store.version_store import VersionStore

PROTOCOLS = [
    VersionStore,
    DraftEditStore,
    HouseholdStore,
    IncidentStore,
    JobStore,
    AccountStore,
    AddressStore,
    ExceptionStore,
    ReferenceStore,
    BucketStore,
]


def _methods(protocol: type) -> set[str]:
    return {name for name, member in vars(protocol).items() if inspect.isfunction(member) and not name.startswith("_")}


@pytest.mark.parametrize("backend", [SqliteStore, PostgisStore])
@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
def test_each_protocol_method_has_an_implementation(backend: type[SqlBoundaryStore], protocol: type) -> None:
    assert _methods(protocol), f"{protocol.__name__} declares no methods"
    stubs = sorted(name for name in _methods(protocol) if getattr(backend, name) is vars(protocol)[name])
    assert stubs == [], f"{backend.__name__} does not implement {protocol.__name__}.{', '.join(stubs)}"


def test_the_whole_store_is_the_aggregates_composed() -> None:
    declared = set().union(*(_methods(protocol) for protocol in PROTOCOLS))
    whole = {name for name in dir(BoundaryStore) if not name.startswith("_") and callable(getattr(BoundaryStore, name))}
    assert declared <= whole
    assert whole - declared == {"close"}
    assert BoundaryStore in SqlBoundaryStore.__mro__
