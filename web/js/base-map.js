/* The base map the operator configured (GET /api/v1/config `tiles`): a preset's tile layers (Tianditu's map and
 * its annotation), a custom tile URL, or the app's own /tiles/ for offline networks. Tiles from elsewhere are the
 * only thing a page loads from another host, and the Content-Security-Policy names exactly their hosts. */
import * as L from "leaflet";

/** The configured tile layers as one layer (bottom first), or null when there are none. */
export function baseMapLayer(tiles) {
  const specs = (tiles && tiles.layers) || [];
  if (!specs.length) return null;
  const nativeZoom = tiles.max_native_zoom || 18;
  return L.layerGroup(specs.map((spec) => L.tileLayer(spec.url, {
    attribution: spec.attribution || "",
    maxZoom: 20,
    maxNativeZoom: nativeZoom,
    subdomains: spec.subdomains || "abc",
  })));
}
