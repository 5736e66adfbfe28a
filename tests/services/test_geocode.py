"""Geocoding household tables: matching, coordinates in other datums, assignment, bad rows, streaming."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from gridmap.address.match import AddressMatcher
from gridmap.address.registry import AddressRegistry, StandardAddress
from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import Datum, wgs84_to_bd09, wgs84_to_gcj02
from gridmap.services import geocode as service
from gridmap.services.geocode import (
    BoundaryLayers,
    GeocodeOptions,
    GeocodeSummary,
    geocode_file,
    load_registry,
    unmatched_path_for,
)
from tests.boundary_builders import COMMUNITY, LAT0, LON0, STEP, community_of_grids, frame_of

# grid 001 is the north-west cell, 002 north-east, 003 south-west, 004 south-east
INSIDE_001 = (LON0 + 0.5 * STEP, LAT0 + 1.5 * STEP)
INSIDE_004 = (LON0 + 1.5 * STEP, LAT0 + 0.5 * STEP)


@pytest.fixture(scope="module")
def matcher() -> AddressMatcher:
    entries = [
        StandardAddress(f"door:胜利街:{n}", INSIDE_001[0] + n * 1e-6, INSIDE_001[1], road="胜利街", number=str(n))
        for n in range(1, 21)
    ]
    entries.append(StandardAddress("building:龙庭国际:1", *INSIDE_004, compound="龙庭国际", building="1"))
    return AddressMatcher(AddressRegistry(entries))


@pytest.fixture(scope="module")
def layers() -> BoundaryLayers:
    return BoundaryLayers(frame_of(community_of_grids()))


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run(
    tmp_path: Path, rows: list[dict[str, str]], matcher: AddressMatcher, layers: BoundaryLayers, **options: Any
) -> tuple[GeocodeSummary, list[dict[str, str]], list[dict[str, str]]]:
    """Geocode rows written as a CSV; (summary, output rows, unmatched rows)."""
    source = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    summary = geocode_file(source, out, matcher=matcher, layers=layers, options=GeocodeOptions(**options))
    return summary, read_csv(out), read_csv(unmatched_path_for(out))


def test_addresses_are_matched_and_assigned(tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers) -> None:
    rows = [
        {"address": "寿宁县胜利街5号", "name": "王某"},
        {"address": "龙庭国际1栋", "name": "李某"},
        {"address": "幸福家园3栋", "name": "赵某"},
    ]
    summary, out, unmatched = run(tmp_path, rows, matcher, layers)
    assert [r["match_level"] for r in out] == ["door", "building", "none"]
    assert [r["matched_id"] for r in out] == ["door:胜利街:5", "building:龙庭国际:1", ""]
    assert [r["matched_address"] for r in out] == ["胜利街5号", "龙庭国际1栋", ""]
    assert out[0]["grid_code"] == f"{COMMUNITY}001" and out[0]["community_code"] == COMMUNITY
    assert out[1]["grid_code"] == f"{COMMUNITY}004"
    assert out[0]["location_source"] == "address" and out[0]["assignment"] == "covered"
    assert out[2]["grid_code"] == "" and out[2]["match_reason"]
    assert [r["address"] for r in unmatched] == ["幸福家园3栋"]
    assert out[0]["name"] == "王某"  # the user's own columns pass through to the file
    assert summary.rows == 3 and summary.levels["door"] == 1 and summary.unmatched == 1
    assert sum(summary.reasons.values()) == 1


@pytest.mark.parametrize(("crs", "convert"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_coordinates_in_chinese_datums_are_converted(
    tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers, crs: str, convert: object
) -> None:
    lon, lat = convert(INSIDE_004[0], INSIDE_004[1])  # type: ignore[operator]
    rows = [
        {"address": "", "lon": f"{float(lon):.9f}", "lat": f"{float(lat):.9f}", "crs": crs},
        {"address": "", "lon": f"{float(lon):.9f}", "lat": f"{float(lat):.9f}", "crs": ""},
    ]
    _, out, _ = run(tmp_path, rows, matcher, layers, datum=Datum(crs))
    for row in out:
        assert row["location_source"] == "coordinates" and row["match_level"] == "coordinates"
        assert abs(float(row["wgs84_lon"]) - INSIDE_004[0]) < 1e-6
        assert abs(float(row["wgs84_lat"]) - INSIDE_004[1]) < 1e-6
        assert row["grid_code"] == f"{COMMUNITY}004"


def test_shared_edge_gets_the_smallest_code_and_outside_the_nearest_grid(
    tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers
) -> None:
    rows = [
        {"lon": f"{LON0 + STEP:.7f}", "lat": f"{LAT0 + 1.5 * STEP:.7f}"},  # edge between 001 and 002
        {"lon": f"{LON0 + 2.5 * STEP:.7f}", "lat": f"{LAT0 + 0.5 * STEP:.7f}"},  # about 100 m east of 004
    ]
    _, out, unmatched = run(tmp_path, rows, matcher, layers)
    assert out[0]["grid_code"] == f"{COMMUNITY}001"
    assert out[1]["assignment"] == "uncovered" and out[1]["grid_code"] == ""
    assert out[1]["nearest_grid_code"] == f"{COMMUNITY}004"
    assert 80 < float(out[1]["nearest_grid_distance_m"]) < 120
    assert unmatched == []


def test_bad_rows_are_reported_and_good_rows_still_geocoded(
    tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers
) -> None:
    rows = [
        {"address": "胜利街7号", "lon": "abc", "lat": "27.45"},
        {"address": "", "lon": "500", "lat": "27.45"},
        {"address": "", "lon": "", "lat": ""},
        {"address": "胜利街8号", "lon": "", "lat": ""},
    ]
    summary, out, unmatched = run(tmp_path, rows, matcher, layers)
    assert out[0]["row_error"] == "coordinates are not numbers" and out[0]["location_source"] == "address"
    assert out[1]["row_error"] == "coordinates out of range" and out[1]["wgs84_lon"] == ""
    assert out[2]["match_reason"] == "no_address_or_coordinates"
    assert out[3]["grid_code"] == f"{COMMUNITY}001"
    assert len(unmatched) == 2 and summary.row_errors == 2


def test_gbk_files_and_empty_lines_are_read(tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers) -> None:
    source = write_csv(tmp_path / "gbk.csv", [{"地址": "胜利街9号"}, {"地址": "龙庭国际1栋"}], encoding="gbk")
    source.write_bytes(source.read_bytes().replace(b"\r\n", b"\r\n\r\n"))
    out = tmp_path / "out.csv"
    summary = geocode_file(source, out, matcher=matcher, layers=layers, options=GeocodeOptions(address_column="地址"))
    assert [r["match_level"] for r in read_csv(out)] == ["door", "building"]
    assert summary.rows == 2


def test_missing_columns_and_files_are_user_errors(
    tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers
) -> None:
    with pytest.raises(InvalidInput, match="--address-column"):
        run(tmp_path, [{"addr": "胜利街5号"}], matcher, layers)
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(NotFound):
        geocode_file(tmp_path / "nope.csv", tmp_path / "o.csv", matcher=matcher, layers=layers)


def test_chunked_streaming_gives_the_same_rows(
    tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [{"address": f"胜利街{n % 25 + 1}号"} for n in range(50)]
    _, whole, _ = run(tmp_path, rows, matcher, layers)
    monkeypatch.setattr(service, "CHUNK_ROWS", 7)
    _, chunked, _ = run(tmp_path, rows, matcher, layers)
    assert chunked == whole and len(whole) == 50


def test_registry_loads_from_csv_with_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        "id,road,number,compound,building,unit,room,lon,lat\n"
        "d1,胜利街,5,,,,,119.51,27.46\n"
        "b1,,,龙庭国际,1,,,119.52,27.47\n",
        encoding="utf-8",
    )
    registry = load_registry(path)
    assert registry.door("胜利街", "5") is not None
    assert "龙庭国际" in registry.compounds
    with pytest.raises(NotFound):
        load_registry(tmp_path / "missing.csv")


def test_registry_loads_from_geojson_points(tmp_path: Path) -> None:
    path = tmp_path / "registry.geojson"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [119.51, 27.46]},
        "properties": {"id": "d1", "road": "胜利街", "number": "5"},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    door = load_registry(path).door("胜利街", "5")
    assert door is not None and (door.lon, door.lat) == (119.51, 27.46)


def test_road_level_rows_carry_the_registered_road_but_no_id(
    tmp_path: Path, matcher: AddressMatcher, layers: BoundaryLayers
) -> None:
    rows = [{"address": "胜力街十二号"}, {"address": "胜利街"}, {"address": "寿宁县胜利街12号"}]
    matcher_without_12 = AddressMatcher(
        AddressRegistry([a for a in matcher.registry.addresses if a.id != "door:胜利街:12"])
    )
    _, out, _ = run(tmp_path, rows, matcher_without_12, layers)
    assert [r["match_level"] for r in out] == ["road", "road", "road"]
    assert [r["matched_address"] for r in out] == ["胜利街12号", "胜利街", "胜利街12号"]
    assert [r["matched_id"] for r in out] == ["", "", ""]
    _, out, _ = run(tmp_path, rows[:1], matcher, layers)
    assert (out[0]["match_level"], out[0]["matched_id"]) == ("door", "door:胜利街:12")


@pytest.mark.parametrize(("lon", "lat"), [("NaN", "27.4"), ("119.5", "inf"), ("-Infinity", "27.4")])
def test_nan_or_infinite_coordinates_are_a_row_error_of_their_own(lon: str, lat: str) -> None:
    assert service.row_point({"lon": lon, "lat": lat}, Datum.WGS84) == (None, service.NOT_FINITE)
    assert service.row_point({"lon": "200", "lat": "27.4"}, Datum.WGS84) == (None, "coordinates out of range")
