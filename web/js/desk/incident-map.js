/* The incident panel's small map: the pin and the outline of its grid, on the configured base map. Made once
 * (in #incident-map, which the panel keeps) and moved to each incident shown. */
import * as L from "leaflet";

import { baseMapLayer } from "../base-map.js";
import { fromWgs84 } from "../datums.js";
import { state } from "./state.js";

let map = null;
let shapes = null;

function made() {
  if (map) return map;
  map = L.map("incident-map", { zoomControl: true, maxZoom: 20, minZoom: 3, attributionControl: true });
  map.attributionControl.setPrefix("Leaflet");
  const base = baseMapLayer(state.tiles);
  if (base) base.addTo(map);
  shapes = L.layerGroup().addTo(map);
  return map;
}

/** Show `incident` (WGS-84 lon/lat) with its grid's outline (`grid`: a GeoJSON feature in the map's datum). */
export function showOnMap(incident, grid) {
  const view = made();
  view.invalidateSize();
  shapes.clearLayers();
  if (grid) {
    L.geoJSON(grid, { interactive: false, style: { color: "#2f7ebc", weight: 2, fillOpacity: 0.08 } }).addTo(shapes);
  }
  if (incident.lon === null || incident.lat === null) {
    if (grid) view.fitBounds(L.geoJSON(grid).getBounds(), { animate: false });
    return;
  }
  const [x, y] = fromWgs84(incident.lon, incident.lat, state.mapDatum);
  L.circleMarker([y, x], { radius: 8, color: "#fff", weight: 2, fillColor: "#e8590c", fillOpacity: 1, className: "desk-pin" })
    .addTo(shapes);
  if (grid) view.fitBounds(L.geoJSON(grid).getBounds().extend([y, x]), { animate: false, padding: [12, 12] });
  else view.setView([y, x], 17, { animate: false });
}
