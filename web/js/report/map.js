/* The reporting page's map: grids and communities to orient by, the pin, and points in any datum on it. */
import * as L from "leaflet";

import { API, fetchFeatures } from "../api.js";
import { baseMapLayer } from "../base-map.js";
import { colourFor } from "../colours.js";
import { fromWgs84, toWgs84 } from "../datums.js";
import { el } from "../dom.js";
import { loadReferenceLayers } from "../reference-layers.js";
import { state } from "./state.js";

const PAGE_SIZE = 1000;

export const map = L.map("map", { zoomControl: true, maxZoom: 20, minZoom: 3, zoomSnap: 0.5 });
map.attributionControl.setPrefix("Leaflet");
map.setView([27.46, 119.51], 14);
map.createPane("gridPane").style.zIndex = "410";
map.createPane("communityPane").style.zIndex = "420";

function gridStyle(feature, chosen) {
  const colour = colourFor(feature.properties.code);
  return chosen
    ? { color: "#e8590c", weight: 3.5, opacity: 1, fillColor: "#ffa94d", fillOpacity: 0.3 }
    : { color: colour, weight: 1.5, opacity: 0.9, fillColor: colour, fillOpacity: 0.12 };
}

// Boundaries are not interactive: a tap anywhere, inside a grid or not, reaches the map and drops the pin.
export const gridLayer = L.geoJSON(null, {
  pane: "gridPane",
  interactive: false,
  style: (f) => gridStyle(f, false),
  onEachFeature: (f, layer) => {
    state.grids.set(String(f.properties.code), { feature: f, layer });
    layer.bindTooltip(el("span", null, f.properties.name), { permanent: true, direction: "center", className: "grid-label", interactive: false });
  },
}).addTo(map);
const communityLayer = L.geoJSON(null, {
  pane: "communityPane",
  interactive: false,
  style: () => ({ color: "#16324f", weight: 2.5, fill: false, opacity: 0.9 }),
}).addTo(map);

export const pin = L.marker([0, 0], {
  draggable: true,
  autoPan: true,
  keyboard: true,
  title: "事件位置 Incident point",
  icon: L.divIcon({ className: "pin", html: el("span", { class: "pin-head" }), iconSize: [34, 36], iconAnchor: [17, 34] }),
});
export const accuracyCircle = L.circle([0, 0], { radius: 1, interactive: false, color: "#1971c2", weight: 1, fillOpacity: 0.08 });

/** Outline grid `code` as the one the point falls in (null for none). */
export function highlightGrid(code) {
  if (state.highlighted) {
    state.highlighted.layer.setStyle(gridStyle(state.highlighted.feature, false));
  }
  state.highlighted = code ? state.grids.get(code) || null : null;
  if (state.highlighted) state.highlighted.layer.setStyle(gridStyle(state.highlighted.feature, true));
}

function updateLabels() {
  map.getContainer().classList.toggle("show-grid-labels", map.getZoom() >= 15);
}
map.on("zoomend", updateLabels);

/** Where a point (in any datum) sits on this map, as a Leaflet [lat, lng]. */
export function onMap(point) {
  if (point.datum === state.mapDatum) return [point.lat, point.lon];
  const [lon, lat] = toWgs84(point.lon, point.lat, point.datum);
  const [x, y] = fromWgs84(lon, lat, state.mapDatum);
  return [y, x];
}

/** Draw the streets, the river and the city's other reference layers under the grids, to orient by. */
export async function addReferenceLayers() {
  for (const { layer } of await loadReferenceLayers(map, state.mapDatum)) layer.addTo(map);
}

/** Add the configured base map, if any. */
export function addBaseMap(tiles) {
  const base = baseMapLayer(tiles);
  if (base) base.addTo(map);
}

async function fetchAll(collection) {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), crs: state.mapDatum });
  return (await fetchFeatures(API + "/collections/" + collection + "/items?" + params)).features;
}

/** Draw the communities and grids and fit the map to them. */
export async function loadBoundaries() {
  const [communities, grids] = await Promise.all([fetchAll("communities"), fetchAll("grids")]);
  communityLayer.addData(communities);
  gridLayer.addData(grids);
  const bounds = communityLayer.getBounds().isValid() ? communityLayer.getBounds() : gridLayer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10], animate: false });
  updateLabels();
}
