"""The base map under the grids, from settings.basemap: a preset (Tianditu, Amap), a custom tile URL, local tiles.

- custom: settings.tiles_url in settings.tiles_datum (the tile URL option that came first; none when empty).
- tianditu (天地图): the vector map `vec_w` and its annotation `cva_w` in Web Mercator; CGCS2000 is within
  centimetres of WGS-84, so the grids are drawn unshifted. Needs the city's browser key, which the page sends
  to Tianditu with every tile (it is a browser key: Tianditu ties it to the site's domain, not to a secret).
- amap (高德): GCJ-02 tiles, so the pages ask for geometries shifted to GCJ-02 (`output_crs`).
- local: an MBTiles file or a {z}/{x}/{y}.png folder (settings.basemap_path) served by this app at /tiles/, for
  networks without internet.

The Content-Security-Policy allows images from exactly the hosts of the configured layers (`image_sources`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response

from gridmap.api.headers import tile_source
from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import Datum, parse_datum
from gridmap.io.tiles import TileFile
from gridmap.settings import Settings

TIANDITU = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
TIANDITU_TAIL = "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk="
AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
LOCAL_TILES = "/tiles/{z}/{x}/{y}.png"
TILE_CACHE = {"Cache-Control": "public, max-age=86400"}


@dataclass(frozen=True)
class TileLayer:
    """One tile layer of a base map: URL template ({s}, {z}, {x}, {y}), its subdomains and attribution."""

    url: str
    subdomains: str = "abc"
    attribution: str = ""


@dataclass(frozen=True)
class BaseMap:
    """The configured base map: its tile layers (bottom first; none: no base map), their datum and deepest zoom."""

    layers: tuple[TileLayer, ...]
    datum: Datum = Datum.WGS84
    max_native_zoom: int = 18
    tiles: TileFile | None = None  # the local source served at /tiles/, for basemap=local

    def config(self) -> dict[str, Any]:
        """The `tiles` member of GET /api/v1/config: the first layer's URL as before, and every layer."""
        first = self.layers[0] if self.layers else TileLayer("", "", "")
        return {
            "url": first.url,
            "attribution": first.attribution,
            "datum": self.datum.value,
            "max_native_zoom": self.max_native_zoom,
            "layers": [{"url": t.url, "subdomains": t.subdomains, "attribution": t.attribution} for t in self.layers],
        }

    def image_sources(self) -> tuple[str, ...]:
        """The CSP sources of the layers' tile hosts (none for tiles from this origin), each once."""
        sources = (tile_source(layer.url) for layer in self.layers)
        return tuple(dict.fromkeys(source for source in sources if source))


def base_map(settings: Settings) -> BaseMap:
    """The base map settings.basemap names; InvalidInput when its preset lacks what it needs."""
    if settings.basemap == "custom":
        if not settings.tiles_url:
            return BaseMap(())
        return BaseMap((TileLayer(settings.tiles_url, attribution=settings.tiles_attribution),), _datum(settings))
    if settings.basemap == "tianditu":
        if not settings.tianditu_key:
            msg = "GRIDMAP_BASEMAP=tianditu needs the city's Tianditu key in GRIDMAP_TIANDITU_KEY"
            raise InvalidInput(msg)
        attribution = settings.tiles_attribution or "© 天地图 Tianditu"
        layers = tuple(
            TileLayer(TIANDITU.replace("{layer}", layer) + TIANDITU_TAIL + settings.tianditu_key, "01234567", text)
            for layer, text in (("vec", attribution), ("cva", ""))
        )
        return BaseMap(layers, Datum.WGS84)
    if settings.basemap == "amap":
        attribution = settings.tiles_attribution or "© 高德地图 AutoNavi"
        return BaseMap((TileLayer(AMAP, "1234", attribution),), Datum.GCJ02)
    if settings.basemap == "local":
        if settings.basemap_path is None:
            msg = "GRIDMAP_BASEMAP=local needs GRIDMAP_BASEMAP_PATH: an MBTiles file or a {z}/{x}/{y}.png folder"
            raise InvalidInput(msg)
        tiles = TileFile(settings.basemap_path)
        attribution = settings.tiles_attribution or tiles.attribution
        return BaseMap((TileLayer(LOCAL_TILES, "", attribution),), _datum(settings), tiles.max_zoom, tiles)
    return BaseMap(())


def _datum(settings: Settings) -> Datum:
    try:
        datum = parse_datum(settings.tiles_datum)
    except ValueError as err:
        msg = f"GRIDMAP_TILES_DATUM: {err}"
        raise InvalidInput(msg) from None
    if datum not in (Datum.WGS84, Datum.CGCS2000, Datum.GCJ02):
        msg = f"GRIDMAP_TILES_DATUM {settings.tiles_datum!r}: tiles come in wgs84 (or cgcs2000) or gcj02"
        raise InvalidInput(msg)
    return Datum.WGS84 if datum is Datum.CGCS2000 else datum


tiles_router = APIRouter(tags=["base map"])


@tiles_router.get(
    "/tiles/{z}/{x}/{y}.png",
    summary="A tile of the local base map (GRIDMAP_BASEMAP=local)",
    include_in_schema=False,
)
def local_tile(
    request: Request,
    z: Annotated[int, Path(ge=0, le=30)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    """The tile at XYZ (z, x, y) from the MBTiles file or folder; 404 where it holds none."""
    configured: BaseMap = request.app.state.base_map
    tile = configured.tiles.tile(z, x, y) if configured.tiles is not None else None
    if tile is None:
        msg = f"the local base map has no tile {z}/{x}/{y}"
        raise NotFound(msg)
    return Response(tile.data, media_type=tile.media_type, headers=TILE_CACHE)


def install_base_map(app: FastAPI, settings: Settings) -> BaseMap:
    """Put the configured base map on app.state (for /api/v1/config), and serve /tiles/ when it is local."""
    configured = base_map(settings)
    app.state.base_map = configured
    if configured.tiles is not None:
        app.include_router(tiles_router)
    return configured
