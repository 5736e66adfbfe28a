"""Photo uploads for reports: JPEG, PNG or WebP recognised by their bytes, size-limited, at most 3, and
re-encoded without metadata so that no EXIF (GPS position, phone model, time) is ever stored.

Re-encoding (rather than cutting metadata segments) also drops XMP, comments and text chunks, and proves
the image decodes. The EXIF orientation is applied to the pixels first, so photos stay upright.

Memory is bounded whatever arrives: a small file may hold a huge image (a 113 KiB single-colour PNG of
40 megapixels decodes to 160 MB). So the pixel count is checked from the header before any decoding, the
stored photo is at most `PhotoLimits.max_side` pixels on its long side (a JPEG is decoded at 1/2, 1/4 or
1/8 scale straight away, Pillow's draft mode; other formats are reduced right after decoding,
before any other full-size copy, a band of rows at a time), and a worker process decodes one photo at a time
on one thread, so concurrent reports wait for each other instead of adding up.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError, WebPImagePlugin

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
    max_side: int = 2560
    """Photos are stored at most this many pixels wide and high (reduced, proportions kept): plenty to see
    a problem, and what keeps decoding a large photo cheap."""


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
# The format's reader itself rather than Image.open: it reads the header without Pillow's own bomb check, whose
# error (above 179 megapixels) would otherwise stand in for our message saying how large the image is.
_READER: dict[PhotoFormat, type[ImageFile.ImageFile]] = {
    PhotoFormat.JPEG: JpegImagePlugin.JpegImageFile,
    PhotoFormat.PNG: PngImagePlugin.PngImageFile,
    PhotoFormat.WEBP: WebPImagePlugin.WebPImageFile,
}
_REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA", "CMYK")
_BAND_ROWS = 64  # rows of the reduced image made from each band of the decoded one
# One photo decoded at a time per process, always on the same thread: a decoded photo may take 160 MB however
# small its file, and memory freed by one thread is not reused by the allocator of another.
_DECODER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-decoder")


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
        image = _READER[photo_format](io.BytesIO(upload.data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _unreadable(name, photo_format) from exc
    pixels = image.width * image.height
    if pixels > limits.max_pixels:
        msg = (
            f"{name} is too large ({math.ceil(pixels / 1e5) / 10:g} megapixels, {image.width}x{image.height}; "
            f"at most {limits.max_pixels / 1e6:g} megapixels)"
        )
        raise PayloadTooLarge(msg)
    try:
        return _DECODER.submit(_clean_pixels, image, photo_format, limits.max_side).result()
    except (OSError, SyntaxError, ValueError) as exc:
        raise _unreadable(name, photo_format) from exc


def _clean_pixels(image: ImageFile.ImageFile, photo_format: PhotoFormat, max_side: int) -> CleanPhoto:
    """The photo decoded, reduced and re-encoded (on the decoder thread)."""
    try:
        return _reencode(_decoded_small(image, photo_format, max_side), photo_format)
    finally:
        image.close()  # frees the decoded pixels before the next photo's turn


def _decoded_small(image: ImageFile.ImageFile, photo_format: PhotoFormat, max_side: int) -> Image.Image:
    """The pixels, at most `max_side` on the long side, never more than one reduced copy beside the decoded image.

    A JPEG is decoded straight at 1/2, 1/4 or 1/8 scale (no smaller than `max_side`); the rest is reduced by
    a whole factor a band of rows at a time, then resized to fit. The EXIF (its orientation) stays in `info`.
    """
    if photo_format is PhotoFormat.JPEG:
        image.draft(None, (max_side, max_side))
    image.load()
    pixels: Image.Image = image
    if pixels.mode not in _REDUCIBLE_MODES:
        pixels = pixels.convert("RGBA")  # palettes, 1-bit and 16-bit modes: RGBA keeps any transparency
    factor = max(pixels.size) // max_side
    if factor > 1:
        pixels = _reduce_in_bands(pixels, factor)
    pixels.thumbnail((max_side, max_side))
    pixels.info = dict(image.info)
    return pixels


def _reduce_in_bands(image: Image.Image, factor: int) -> Image.Image:
    """`image.reduce(factor)` a band of rows at a time: reduce itself first copies a whole RGBA image (to
    premultiply its alpha), which for a 40-megapixel photo is another 160 MB."""
    width, height = image.size
    reduced = Image.new(image.mode, (math.ceil(width / factor), math.ceil(height / factor)))
    step = factor * _BAND_ROWS
    for top in range(0, height, step):
        band = image.crop((0, top, width, min(top + step, height)))
        reduced.paste(band.reduce(factor), (0, top // factor))
    return reduced


def _unreadable(name: str, photo_format: PhotoFormat) -> InvalidInput:
    """The error for a file whose header or pixels cannot be decoded."""
    msg = f"{name} cannot be read as a {photo_format.name} image; it may be damaged or truncated"
    return InvalidInput(msg)


def _reencode(image: Image.Image, photo_format: PhotoFormat) -> CleanPhoto:
    """The pixels alone, upright, in the same format: no EXIF, XMP, ICC, comments or text chunks."""
    upright = ImageOps.exif_transpose(image)
    if photo_format is PhotoFormat.JPEG and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")
    # A fresh image carries no `info` (EXIF, XMP, ICC, comments): only the pixels are copied into it.
    bare = Image.new(upright.mode, upright.size)
    bare.paste(upright)
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 90} if photo_format is not PhotoFormat.PNG else {"optimize": True}
    bare.save(out, format=_PIL_FORMAT[photo_format], **options)
    return CleanPhoto(data=out.getvalue(), format=photo_format, width=bare.width, height=bare.height)
