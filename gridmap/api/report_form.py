"""Reading a report sent as multipart/form-data with photos, within explicit limits, as problems not crashes.

The body is refused (413) before it is read when its declared Content-Length passes the report limit, and
counted as it arrives otherwise (a chunked body). The form is parsed with Starlette's parsers and explicit
limits on files, fields and text sizes; whatever a parser refuses becomes a 400 problem. A report without
photos may also come URL-encoded, as a plain HTML form sends it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Collection
from dataclasses import dataclass
from typing import TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from gridmap.api.problems import BadParameter
from gridmap.errors import InvalidInput, PayloadTooLarge
from gridmap.incidents.photos import Upload

PHOTO_FIELD = "photos"
FormModel = TypeVar("FormModel", bound=BaseModel)
# Bounds for the parser, above what a valid report uses: more photos than a report takes still parse (so the
# answer is a 422 saying how many are allowed) up to MAX_FILE_PARTS; a description of 4,000 Chinese
# characters is 12,000 bytes of UTF-8.
MAX_FILE_PARTS = 16
MAX_FIELDS = 32
MAX_TEXT_BYTES = 64 * 1024


@dataclass(frozen=True)
class ReportForm:
    """The text fields of a report form (empty ones left out) and its photo uploads, read into memory."""

    fields: dict[str, str]
    uploads: list[Upload]

    def parsed(self, model: type[FormModel]) -> FormModel:
        """The text fields as `model`; a 400 problem naming each body field at fault otherwise."""
        try:
            return model.model_validate(self.fields)
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


def too_large(limit: int) -> str:
    """The detail of the 413 problem for a report body over `limit` bytes."""
    return f"the report is larger than the limit of {limit:,} bytes (settings.max_report_bytes)"


def refuse_declared_length(request: Request, limit: int) -> None:
    """413 when the request declares a body longer than `limit` bytes, before any of it is read."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        msg = f"header Content-Length is {declared!r}, not a number of bytes"
        raise BadParameter(msg)
    if int(declared) > limit:
        raise PayloadTooLarge(too_large(limit))


async def read_report_form(request: Request, *, text_fields: Collection[str], max_bytes: int) -> ReportForm:
    """The report's text fields (those named; others are ignored) and photos; 400 for a body that is not a
    readable form, 413 past `max_bytes`."""
    content_type = request.headers.get("content-type", "").lower()
    body = _bounded(request.stream(), max_bytes)
    parser: MultiPartParser | FormParser
    if content_type.startswith("multipart/form-data"):
        parser = MultiPartParser(
            request.headers, body, max_files=MAX_FILE_PARTS, max_fields=MAX_FIELDS, max_part_size=MAX_TEXT_BYTES
        )
    elif content_type.startswith("application/x-www-form-urlencoded"):  # a report without photos
        parser = FormParser(request.headers, body, max_fields=MAX_FIELDS, max_part_size=MAX_TEXT_BYTES)
    else:
        msg = "send the report as multipart/form-data (text fields, and files in field 'photos')"
        raise BadParameter(msg)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        msg = f"the multipart form cannot be read: {exc.message}"
        raise BadParameter(msg) from None
    try:
        fields: dict[str, str] = {}
        uploads: list[Upload] = []
        for name, value in form.multi_items():
            if name == PHOTO_FIELD:
                if not isinstance(value, UploadFile):
                    msg = f"field '{PHOTO_FIELD}' takes image files, not text"
                    raise InvalidInput(msg)
                filename = value.filename or f"photo {len(uploads) + 1}"
                uploads.append(Upload(filename=filename, data=await value.read()))
            elif name in text_fields:
                if not isinstance(value, str):
                    msg = f"field {name!r} takes text, not a file"
                    raise BadParameter(msg)
                if value.strip():
                    fields[name] = value
        return ReportForm(fields=fields, uploads=uploads)
    finally:
        await form.close()


async def _bounded(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    """The request body's chunks, refused (413) as soon as they pass `limit` bytes."""
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(too_large(limit))
        yield chunk
