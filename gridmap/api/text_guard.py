"""Text holding a NUL character (\\x00) is refused at the edge with a 400 problem naming the parameter or field.

No text the service keeps or looks up may hold NUL: PostgreSQL refuses it in text (a 500 deep inside a
query), and nothing legitimate sends it. A pure ASGI middleware checks every request before any route
runs: the path parameters and query parameters, JSON and URL-encoded bodies (small; read whole, then handed
on as they came), and the text fields of multipart forms, which are watched as the body streams past so
that photos and files (bytes, where NUL is normal) are never held an extra time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import iter_route_contexts
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridmap.api.limits import call_inspecting_body, refusal
from gridmap.api.problems import BadParameter

NUL = "\x00"
JSON_NUL = (b"\x00", b"\\u0000")  # raw, or escaped as JSON writes it
BUFFERED_MEDIA = ("application/json", "application/x-www-form-urlencoded")


def nul_refused(where: str) -> BadParameter:
    """The error for a NUL character in `where` (e.g. "query parameter q")."""
    msg = f"{where} holds a NUL character (\\x00); no text sent to this service may contain it"
    return BadParameter(msg)


class RefuseNulText:
    """Answer 400 problem+json to any request whose text (path, query, JSON, form fields) holds a NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _nul_in_path(scope) or _nul_in_pairs(scope.get("query_string", b""), "query parameter")
        if where is not None:
            await refusal(scope, nul_refused(where))(scope, receive, send)
            return
        content_type = Headers(scope=scope).get("content-type", "")
        media = content_type.split(";")[0].strip().lower()
        if media == "multipart/form-data":
            await call_inspecting_body(self.app, scope, receive, send, MultipartText(content_type).feed)
        elif media in BUFFERED_MEDIA or media.endswith("+json"):
            body = await _whole_body(receive)  # BodySizeLimit, outside this middleware, bounds it
            where = _nul_in_pairs(body, "form field") if media == BUFFERED_MEDIA[1] else _nul_in_json(body)
            if where is not None:
                await refusal(scope, nul_refused(where))(scope, receive, send)
                return
            await self.app(scope, _replayed(body, receive), send)
        else:
            await self.app(scope, receive, send)


def _nul_in_path(scope: Scope) -> str | None:
    """Which path parameter holds a NUL ("the path" when no route names it), None when none does."""
    path = scope.get("path", "")
    if NUL not in path:
        return None
    for context in iter_route_contexts(getattr(scope.get("app"), "routes", ())):
        if context.path_format:
            found = compile_path(context.path_format)[0].match(path)
            named = [name for name, value in found.groupdict().items() if NUL in value] if found else []
            if named:
                return f"path parameter {named[0]}"
    return "the path"


def _nul_in_pairs(encoded: bytes, kind: str) -> str | None:
    """The first `name=value` pair of a query string or URL-encoded form holding a NUL, as "`kind` name"."""
    if b"\x00" not in encoded and b"%00" not in encoded:
        return None
    for name, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if NUL in name or NUL in value:
            return f"{kind} {name.replace(NUL, '')!r}"
    return None


def _nul_in_json(body: bytes) -> str | None:
    """The first body field (a dotted path, list positions in brackets) holding a NUL, in a key or a value."""
    if not any(pattern in body for pattern in JSON_NUL):
        return None
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # not JSON: the route's own parser says so
    return next((f"body field {path or '(the body)'}" for path in _paths_with_nul(document, "")), None)


def _paths_with_nul(node: Any, path: str) -> Iterator[str]:
    """The paths of every string (key or value) under `node` holding a NUL."""
    if isinstance(node, str):
        if NUL in node:
            yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield child.replace(NUL, "")
            yield from _paths_with_nul(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths_with_nul(value, f"{path}[{index}]")


async def _whole_body(receive: Receive) -> bytes:
    """Every chunk of the request body, joined."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replayed(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the already-read body once, then whatever the client sends next (a disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class MultipartText:
    """Watches a multipart body as it streams: the text fields (parts without a filename) for a NUL."""

    def __init__(self, content_type: str) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        callbacks: Any = {
            "on_part_begin": self._part_begins,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_ends,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
        }
        self._parser = MultipartParser(boundary, callbacks) if boundary else None
        self._field = b""
        self._value = b""
        self._disposition = b""
        self._name = ""
        self._is_text = False
        self._refused: str | None = None

    def feed(self, chunk: bytes) -> None:
        """Watch the next chunk; BadParameter naming the field once a text field holds a NUL."""
        if self._parser is None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except MultipartParseError:
            self._parser = None  # a malformed body: the route's own parser answers it
        if self._refused is not None:
            raise nul_refused(f"form field {self._refused!r}")

    def _part_begins(self) -> None:
        self._disposition, self._is_text = b"", False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_ends(self) -> None:
        if self._field.strip().lower() == b"content-disposition":
            self._disposition = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", errors="replace")
        self._name = name.replace(NUL, "")
        self._is_text = b"filename" not in options
        if NUL in name and self._refused is None:
            self._refused = self._name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_text and self._refused is None and b"\x00" in data[start:end]:
            self._refused = self._name
