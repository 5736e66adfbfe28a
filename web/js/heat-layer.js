/* leaflet.heat's heat layer. The plugin is a classic script reading the global L, which leaflet-global.js
 * sets: that import must stay first (modules run in the order they are imported). */
import { L } from "./leaflet-global.js";
import "leaflet.heat";

/** A leaflet.heat layer (L.heatLayer). */
export function heatLayer(latlngs, options) {
  return L.heatLayer(latlngs, options);
}
