/* The base map the operator configured (GET /api/v1/config `tiles`): the only thing a page loads from elsewhere. */
import * as L from "leaflet";

/** A tile layer for the configured tiles, or null when there are none. */
export function baseMapLayer(tiles) {
  if (!tiles || !tiles.url) return null;
  return L.tileLayer(tiles.url, {
    attribution: tiles.attribution || "",
    maxZoom: 20,
    maxNativeZoom: 18,
    subdomains: tiles.subdomains || "abc",
  });
}
