"""Which encoding a CSV is read in: UTF-8 (BOM or not), UTF-16 with BOM, GBK; anything else refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.errors import InvalidInput
from gridmap.io.points import read_points
from gridmap.io.text import decoding, text_encoding

TEXT = "lon,lat,address\n119.5,27.4,寿宁县鳌阳镇胜利街1号\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("gbk", "gb18030")],
)
def test_accepted_encodings_are_recognised_and_read(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert text_encoding(path) == expected
    assert path.read_text(encoding=expected) == TEXT
    (point,) = read_points(path)
    assert (point.x, point.y) == (119.5, 27.4)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (TEXT.encode("utf-32"), "is UTF-32 text"),
        (TEXT.encode("utf-16-le"), "holds NUL bytes"),  # UTF-16 without its BOM
        (b"\xff\xff\xff\xfe lon,lat", "not text in an accepted encoding"),
    ],
)
def test_other_encodings_are_refused_naming_the_file_and_the_accepted_ones(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(data)
    with pytest.raises(InvalidInput, match=rf"odd\.csv: {reason}.*UTF-8 \(with or without BOM\), UTF-16 with BOM"):
        text_encoding(path)


def test_a_file_that_stops_decoding_late_is_an_input_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(b"lon,lat\n" + b"119.5,27.4\n" * 120_000 + b"\xff\xfe\xfa\n")
    encoding = text_encoding(path)
    refused = pytest.raises(InvalidInput, match=r"late\.csv: stops being valid utf-8-sig text past its first megabyte")
    with refused, path.open(encoding=encoding) as handle, decoding(path, encoding):
        handle.read()


@pytest.mark.parametrize("bad", ["nan", "inf", "-Infinity"])
def test_points_with_nan_or_infinity_are_refused_by_line(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "points.csv"
    path.write_text(f"lon,lat\n119.5,27.4\n{bad},27.4\n")
    with pytest.raises(InvalidInput, match=rf"points\.csv: line 3: lon/lat '{bad}', '27\.4' are not finite numbers"):
        read_points(path)


def test_geojson_points_with_nan_are_refused_by_feature(tmp_path: Path) -> None:
    path = tmp_path / "points.geojson"
    features = [
        f'{{"type": "Feature", "properties": {{}}, "geometry": {{"type": "Point", "coordinates": [{x}, 27.4]}}}}'
        for x in ("119.5", "NaN")  # NaN: what Python's json writes, and reads back
    ]
    path.write_text(f'{{"type": "FeatureCollection", "features": [{", ".join(features)}]}}')
    with pytest.raises(InvalidInput, match=r"points\.geojson: feature 1: coordinates nan, 27\.4 are not finite"):
        read_points(path)
