"""Log lines without personal data: the access log keeps a query's parameter names, not what people typed.

The access log (uvicorn's `uvicorn.access` logger) writes each request's path and query string. Queries can
carry an address (`/geocode?q=`), a search text or a resident's position (`/locate?lon=&lat=`), so the value
of every query parameter is replaced by `[redacted]` unless its name is one of the few whose values never describe a
person (bounding boxes, levels, paging, formats). Unexpected errors are logged with their traceback's frames
and the exception's class only: an exception's message may quote the data that caused it (a database error
quotes the row it could not write).
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import parse_qsl, quote

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"

# Parameters whose values say nothing about a person; every other value is redacted.
PUBLIC_PARAMETERS = frozenset(
    {
        "bbox",
        "by",
        "category",
        "cell_px",
        "collection",
        "crs",
        "datum",
        "f",
        "format",
        "from",
        "level",
        "limit",
        "load",
        "month",
        "offset",
        "page",
        "page_size",
        "parent",
        "service_code",
        "since",
        "before",
        "status",
        "to",
        "type",
        "version",
        "z",
        "zoom",
    }
)


def redact_query(path_with_query: str) -> str:
    """The path with every query value whose parameter is not in PUBLIC_PARAMETERS replaced by `[redacted]`."""
    path, separator, query = path_with_query.partition("?")
    if not separator:
        return path
    parts = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        shown = quote(value, safe=",.:-_") if name in PUBLIC_PARAMETERS else REDACTED
        parts.append(f"{quote(name, safe='')}={shown}")
    return f"{path}?{'&'.join(parts)}" if parts else path


class RedactAccessLog(logging.Filter):
    """Rewrites uvicorn's access records (`client - "METHOD PATH HTTP/x" status`) with the query redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record, with its path argument redacted."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install_access_log_redaction() -> None:
    """Add the redacting filter to the access logger once per process (each worker builds its own app)."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactAccessLog) for existing in access.filters):
        access.addFilter(RedactAccessLog())


def describe_exception(exc: BaseException) -> str:
    """The exception's class and where it was raised (each frame's file, line and code), never its message."""
    causes: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(causes) < 8:
        causes.append(f"{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{' caused by '.join(causes)} (messages withheld: they may quote personal data)\n{frames}"
