"""folium maps that work offline: Leaflet inlined from web/node_modules, no CDN, no base map by default."""

from __future__ import annotations

import folium
from branca.element import Figure

from gridmap.maps.assets import node_module_file


def offline_map(*, bounds: tuple[float, float, float, float], title: str) -> folium.Map:
    """An empty folium map fitted to WGS-84 `bounds`, with Leaflet inlined and no tile layer."""
    fmap = folium.Map(tiles=None, max_zoom=22, control_scale=True, prefer_canvas=False)
    # folium links Leaflet, jQuery and Bootstrap from CDNs by default: inline Leaflet and drop the rest.
    fmap.default_js = []
    fmap.default_css = []
    header = root_figure(fmap).header
    css = node_module_file("leaflet/dist/leaflet.css").read_text(encoding="utf-8")
    js = node_module_file("leaflet/dist/leaflet.js").read_text(encoding="utf-8")
    header.add_child(folium.Element(f"<title>{title}</title>"), name="title")
    header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css")
    header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js")
    min_x, min_y, max_x, max_y = bounds
    fmap.fit_bounds([[min_y, min_x], [max_y, max_x]])
    return fmap


def root_figure(fmap: folium.Map) -> Figure:
    """The page a folium map renders into (for legends and extra HTML)."""
    root = fmap.get_root()
    assert isinstance(root, Figure)
    return root
