"""The register of allowed gaps and overlaps of a boundary set: list, add, remove, and the check options it gives.

Every check of a stored version (validate, publish, the editor's per-edit check) takes the set's exceptions
through `check_options_for_set`, so an allowed gap or overlap is listed as allowed there as in `gridmap check
--allow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from gridmap.geo.allowed_exceptions import AllowedException, allowed_exception
from gridmap.services.check import CheckOptions
from gridmap.store.exception_store import ExceptionStore
from gridmap.store.household_store import HouseholdVersionStore
from gridmap.store.version_store import VersionStore


class CheckedVersionStore(VersionStore, ExceptionStore, Protocol):
    """Boundary versions with their sets' allowed exceptions: what checking a stored version needs."""


class PublishingStore(HouseholdVersionStore, ExceptionStore, Protocol):
    """Versions, households (placed on publish) and the allowed exceptions the publish check honours."""


def list_allowed(*, store: ExceptionStore, set_name: str) -> list[AllowedException]:
    """The set's allowed exceptions, oldest first; NotFound when there is no such set."""
    return store.allowed_exceptions(set_name)


def add_allowed(
    *,
    store: ExceptionStore,
    set_name: str,
    kind: str,
    geometry: Mapping[str, Any] | None,
    reason: str,
    codes: Sequence[str] = (),
    outside: bool = False,
    who: str,
) -> AllowedException:
    """Register a gap or overlap (a GeoJSON geometry in WGS-84) for the set; InvalidInput saying what is wrong."""
    exception = allowed_exception(kind=kind, geometry=geometry, reason=reason, codes=codes, outside=outside)
    return store.add_allowed_exception(set_name, exception, who=who)


def add_allowed_exceptions(
    *, store: ExceptionStore, set_name: str, exceptions: Sequence[AllowedException], who: str
) -> list[AllowedException]:
    """Register exceptions read from a file (already validated) for the set, one by one; each is recorded as
    allowed by its own `allowed_by` when the file names one, else by `who`."""
    return [
        store.add_allowed_exception(set_name, exception, who=exception.allowed_by or who) for exception in exceptions
    ]


def remove_allowed(*, store: ExceptionStore, set_name: str, exception_id: int) -> None:
    """Delete one of the set's exceptions; NotFound when the set has no such exception."""
    store.remove_allowed_exception(set_name, exception_id)


def check_options_for_set(*, store: ExceptionStore, set_name: str, options: CheckOptions | None = None) -> CheckOptions:
    """The check options (defaults when None) with the set's allowed exceptions added to any already given."""
    options = options or CheckOptions()
    return replace(options, allowed=(*options.allowed, *store.allowed_exceptions(set_name)))
