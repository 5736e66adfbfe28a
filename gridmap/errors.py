"""One error tree for gridmap, each class with its HTTP status and CLI exit code; no web or database imports.

The API answers a GridmapError as problem+json with the class's `http_status`, the CLI prints its detail in
one line and exits with the class's `exit_code`. The whole table (`error_table()`) is in the README:

| exit code | meaning |
|---|---|
| 0 | done; the check found no error |
| 1 | problems found: the check reports errors, a publish was refused by the check |
| 2 | bad usage or unreadable input (a file, a feature, a field, an option) |
| 3 | an internal error (a bug): never looks like "problems found" |
| 4 | the store's state does not allow it (a conflict, a stale revision, an old schema) |
| 5 | not allowed: no or a wrong token, a missing role, too many requests |
"""

from __future__ import annotations

from typing import ClassVar

EXIT_OK = 0
EXIT_PROBLEMS_FOUND = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3
EXIT_CONFLICT = 4
EXIT_NOT_ALLOWED = 5


class GridmapError(Exception):
    """Base of every error a user can act on; a subclass nobody mapped is answered as an internal error."""

    title = "gridmap error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = EXIT_INTERNAL_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(GridmapError):
    """The input (a file, a feature, a field, a parameter) cannot be used as given."""

    title = "Invalid input"
    http_status = 422
    exit_code = EXIT_INPUT_ERROR


class BadParameter(InvalidInput):
    """A query or path parameter that does not parse (a malformed bbox, an unknown datum): 400."""

    title = "Bad request parameter"
    http_status = 400


class PayloadTooLarge(InvalidInput):
    """An upload is larger than the configured limit."""

    title = "Payload too large"
    http_status = 413


class ProblemsFound(InvalidInput):
    """The content was read but breaks the rules (a version the check refuses); carries the check report."""

    title = "Problems found"
    exit_code = EXIT_PROBLEMS_FOUND


class CalendarNotCovered(GridmapError):
    """The working calendar does not know a year yet: upgrade chinesecalendar or declare the year's days."""

    title = "Working calendar does not cover the date"
    http_status = 503
    exit_code = EXIT_INPUT_ERROR


class NotFound(GridmapError):
    """A named thing (file, code, version) does not exist."""

    title = "Not found"
    http_status = 404
    exit_code = EXIT_INPUT_ERROR


class Conflict(GridmapError):
    """The request clashes with the current state (a stale revision, an already published version)."""

    title = "Conflict"
    http_status = 409
    exit_code = EXIT_CONFLICT


class PreconditionFailed(Conflict):
    """An If-Match that names a revision other than the current one: 412."""

    title = "Precondition failed"
    http_status = 412


class PreconditionRequired(InvalidInput):
    """A change that must name the revisions it is based on (an If-Match header) came without: 428."""

    title = "Precondition required"
    http_status = 428


class Unauthorized(GridmapError):
    """The caller did not prove who they are."""

    title = "Unauthorized"
    http_status = 401
    exit_code = EXIT_NOT_ALLOWED


class Forbidden(GridmapError):
    """The caller is known but lacks the role for this action."""

    title = "Forbidden"
    http_status = 403
    exit_code = EXIT_NOT_ALLOWED


class RateLimited(GridmapError):
    """Too many requests from one client; try again after `retry_after_s` seconds (HTTP 429)."""

    title = "Too many requests"
    http_status = 429
    exit_code = EXIT_NOT_ALLOWED

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


def error_classes() -> list[type[GridmapError]]:
    """GridmapError and every subclass gridmap defines (in the modules imported so far), base first, then by name."""
    found: list[type[GridmapError]] = []
    pending: list[type[GridmapError]] = [GridmapError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    ours = [cls for cls in found[1:] if cls.__module__.split(".")[0] == "gridmap"]
    return [GridmapError, *sorted(ours, key=lambda cls: cls.__name__)]


def error_table() -> str:
    """The Markdown table of every error class with its HTTP status and CLI exit code."""
    rows = ["| error | HTTP status | CLI exit code | when |", "|---|---|---|---|"]
    for cls in error_classes():
        when = (cls.__doc__ or "").strip().splitlines()[0]
        rows.append(f"| `{cls.__name__}` | {cls.http_status} | {cls.exit_code} | {when} |")
    return "\n".join(rows)
