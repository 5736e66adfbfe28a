"""Base-map presets: what /api/v1/config tells the pages, the CSP allowing exactly their tile hosts, and the
local tiles served at /tiles/ from an MBTiles file (TMS rows) or a folder."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gridmap.api.app import create_app
from gridmap.api.base_map import base_map
from gridmap.api.headers import content_security_policy
from gridmap.errors import InvalidInput
from gridmap.settings import Settings


def png(rgb: tuple[int, int, int]) -> bytes:
    """A 1x1 PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, *rgb])))
        + chunk(b"IEND", b"")
    )


RED, BLUE = png((255, 0, 0)), png((0, 0, 255))


def write_mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], **metadata: str) -> Path:
    """An MBTiles file holding `tiles` by XYZ (z, x, y), stored with TMS rows as the format says."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        connection.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)"
        )
        connection.executemany("INSERT INTO metadata VALUES (?, ?)", [("format", "png"), *metadata.items()])
        rows = [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()]
        connection.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
        connection.commit()
    return path


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'gridmap.db'}", purge_interval_s=0, **values)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Any]:
    """started(**settings) -> a running TestClient on an empty SQLite store (stopped afterwards)."""
    clients: list[TestClient] = []

    def start(**values: Any) -> TestClient:
        client = TestClient(create_app(settings(tmp_path, **values)))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def img_src(policy: str) -> str:
    return dict(d.split(" ", 1) for d in policy.split("; "))["img-src"]


@pytest.mark.parametrize(
    ("preset", "extra", "hosts", "datum", "layers"),
    [
        ("none", {"tiles_url": "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"}, [], "wgs84", 0),
        (
            "custom",
            {"tiles_url": "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"},
            ["https://*.tile.openstreetmap.org"],
            "wgs84",
            1,
        ),
        ("custom", {}, [], "wgs84", 0),
        ("tianditu", {"tianditu_key": "k3y"}, ["https://*.tianditu.gov.cn"], "wgs84", 2),
        ("amap", {}, ["https://*.is.autonavi.com"], "gcj02", 1),
    ],
)
def test_each_preset_gives_its_layers_datum_and_exactly_its_hosts(
    tmp_path: Path, preset: str, extra: dict[str, str], hosts: list[str], datum: str, layers: int
) -> None:
    configured = base_map(settings(tmp_path, basemap=preset, **extra))
    config = configured.config()
    assert (config["datum"], len(config["layers"])) == (datum, layers)
    assert list(configured.image_sources()) == hosts
    assert img_src(content_security_policy(configured.image_sources())) == " ".join(
        ["'self'", "data:", "blob:", *hosts]
    )
    if preset == "tianditu":
        assert ["vec_w" in layer["url"] and "LAYER=vec" in layer["url"] for layer in config["layers"]] == [True, False]
        assert "cva_w" in config["layers"][1]["url"] and all(
            layer["url"].endswith("tk=k3y") for layer in config["layers"]
        )


def test_presets_missing_what_they_need_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="GRIDMAP_TIANDITU_KEY"):
        base_map(settings(tmp_path, basemap="tianditu"))
    with pytest.raises(InvalidInput, match="GRIDMAP_BASEMAP_PATH"):
        base_map(settings(tmp_path, basemap="local"))
    with pytest.raises(InvalidInput, match="not an MBTiles file"):
        (tmp_path / "broken.mbtiles").write_bytes(b"not sqlite at all" * 100)
        base_map(settings(tmp_path, basemap="local", basemap_path=tmp_path / "broken.mbtiles"))


def test_amap_makes_the_pages_ask_for_gcj02_and_the_policy_names_its_host(started: Any) -> None:
    client = started(basemap="amap")
    config = client.get("/api/v1/config").json()
    assert config["output_crs"] == "gcj02" and config["tiles"]["layers"][0]["subdomains"] == "1234"
    assert img_src(client.get("/").headers["content-security-policy"]) == "'self' data: blob: https://*.is.autonavi.com"


def test_mbtiles_tiles_are_served_by_xyz_with_their_rows_flipped(started: Any, tmp_path: Path) -> None:
    path = write_mbtiles(
        tmp_path / "city.mbtiles", {(1, 0, 0): RED, (1, 0, 1): BLUE}, maxzoom="17", attribution="市测绘院"
    )
    client = started(basemap="local", basemap_path=str(path))

    config = client.get("/api/v1/config").json()["tiles"]
    assert (config["url"], config["max_native_zoom"], config["attribution"]) == (
        "/tiles/{z}/{x}/{y}.png",
        17,
        "市测绘院",
    )
    north, south = client.get("/tiles/1/0/0.png"), client.get("/tiles/1/0/1.png")
    assert (north.status_code, north.content, north.headers["content-type"]) == (200, RED, "image/png")
    assert south.content == BLUE
    assert img_src(north.headers["content-security-policy"]) == "'self' data: blob:"  # nothing from elsewhere


def test_missing_tiles_and_made_up_paths_are_404(started: Any, tmp_path: Path) -> None:
    folder = tmp_path / "tiles"
    (folder / "2" / "1").mkdir(parents=True)
    (folder / "2" / "1" / "3.png").write_bytes(RED)
    (tmp_path / "secret.png").write_bytes(b"not a tile")
    client = started(basemap="local", basemap_path=str(folder))

    assert client.get("/tiles/2/1/3.png").content == RED
    for path in ("/tiles/2/1/2.png", "/tiles/2/4/0.png", "/tiles/31/0/0.png", "/tiles/2/1/-1.png"):
        assert client.get(path).status_code in (400, 404), path
    for path in ("/tiles/../secret.png", "/tiles/2/1/..%2F..%2F..%2Fsecret.png", "/tiles/2/..%2F../1.png"):
        answer = client.get(path)
        assert answer.status_code in (400, 404) and b"not a tile" not in answer.content, path


def test_without_a_local_base_map_there_is_no_tile_route(started: Any) -> None:
    assert started().get("/tiles/0/0/0.png").status_code == 404
