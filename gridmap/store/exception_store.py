"""Allowed exceptions per boundary set in the store; implemented in `gridmap/store/allowed_exceptions.py`.

The values are `gridmap.geo.allowed_exceptions.AllowedException` (WGS-84 geometry as shapely objects).
"""

from __future__ import annotations

from typing import Protocol

from gridmap.geo.allowed_exceptions import AllowedException


class ExceptionStore(Protocol):
    """The register of gaps and overlaps each boundary set allows: listed, added and removed one by one."""

    def allowed_exceptions(self, set_name: str) -> list[AllowedException]:
        """The set's exceptions, oldest first; NotFound when there is no such set."""
        ...

    def add_allowed_exception(self, set_name: str, exception: AllowedException, *, who: str) -> AllowedException:
        """Store a validated exception for the set as registered by `who` now; returns it with its id and time.

        NotFound when there is no such set; InvalidInput when who is missing or a value does not fit.
        """
        ...

    def remove_allowed_exception(self, set_name: str, exception_id: int) -> None:
        """Delete exception `exception_id` of the set; NotFound when the set has no such exception."""
        ...
