/* The incident heat map and the counts per grid (or per 1,000 households) as a choropleth with its legend. */
import * as L from "leaflet";

import { request } from "../api.js";
import { NO_DATA } from "../colours.js";
import { el, swatchRow } from "../dom.js";
import { classesFor, classIndex, rampColours } from "../legend-classes.js";
import { areaLayer, heatMap, incidentState as state } from "./incident-state.js";
import { viewBbox } from "./incident-points.js";
import { map, mapLatLng } from "./map.js";
import { state as viewerState } from "./state.js";

// A quarter of the clusters' 60-pixel cell: a level of the server's count quadtree, read from kept counts.
const HEAT_CELL_PX = 15;
const AREA_RAMP = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];
const householdCache = new Map(); // version id -> Map(code -> households)
let areaShapes = { key: null, polygons: new Map() };

/** Fetch the heat map's cells of the view for `filters`; resolves to a function drawing them. */
export async function loadHeat(filters, signal) {
  const params = new URLSearchParams(filters);
  params.set("bbox", viewBbox());
  params.set("zoom", String(map.getZoom()));
  params.set("cell_px", String(HEAT_CELL_PX));
  const [heat, body] = await Promise.all([heatMap(), request("incident-map/cells?" + params, { signal })]);
  return () => {
    // Weighted by count, against a high quantile rather than the one busiest cell, so that it does not
    // wash out everything else.
    const counts = body.cells.map((c) => c.count).sort((a, b) => a - b);
    const top = counts.length ? counts[Math.floor((counts.length - 1) * 0.95)] : 1;
    // leaflet.heat weakens every point by 2^(zoom - max zoom); the same factor on `max` undoes it.
    const weakened = 1 / 2 ** Math.max(0, Math.min(map.getMaxZoom() - map.getZoom(), 12));
    heat.setOptions({ max: Math.max(1, top) * weakened });
    heat.setLatLngs(body.cells.map((c) => [...mapLatLng(c.lat, c.lon), c.count]));
  };
}

async function householdsPerGrid(signal) {
  const version = viewerState.version ? viewerState.version.id : "";
  if (!householdCache.has(version)) {
    const params = new URLSearchParams({ level: "grid" });
    if (version) params.set("version", String(version));
    const body = await request("household-counts?" + params, { signal });
    householdCache.set(version, new Map(body.counts.map((c) => [String(c.code), c.households])));
  }
  return householdCache.get(version);
}

function gridShapes() {
  // One polygon per grid of the loaded version, copied from the viewer's grid layer (same datum as the map).
  const key = (viewerState.version ? viewerState.version.id : "") + ":" + viewerState.byCode.size;
  if (areaShapes.key === key) return areaShapes.polygons;
  const polygons = new Map();
  for (const [code, entry] of viewerState.byCode) {
    if (entry.level !== "grid") continue;
    polygons.set(code, L.polygon(entry.layer.getLatLngs(), {
      pane: "incidentAreaPane", interactive: false, color: "#ffffff", weight: 1, opacity: 0.9, fillOpacity: 0.75,
    }));
  }
  areaLayer.clearLayers();
  areaShapes = { key, polygons };
  return polygons;
}

/** Fetch the counts per grid for `filters` (and the households, per 1,000); resolves to a function drawing them. */
export async function loadAreas(filters, signal) {
  const params = new URLSearchParams(filters);
  params.set("level", "grid");
  const perThousand = document.getElementById("incident-rate").value === "per1000";
  const [body, households] = await Promise.all([
    request("incident-map/areas?" + params, { signal }),
    perThousand ? householdsPerGrid(signal) : Promise.resolve(null),
  ]);
  return () => drawAreas(body.counts, households);
}

function drawAreas(counts, households) {
  const polygons = gridShapes();
  const values = new Map();
  for (const code of polygons.keys()) {
    const count = counts[code] || 0;
    if (!households) values.set(code, count);
    else if (households.get(code)) values.set(code, (count * 1000) / households.get(code));
  }
  const classes = classesFor(values.values(), { count: AREA_RAMP.length, integer: !households });
  const colours = rampColours(AREA_RAMP, classes.length);
  for (const [code, polygon] of polygons) {
    const value = values.get(code);
    const index = classIndex(classes, value);
    polygon.setStyle({ fillColor: index < 0 ? NO_DATA : colours[index] });
    if (!areaLayer.hasLayer(polygon)) areaLayer.addLayer(polygon);
    const node = polygon.getElement();
    if (node) {
      node.dataset.code = code;
      node.dataset.value = value === undefined ? "" : String(value);
    }
  }
  state.areaCounts = new Map(Object.entries(counts));
  state.areaValues = values;
  renderAreaLegend(classes, colours, Boolean(households));
}

function renderAreaLegend(classes, colours, perThousand) {
  document.getElementById("incident-legend-title").textContent = perThousand
    ? "每千户事件数 Incidents per 1,000 households" : "每网格事件数 Incidents per grid";
  const rows = classes.map((c, i) => swatchRow(colours[i], c.label));
  if (!classes.length) rows.push(el("li", { class: "empty" }, perThousand ? "未载入住户登记 No household register loaded" : "无网格 No grids"));
  if (perThousand && classes.length) rows.push(swatchRow(NO_DATA, "无住户 No households"));
  document.getElementById("incident-legend").replaceChildren(...rows);
}
