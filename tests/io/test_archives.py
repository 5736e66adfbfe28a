"""Zip archives are measured before anything is unpacked: their total size, and how tightly each member is packed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from gridmap.errors import InvalidInput, PayloadTooLarge
from gridmap.io.archives import MAX_RATIO, archive_members


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_an_ordinary_archive_lists_its_files(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "grids.zip", {"grids.shp": bytes(range(256)) * 40, "grids.dbf": b"x" * 10})
    assert [member.filename for member in archive_members(archive)] == ["grids.shp", "grids.dbf"]


def test_an_archive_unpacking_past_the_limit_is_too_large(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "big.zip", {"a.geojson": b"1" * 6000, "b.geojson": b"2" * 6000})
    with pytest.raises(
        PayloadTooLarge, match=r"^up\.zip: unpacks to 12,000 bytes, more than the limit of 10,000 bytes$"
    ):
        archive_members(archive, max_bytes=10_000, name="up.zip")


def test_a_member_packed_like_a_bomb_is_refused_even_under_the_limit(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "bomb.zip", {"grids.shp": bytes(4 * 1024 * 1024)})  # packs about 1,000 times
    with pytest.raises(PayloadTooLarge, match=rf"grids\.shp is packed [\d,]+ times \(at most {MAX_RATIO} times"):
        archive_members(archive, max_bytes=100 * 1024 * 1024)


def test_a_small_member_may_pack_tightly(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "blank.zip", {"grids.dbf": b" " * 500_000})  # blank padding: small, so allowed
    assert len(archive_members(archive)) == 1


def test_not_a_zip_names_the_file(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InvalidInput, match=r"fake\.zip: not a readable zip archive"):
        archive_members(fake)
