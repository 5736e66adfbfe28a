"""Photo uploads: formats by content, limits, bad files, and EXIF/GPS stripped while the image still decodes."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from gridmap.errors import InvalidInput, PayloadTooLarge
from gridmap.incidents.photos import PhotoFormat, PhotoLimits, Upload, clean_photo, clean_photos, sniff_format
from tests.incidents.flat_images import flat_png

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def exif_with_gps(*, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (27.0, 27.0, 36.0)
    gps[3] = "E"
    gps[4] = (119.0, 30.0, 36.0)
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return exif


def image_bytes(fmt: str, *, size: tuple[int, int] = (40, 20), mode: str = "RGB", **save: object) -> bytes:
    image = Image.new(mode, size, "red" if mode in ("RGB", "RGBA") else 128)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "expected"), [("JPEG", PhotoFormat.JPEG), ("PNG", PhotoFormat.PNG), ("WEBP", PhotoFormat.WEBP)]
)
def test_gps_exif_is_gone_and_the_image_still_decodes(fmt: str, expected: PhotoFormat) -> None:
    original = image_bytes(fmt, exif=exif_with_gps())
    with Image.open(io.BytesIO(original)) as before:
        assert GPS_IFD in before.getexif()  # the fixture really carries a position
    cleaned = clean_photo(Upload("photo.bin", original))
    assert cleaned.format is expected
    with Image.open(io.BytesIO(cleaned.data)) as after:
        after.load()
        assert after.format == fmt
        assert after.size == (40, 20)
        assert len(after.getexif()) == 0
        assert "exif" not in after.info
    assert b"Exif" not in cleaned.data
    assert b"PhoneMaker" not in cleaned.data


def test_png_text_chunks_are_dropped() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "home of 13800000000")
    cleaned = clean_photo(Upload("a.png", image_bytes("PNG", mode="RGBA", pnginfo=text)))
    assert b"13800000000" not in cleaned.data
    with Image.open(io.BytesIO(cleaned.data)) as after:
        assert after.mode == "RGBA"


def test_orientation_is_applied_before_the_exif_goes() -> None:
    rotated = image_bytes("JPEG", size=(40, 20), exif=exif_with_gps(orientation=6))  # 90 degrees clockwise
    cleaned = clean_photo(Upload("tall.jpg", rotated))
    assert (cleaned.width, cleaned.height) == (20, 40)


def test_format_is_judged_by_content_not_name() -> None:
    png = image_bytes("PNG")
    assert sniff_format(png) is PhotoFormat.PNG
    assert clean_photo(Upload("looks-like.jpg", png)).format is PhotoFormat.PNG
    assert sniff_format(b"GIF89a....") is None
    with pytest.raises(InvalidInput, match=r"evil\.jpg is not a JPEG, PNG or WebP"):
        clean_photo(Upload("evil.jpg", b"<?php echo 1; ?>"))
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    with pytest.raises(InvalidInput, match="not a JPEG"):
        clean_photo(Upload("x.png", gif.getvalue()))


def test_truncated_or_damaged_files_are_refused() -> None:
    jpeg = image_bytes("JPEG", size=(200, 200))
    with pytest.raises(InvalidInput, match="cannot be read as a JPEG"):
        clean_photo(Upload("cut.jpg", jpeg[: len(jpeg) // 3]))
    with pytest.raises(InvalidInput, match="cannot be read as a PNG"):
        clean_photo(Upload("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50))
    with pytest.raises(InvalidInput, match="cannot be read as a WEBP"):
        clean_photo(Upload("fake.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8))


def test_size_pixel_and_count_limits() -> None:
    jpeg = image_bytes("JPEG", size=(100, 100))
    with pytest.raises(PayloadTooLarge, match=r"big\.jpg is .* at most 100 bytes"):
        clean_photo(Upload("big.jpg", jpeg), PhotoLimits(max_bytes=100))
    with pytest.raises(PayloadTooLarge, match=r"wide\.jpg is too large \(0\.1 megapixels, 100x100; at most 0\.005 meg"):
        clean_photo(Upload("wide.jpg", jpeg), PhotoLimits(max_pixels=5_000))
    small = Upload("s.jpg", image_bytes("JPEG"))
    assert len(clean_photos([small] * 3)) == 3
    with pytest.raises(InvalidInput, match="4 photos attached; a report takes at most 3"):
        clean_photos([small] * 4)
    assert clean_photos([]) == []


@pytest.mark.parametrize(("fmt", "mode"), [("JPEG", "RGB"), ("PNG", "RGBA"), ("PNG", "P"), ("WEBP", "RGB")])
def test_large_photos_are_stored_reduced_to_the_longest_side(fmt: str, mode: str) -> None:
    cleaned = clean_photo(Upload("big", image_bytes(fmt, size=(1200, 600), mode=mode)), PhotoLimits(max_side=300))
    assert (cleaned.width, cleaned.height) == (300, 150)
    with Image.open(io.BytesIO(cleaned.data)) as after:
        assert after.size == (300, 150)


def test_an_image_beyond_pillows_own_bomb_limit_is_called_too_large_not_damaged() -> None:
    # 13400 x 13400 = 179.6 megapixels: Pillow's own check (above 178.9 MP) would raise before our message.
    huge = flat_png(13_400, 13_400, rgba=False)
    with pytest.raises(PayloadTooLarge, match=r"huge\.png is too large \(179\.6 megapixels, 13400x13400; at most 40 "):
        clean_photo(Upload("huge.png", huge))
