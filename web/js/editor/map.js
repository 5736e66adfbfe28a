/* The editor's Leaflet map: panes by level, the scale, Geoman's panes and language, and the map datum. */
import { fromWgs84, toWgs84 } from "../datums.js";
import { bboxParam, padBox } from "../view-math.js";
import { L } from "./geoman.js";
import { state } from "./state.js";

export const map = L.map("map", { pmIgnore: false, zoomControl: true, maxZoom: 21, minZoom: 3, zoomSnap: 0.25, zoomDelta: 0.5,
  doubleClickZoom: false });
map.attributionControl.setPrefix("Leaflet · Leaflet-Geoman");
map.setView([27.46, 119.51], 14);

// Context levels below, the level being edited above them (440, layers.js); the diff, drawn lines, the check's
// problems, refusals and vertices on top. The diff, problems and refusal panes never take a click (edit.css).
const PANES = { community: 410, grid: 420, microgrid: 430, diff: 445, draw: 450, problems: 455, refusal: 460 };
for (const [name, z] of Object.entries(PANES)) map.createPane(name + "Pane").style.zIndex = String(z);

map.pm.setGlobalOptions({
  panes: { vertexPane: "markerPane", layerPane: "drawPane", markerPane: "markerPane" },
  snappable: true,
  snapDistance: 12,
  allowSelfIntersection: false,
});
map.pm.setLang("zh");
L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

/** A WGS-84 [lon, lat] as a Leaflet LatLng on this map (shifted onto GCJ-02 tiles when the base map is). */
export function toLatLng([lon, lat]) {
  const [x, y] = fromWgs84(lon, lat, state.outputCrs);
  return L.latLng(y, x);
}

/** A Leaflet LatLng of this map as a WGS-84 [lon, lat], as the API takes it. */
export function toLonLat(latlng) {
  const [lon, lat] = toWgs84(latlng.lng, latlng.lat, state.outputCrs);
  return [lon, lat];
}

/** The API's bbox parameter for the view padded by `pad` of its size on each side. */
export function viewBboxParam(pad) {
  const bounds = map.getBounds();
  const view = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
  return bboxParam(padBox(view, pad), state.outputCrs);
}
