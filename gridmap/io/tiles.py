"""Base-map tiles from a local file for networks without internet: an MBTiles file or a {z}/{x}/{y}.png folder.

MBTiles (a SQLite file with a `tiles` table, as QGIS "Generate XYZ tiles (MBTiles)" writes) numbers rows from
the south (TMS), so the XYZ row `y` a map asks for is row 2^z - 1 - y there. A folder holds XYZ tiles as they
are asked for. Tiles are looked up by integers only, so no request can name a path of its own.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from gridmap.errors import InvalidInput, NotFound

DEFAULT_MAX_ZOOM = 18
# The first bytes of the image formats tiles come in, and their media types.
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"RIFF", "image/webp"))


@dataclass(frozen=True)
class Tile:
    """One tile image and its media type."""

    data: bytes
    media_type: str


def media_type(data: bytes) -> str:
    """The media type of a tile image, from its first bytes (PNG, JPEG or WebP; else octet-stream)."""
    for signature, media in SIGNATURES:
        if data.startswith(signature):
            return media
    return "application/octet-stream"


def tile_in_range(z: int, x: int, y: int) -> bool:
    """Whether (z, x, y) names a tile of the XYZ pyramid (zoom 0 to 30)."""
    return 0 <= z <= 30 and 0 <= x < 2**z and 0 <= y < 2**z


class TileFile:
    """A local tile source: an .mbtiles file or a folder of XYZ tiles, checked when opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.is_mbtiles = path.is_file()
        if not self.is_mbtiles and not path.is_dir():
            msg = f"GRIDMAP_BASEMAP_PATH {path}: no such MBTiles file or tile folder"
            raise NotFound(msg)
        self.metadata = self._read_metadata() if self.is_mbtiles else {}

    def _connect(self) -> sqlite3.Connection:
        # Read-only, one connection per call: cheap for SQLite, and safe from any server thread.
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)

    def _read_metadata(self) -> dict[str, str]:
        try:
            with closing(self._connect()) as connection:
                rows = connection.execute("SELECT name, value FROM metadata").fetchall()
                connection.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as err:
            msg = f"GRIDMAP_BASEMAP_PATH {self.path}: not an MBTiles file ({err})"
            raise InvalidInput(msg) from None
        return {str(name): str(value) for name, value in rows}

    @property
    def max_zoom(self) -> int:
        """The deepest zoom the source holds (MBTiles metadata `maxzoom`; 18 for a folder or when unsaid)."""
        text = self.metadata.get("maxzoom", "")
        return int(text) if text.isdigit() else DEFAULT_MAX_ZOOM

    @property
    def attribution(self) -> str:
        """The attribution the MBTiles metadata gives (empty when none)."""
        return self.metadata.get("attribution", "")

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """The tile at XYZ (z, x, y), or None when the source has none there."""
        if not tile_in_range(z, x, y):
            return None
        if self.is_mbtiles:
            with closing(self._connect()) as connection:
                row = connection.execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                    (z, x, 2**z - 1 - y),
                ).fetchone()
            data = None if row is None else bytes(row[0])
        else:
            path = self.path / str(z) / str(x) / f"{y}.png"
            data = path.read_bytes() if path.is_file() else None
        return None if data is None else Tile(data, media_type(data))
