"""One error tree for gridmap; no web or database imports here.

The API maps each class to an HTTP status (problem+json), the CLI to a one-line message and an exit code.
"""

from __future__ import annotations


class GridmapError(Exception):
    """Base of every error a user can act on."""

    title = "gridmap error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(GridmapError):
    """The input (a file, a feature, a field, a parameter) cannot be used as given."""

    title = "Invalid input"


class NotFound(GridmapError):
    """A named thing (file, code, version) does not exist."""

    title = "Not found"


class Conflict(GridmapError):
    """The request clashes with the current state (a stale revision, an already published version)."""

    title = "Conflict"


class Forbidden(GridmapError):
    """The caller is known but lacks the role for this action."""

    title = "Forbidden"


class Unauthorized(GridmapError):
    """The caller did not prove who they are."""

    title = "Unauthorized"


class PayloadTooLarge(InvalidInput):
    """An upload is larger than the configured limit."""

    title = "Payload too large"


class RateLimited(GridmapError):
    """Too many requests from one client; try again after `retry_after_s` seconds (HTTP 429)."""

    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s
