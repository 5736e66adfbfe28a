"""Photo uploads for reports: JPEG, PNG or WebP recognised by their bytes, size-limited, at most 3, and
re-encoded without metadata so that no EXIF (GPS position, phone model, time) is ever stored.

Re-encoding (rather than cutting metadata segments) also drops XMP, comments and text chunks, and proves
the image decodes. The EXIF orientation is applied to the pixels first, so photos stay upright.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageOps, UnidentifiedImageError

from gridmap.errors import InvalidInput, PayloadTooLarge


class PhotoFormat(StrEnum):
    """Accepted image formats, with their media types as values."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"

    @property
    def extension(self) -> str:
        """The file extension to store the photo under."""
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[self.value]


@dataclass(frozen=True)
class PhotoLimits:
    """How many photos a report may carry, how large each may be, and the largest image in pixels."""

    max_count: int = 3
    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 40_000_000


@dataclass(frozen=True)
class Upload:
    """A photo as received: the name the client gave (only for messages) and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: re-encoded without metadata."""

    data: bytes
    format: PhotoFormat
    width: int
    height: int


_PIL_FORMAT = {PhotoFormat.JPEG: "JPEG", PhotoFormat.PNG: "PNG", PhotoFormat.WEBP: "WEBP"}


def sniff_format(data: bytes) -> PhotoFormat | None:
    """The format the file's magic bytes announce, whatever its name says; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return PhotoFormat.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PhotoFormat.PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return PhotoFormat.WEBP
    return None


def clean_photos(uploads: Sequence[Upload], limits: PhotoLimits | None = None) -> list[CleanPhoto]:
    """Every upload checked and stripped of metadata; the first bad one raises, naming it."""
    limits = limits or PhotoLimits()
    if len(uploads) > limits.max_count:
        msg = f"{len(uploads)} photos attached; a report takes at most {limits.max_count}"
        raise InvalidInput(msg)
    return [clean_photo(upload, limits) for upload in uploads]


def clean_photo(upload: Upload, limits: PhotoLimits | None = None) -> CleanPhoto:
    """One upload checked (format by content, size, decodability) and re-encoded without metadata."""
    limits = limits or PhotoLimits()
    name = upload.filename or "the photo"
    if len(upload.data) > limits.max_bytes:
        msg = f"{name} is {len(upload.data):,} bytes; a photo may be at most {limits.max_bytes:,} bytes"
        raise PayloadTooLarge(msg)
    photo_format = sniff_format(upload.data)
    if photo_format is None:
        msg = f"{name} is not a JPEG, PNG or WebP image (judged by its content, not its name)"
        raise InvalidInput(msg)
    try:
        with warnings.catch_warnings():
            # Pillow warns of huge images; our own pixel limit below gives the user's message instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(upload.data), formats=[_PIL_FORMAT[photo_format]])
            if image.width * image.height > limits.max_pixels:
                msg = f"{name} is {image.width}x{image.height} pixels; at most {limits.max_pixels:,} pixels"
                raise InvalidInput(msg)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        msg = f"{name} cannot be read as a {photo_format.name} image; it may be damaged or truncated"
        raise InvalidInput(msg) from exc
    return _reencode(image, photo_format)


def _reencode(image: Image.Image, photo_format: PhotoFormat) -> CleanPhoto:
    """The pixels alone, upright, in the same format: no EXIF, XMP, ICC, comments or text chunks."""
    upright = ImageOps.exif_transpose(image)
    if photo_format is PhotoFormat.JPEG and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")  # palettes and 16-bit modes: RGBA keeps any transparency
    # A fresh image carries no `info` (EXIF, XMP, ICC, comments): only the pixels are copied into it.
    bare = Image.new(upright.mode, upright.size)
    bare.paste(upright)
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 90} if photo_format is not PhotoFormat.PNG else {"optimize": True}
    bare.save(out, format=_PIL_FORMAT[photo_format], **options)
    return CleanPhoto(data=out.getvalue(), format=photo_format, width=bare.width, height=bare.height)
