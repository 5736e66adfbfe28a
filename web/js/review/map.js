/* The review page's small map: the candidates of the address under review, numbered as in the list, on the
 * configured base map. Made once, in #review-map. */
import * as L from "leaflet";

import { baseMapLayer } from "../base-map.js";
import { fromWgs84 } from "../datums.js";

let map = null;
let pins = null;
let datum = "wgs84";

/** Make the map on the configured base map (`config` from /api/v1/config). */
export function makeMap(config) {
  datum = config.output_crs || "wgs84";
  map = L.map("review-map", { zoomControl: true, maxZoom: 20, minZoom: 3 });
  map.attributionControl.setPrefix("Leaflet");
  const base = baseMapLayer(config.tiles);
  if (base) base.addTo(map);
  pins = L.layerGroup().addTo(map);
  map.setView([27.46, 119.51], 14);
}

/** Show `candidates` (WGS-84 points) as numbered pins, the `chosen` index highlighted. */
export function showCandidates(candidates, chosen) {
  if (!map) return;
  map.invalidateSize();
  pins.clearLayers();
  const points = [];
  candidates.forEach((candidate, index) => {
    if (!candidate.wgs84) return;
    const [x, y] = fromWgs84(candidate.wgs84.lon, candidate.wgs84.lat, datum);
    points.push([y, x]);
    const colour = index === chosen ? "#e8590c" : "#2f7ebc";
    L.circleMarker([y, x], { radius: 9, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1, className: "review-pin" })
      .bindTooltip(String(index + 1) + " " + (candidate.address || ""), { permanent: true, direction: "right" })
      .addTo(pins);
  });
  if (points.length === 1) map.setView(points[0], 18, { animate: false });
  else if (points.length) map.fitBounds(L.latLngBounds(points), { animate: false, padding: [30, 30], maxZoom: 18 });
}
