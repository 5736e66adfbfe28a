"""A cap on the size of request bodies (settings.max_upload_bytes), answered with a 413 problem.

A pure ASGI middleware: a declared Content-Length over the cap is refused before the body is read; a body
without one (chunked) is counted as it arrives and refused as soon as it passes the cap, so an upload is
never held whole in memory or on disk before the check.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridmap.api.problems import ProblemResponse, problem_response
from gridmap.errors import PayloadTooLarge


def too_large_message(limit: int) -> str:
    """The detail of the 413 problem for a cap of `limit` bytes."""
    return f"the request body is larger than the limit of {limit:,} bytes (settings.max_upload_bytes)"


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with a 413 problem+json."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self, scope: Scope) -> ProblemResponse:
        return problem_response(
            status=413,
            title=PayloadTooLarge.title,
            detail=too_large_message(self.max_bytes),
            instance=scope.get("path"),
            headers={"Connection": "close"},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refusal(scope)(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise PayloadTooLarge(too_large_message(self.max_bytes))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Body parsers may turn the error into their own answer (a 400); the client gets the 413.
            if exceeded:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refusal(scope)(scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
            await self._refusal(scope)(scope, receive, send)
