/* The viewer's Leaflet map: its panes, the layer switcher, the scale, and where WGS-84 points go on it. */
import * as L from "leaflet";

import { fromWgs84 } from "../datums.js";
import { el } from "../dom.js";
import { state } from "./state.js";

export const map = L.map("map", { zoomControl: true, maxZoom: 20, minZoom: 3, zoomSnap: 0.25, zoomDelta: 0.5 });
map.attributionControl.setPrefix("Leaflet");
map.setView([27.46, 119.51], 14);
// The map follows its box, not only the window: the top bar wraps (on a phone) and panels open beside the map.
new ResizeObserver(() => map.invalidateSize()).observe(map.getContainer());

// One pane per level: grids below, microgrids above them, community outlines on top without fill so that
// a click inside a grid reaches the grid; problems above everything. The incident layers add theirs.
const PANES = { grid: 410, microgrid: 420, community: 430, facility: 435, household: 437, problem: 440 };
for (const [name, z] of Object.entries(PANES)) {
  map.createPane(name + "Pane").style.zIndex = String(z);
}

export const layerControl = L.control.layers(null, null, { collapsed: false, position: "topright" }).addTo(map);

/** Put `overlays` ([layer, title] pairs) in the layer switcher together: an open switcher measures itself after
 * each entry added (which lays the page out), so it is kept from doing so until the last. */
export function addOverlays(overlays) {
  layerControl.options.collapsed = true;
  for (const [layer, title] of overlays) layerControl.addOverlay(layer, title);
  layerControl.options.collapsed = false;
  layerControl.expand();
}
L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

// The API docs link, beside the attribution (which Leaflet writes as HTML: so the link is a control of its own).
const docsLink = L.control({ position: "bottomright" });
docsLink.onAdd = () => el("div", { class: "leaflet-control-attribution leaflet-control" }, el("a", { href: "/docs" }, "API"));
docsLink.addTo(map);

/** A WGS-84 point as a Leaflet [lat, lng] on this map: on GCJ-02 tiles it takes the boundaries' shift. */
export function mapLatLng(lat, lon) {
  const [x, y] = fromWgs84(lon, lat, state.outputCrs);
  return [y, x];
}

/** The map's view as [west, south, east, north] (map datum). */
export function viewBox() {
  const bounds = map.getBounds();
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
}
