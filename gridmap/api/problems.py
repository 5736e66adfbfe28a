"""Every error leaves the API as RFC 7807 `application/problem+json` with type, title, status and detail.

Invalid input is always a 4xx: request parameters that do not parse are 400 (as OGC API - Features asks),
content that parses but cannot be used (a feature in an upload, a version with errors) is 422.
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridmap.api.log_privacy import describe_exception

# BadParameter and PreconditionFailed are imported from here by the routes: re-exported.
from gridmap.errors import BadParameter as BadParameter
from gridmap.errors import GridmapError, RateLimited
from gridmap.errors import PreconditionFailed as PreconditionFailed

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


class ProblemResponse(JSONResponse):
    """A JSONResponse with the problem media type."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_type(title: str) -> str:
    """A stable URN naming the kind of problem, e.g. `urn:gridmap:problem:not-found`."""
    return "urn:gridmap:problem:" + "-".join(title.lower().split())


def problem_response(
    *,
    status: int,
    title: str,
    detail: str,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    """The problem+json response for these members (and any extension members in `extra`)."""
    body: dict[str, Any] = {"type": problem_type(title), "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def status_for(error: GridmapError) -> int:
    """The HTTP status of a GridmapError: its class's (gridmap.errors has the table)."""
    return error.http_status


async def _gridmap_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, GridmapError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": 'Bearer realm="gridmap"'} if status == 401 else None
    if isinstance(exc, RateLimited):
        # Retry-After takes whole seconds (RFC 9110); round up so a client waiting that long gets a token.
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    # A refused publish carries the check report (gridmap.store.interface.CheckFailed.report); other errors may
    # carry extension members of their own (e.g. PublishedMeanwhile names the version that won).
    report = getattr(exc, "report", None)
    members = getattr(exc, "members", None)
    return problem_response(
        status=status,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        extra={"report": report} if isinstance(report, dict) else members if isinstance(members, dict) else None,
        headers=headers,
    )


def _describe_location(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("query", "lon")` as "query parameter lon"."""
    parts = [str(p) for p in loc]
    if not parts:
        return "request"
    where = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "body field"}
    head = where.get(parts[0], parts[0])
    return f"{head} {'.'.join(parts[1:])}".strip()


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"parameter": _describe_location(err.get("loc", ())), "message": str(err.get("msg", "invalid"))}
        for err in exc.errors()
    ]
    detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors) or "the request is invalid"
    return problem_response(
        status=400,
        title=BadParameter.title,
        detail=detail,
        instance=request.url.path,
        extra={"errors": errors},
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else ""
    if exc.status_code == 404 and not detail:
        detail = f"nothing is served at {request.url.path}; see /docs for the API"
    return problem_response(
        status=exc.status_code,
        title=phrase,
        detail=detail or phrase,
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    # The cause goes to the server log only, and without the exceptions' messages: they can quote people's data.
    logger.error("unexpected error on %s %s: %s", request.method, request.url.path, describe_exception(exc))
    return problem_response(
        status=500,
        title="Internal server error",
        detail="the server failed to answer; the error was logged",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers for gridmap errors, validation errors, HTTP errors and the rest."""
    app.add_exception_handler(GridmapError, _gridmap_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
