"""A cap on the size of request bodies (settings.max_upload_bytes), answered with a 413 problem.

A pure ASGI middleware: a declared Content-Length over the cap is refused before the body is read; a body
without one (chunked) is counted as it arrives and refused as soon as it passes the cap, so an upload is
never held whole in memory or on disk before the check. `call_inspecting_body` is the part other body
checks share (gridmap.api.text_guard): each chunk is inspected as the app reads it, and a refusal replaces
whatever answer the app makes of the interrupted body.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridmap.api.problems import ProblemResponse, problem_response, status_for
from gridmap.errors import GridmapError, PayloadTooLarge


def too_large_message(limit: int) -> str:
    """The detail of the 413 problem for a cap of `limit` bytes."""
    return f"the request body is larger than the limit of {limit:,} bytes (settings.max_upload_bytes)"


def refusal(scope: Scope, error: GridmapError) -> ProblemResponse:
    """The problem answering a request refused at the edge; the connection closes, as its body is left unread."""
    return problem_response(
        status=status_for(error),
        title=error.title,
        detail=error.detail,
        instance=scope.get("path"),
        headers={"Connection": "close"},
    )


async def call_inspecting_body(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, inspect: Callable[[bytes], None]
) -> None:
    """Run `app`, passing each body chunk to `inspect` as the app reads it; when `inspect` raises a
    GridmapError, the client gets that error's problem, whatever the app made of the interrupted body."""
    refused: GridmapError | None = None
    started = False

    async def inspected_receive() -> Message:
        nonlocal refused
        if refused is not None:
            raise refused
        message = await receive()
        if message["type"] == "http.request":
            try:
                inspect(message.get("body", b""))
            except GridmapError as error:
                refused = error
                raise
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        # Body parsers may turn the error into their own answer (a 400); the client gets the refusal.
        if refused is not None:
            if message["type"] == "http.response.start" and not started:
                started = True
                await refusal(scope, refused)(scope, receive, send)
            return
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, inspected_receive, guarded_send)
    except Exception:
        if refused is None or started:
            raise
        await refusal(scope, refused)(scope, receive, send)


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with a 413 problem+json."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await refusal(scope, PayloadTooLarge(too_large_message(self.max_bytes)))(scope, receive, send)
            return
        received = 0

        def count(chunk: bytes) -> None:
            nonlocal received
            received += len(chunk)
            if received > self.max_bytes:
                raise PayloadTooLarge(too_large_message(self.max_bytes))

        await call_inspecting_body(self.app, scope, receive, send, count)
