/* The incident layers' shared parts: their Leaflet layers, what they show, and the names of statuses. */
import * as L from "leaflet";

import { map } from "./map.js";

export const POINT_LIMIT = 2000; // at most this many incidents in view: real points instead of clusters
export const STATUS_NAMES = {
  reported: "已上报 Reported",
  accepted: "已受理 Accepted",
  dispatched: "已派遣 Dispatched",
  in_progress: "处置中 In progress",
  resolved: "已处置 Resolved",
  closed: "已结案 Closed",
  rejected: "不予受理 Rejected",
  duplicate: "重复 Duplicate",
};
export const OPEN_STATUSES = ["reported", "accepted", "dispatched", "in_progress"];
export const FINISHED_STATUSES = ["resolved", "closed", "rejected", "duplicate"];

for (const [name, z] of Object.entries({ incidentAreaPane: 415, incidentPointPane: 445 })) {
  map.createPane(name).style.zIndex = String(z);
}

export const incidentLayer = L.layerGroup(); // clusters or points
// The heat map's switch: the heat map itself (leaflet.heat, heat-layer.js) is loaded and put in it when first drawn.
export const heatLayer = L.layerGroup();
export const areaLayer = L.layerGroup();
let heatMapMade = null;

/** The heat map inside `heatLayer`, made on the first call (the plugin loaded then, not with the page). */
export function heatMap() {
  heatMapMade = heatMapMade || import("../heat-layer.js").then(({ heatLayer: makeHeatLayer }) =>
    makeHeatLayer([], { radius: 22, blur: 18, minOpacity: 0.25, max: 1 }).addTo(heatLayer));
  return heatMapMade;
}

export const incidentState = {
  mode: "", // what the incident layer shows: "clusters", "points" or "" (off)
  total: null, // incidents in view (clusters) or matched (points)
  shown: 0, // clusters or points drawn
  cells: null, // the last cells answer
  points: new Map(), // id -> circle marker
  areaCounts: null, // code -> count, for the drawn choropleth
  areaValues: null, // code -> the shown value (count or per 1,000 households)
  periods: [], // [{ since, before, label }] for the slider
  playing: false,
  categories: new Map(), // code -> name
  rendered: 0,
  pointLimit: POINT_LIMIT, // tests lower it to see the switch from clusters to points with few incidents
  pointsRefused: false, // a viewer's token: points are for staff, so clusters as for the public
  withheld: 0, // incidents in view the public answer counts but shows in no cluster (fewer than k)
};
