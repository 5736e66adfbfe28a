/* The boundary layers (communities, grids, microgrids): their styles and labels, selection, the details panel. */
import * as L from "leaflet";

import { colourFor } from "../colours.js";
import { el, factsList } from "../dom.js";
import { keepTappedInView } from "./folding.js";
import { showHouseholdPoints, showHouseholds } from "./household-details.js";
import { map } from "./map.js";
import { LEVEL_NAMES, LEVELS, state } from "./state.js";
import { showGridScore } from "./score-map.js";
import { run, showStatus } from "./status.js";
import { thematic, thematicColour } from "./thematic.js";
import { fetchAndSelect, viewLoading } from "./view-loading.js";

/** level -> its GeoJSON layer (main.js puts them in the layer switcher). */
export const layers = {};
// level -> a canvas of its own, in its pane: a large version's outlines are drawn there (see drawOnCanvas). Each
// canvas reaches a quarter of the view beyond every edge, so a short drag shows drawn outlines: half (2 x 2 views
// of pixels) had the first view of a province spend ~90 ms of Chromium's main thread handing two canvases to the
// compositor; a quarter is 2.25 views of pixels.
const CANVAS_PADDING = 0.25;
const canvases = {};
for (const spec of LEVELS) {
  layers[spec.level] = L.geoJSON(null, {
    pane: spec.level + "Pane",
    style: (feature) => styleFor(spec.level, feature),
    onEachFeature: (feature, layer) => bindFeature(spec.level, feature, layer),
  });
  canvases[spec.level] = L.canvas({ pane: spec.level + "Pane", padding: CANVAS_PADDING });
}
layers.community.addTo(map);
layers.grid.addTo(map);

/** Draw the features added from now on as canvas paths (a large version: thousands of SVG paths, each
 * re-clipped on every move, made the first view take minutes) or as SVG paths (a small one, where each path is
 * an element of its own). Call with the layers empty. A canvas takes every pointer event over the map, so the
 * community canvas, and the microgrid one when off or below its zoom, let them through (viewer.css). */
export function drawOnCanvas(canvas) {
  for (const spec of LEVELS) {
    layers[spec.level].options.renderer = canvas ? canvases[spec.level] : undefined;
    if (!canvas && map.hasLayer(canvases[spec.level])) map.removeLayer(canvases[spec.level]);
  }
  map.getContainer().classList.toggle("canvas-outlines", canvas);
}

/** The path style of a feature of `level` (grids coloured by the thematic map when one is on). */
export function styleFor(level, feature) {
  const p = feature.properties || {};
  if (level === "community") return { color: "#16324f", weight: 3, fill: false, opacity: 0.9 };
  if (level === "grid" && thematic.mode) {
    return { color: "#ffffff", weight: 1.2, opacity: 1, fillColor: thematicColour(String(p.code)), fillOpacity: 0.78 };
  }
  if (level === "grid") {
    return { color: colourFor(p.code), weight: 1.5, opacity: 0.9, fillColor: colourFor(p.code), fillOpacity: 0.16 };
  }
  return { color: "#7b8a99", weight: 0.8, dashArray: "3 3", opacity: 0.9, fillColor: "#ffffff", fillOpacity: 0.01 };
}

function bindFeature(level, feature, layer) {
  const p = feature.properties || {};
  state.byCode.set(String(p.code), { feature, layer, level });
  if (labelled[level]) bindLabel(level, layer);
  layer.on("click", (event) => {
    L.DomEvent.stopPropagation(event);
    select(String(p.code), false);
    keepTappedInView(event.latlng);
  });
}

// level -> whether its features carry their labels: only from the level's label zoom, for a label is an element
// of its own, laid out on every zoom (a province's first view held 1,220 of them, all hidden).
const labelled = Object.fromEntries(LEVELS.map((spec) => [spec.level, map.getZoom() >= spec.labelZoom]));

// A label: a permanent tooltip centred on its feature by its style sheet (viewer.css: `translate: -50% -50%`), where
// Leaflet's tooltip reads its own size to centre it each time it is placed: hundreds of labels made at once then
// laid the page out once each (a province's first view: 204 community labels, about 150 ms).
const Label = L.Tooltip.extend({
  _setPosition(point) {
    L.DomUtil.setPosition(this._container, point);
  },
});

function bindLabel(level, layer) {
  const p = layer.feature.properties || {};
  const label = new Label({ permanent: true, direction: "center", className: "label label-" + level, interactive: false });
  layer.bindTooltip(label.setContent(el("span", null, p.name || "", el("span", { class: "code" }, p.code || ""))));
}

/** Show each level's labels from its label zoom (creating them there, dropping them below it). */
export function updateLabels() {
  const zoom = map.getZoom();
  const container = map.getContainer();
  for (const spec of LEVELS) {
    const shown = zoom >= spec.labelZoom;
    container.classList.toggle("show-" + spec.level + "-labels", shown);
    if (shown === labelled[spec.level]) continue;
    labelled[spec.level] = shown;
    layers[spec.level].eachLayer((layer) => (shown ? bindLabel(spec.level, layer) : layer.unbindTooltip()));
  }
  // Microgrid labels, where shown, take the place of their grid's (which would sit on one of them).
  const microgridsOn = map.hasLayer(layers.microgrid);
  container.classList.toggle("microgrids-on", microgridsOn);
  // Loaded by view, they are drawn from their zoom only: below it their canvas lets clicks through (viewer.css).
  container.classList.toggle("microgrids-drawn", microgridsOn && !(zoom < viewLoading.minZoom.microgrid));
}
map.on("zoomend", updateLabels);
layers.microgrid.on("add remove", updateLabels);

function chainOf(code) {
  const chain = [];
  let entry = state.byCode.get(code);
  const seen = new Set();
  while (entry && !seen.has(entry.feature.properties.code)) {
    seen.add(entry.feature.properties.code);
    chain.unshift(entry.feature.properties);
    const parent = entry.feature.properties.parent;
    entry = parent ? state.byCode.get(String(parent)) : null;
  }
  return chain;
}

/** Outline `entry` ({ feature, layer, level }, or null for none) as the selected feature. */
export function highlight(entry) {
  if (state.highlighted) {
    const old = state.highlighted;
    old.layer.setStyle(styleFor(old.level, old.feature));
  }
  state.highlighted = entry;
  if (!entry) return;
  const outline = { color: "#e8590c", weight: 4, opacity: 1, dashArray: null };
  // On a choropleth the selected grid keeps its colour, so that the map still reads; only its outline changes.
  entry.layer.setStyle(thematic.mode && entry.level === "grid" ? { ...styleFor(entry.level, entry.feature), ...outline }
    : { ...outline, fill: true, fillColor: "#ffa94d", fillOpacity: 0.35 });
  entry.layer.bringToFront();
}

/** Select the feature with `code` (fetching it first when loaded by view), optionally zooming to it. */
export function select(code, zoomTo) {
  const entry = state.byCode.get(code);
  if (!entry && viewLoading.levels.size) {
    // Loaded by view: a feature outside what was seen so far is fetched by code (with its parents) first.
    run(() => fetchAndSelect(code, zoomTo));
    return;
  }
  if (!entry) {
    showStatus("未找到 Not found: " + code, true);
    return;
  }
  if (!map.hasLayer(layers[entry.level])) map.addLayer(layers[entry.level]);
  highlight(entry);
  if (zoomTo) map.fitBounds(entry.layer.getBounds(), { maxZoom: 17, padding: [80, 80] });
  showDetails(entry.feature.properties);
}

function showDetails(p) {
  const box = document.getElementById("details");
  const chain = el("ol", { class: "chain", "aria-label": "Parent chain" });
  for (const link of chainOf(String(p.code))) {
    const isCurrent = String(link.code) === String(p.code);
    const label = (LEVEL_NAMES[link.level] || link.level).split(" ")[0] + " · " + link.name;
    chain.append(el("li", { class: isCurrent ? "current" : "" },
      isCurrent ? label : el("a", { "data-code": link.code, onclick: () => select(String(link.code), true) }, label)));
  }
  box.replaceChildren(
    el("h2", { class: "panel-title" }, "要素信息 ", el("small", null, "Details")),
    el("h3", { id: "details-name" }, p.name),
    el("span", { class: "level-tag " + p.level }, LEVEL_NAMES[p.level] || p.level),
    factsList([
      ["编码 Code", el("span", { class: "code" }, p.code)],
      ["名称 Name", p.name],
      ["层级 Level", LEVEL_NAMES[p.level] || p.level],
      ["网格员 Worker", p.worker || "—"],
      ["目标户数 Households", p.households_target ?? "—"],
      ["上级 Parent", p.parent ? el("span", { class: "code" }, p.parent) : "—"],
    ]),
    el("h4", { class: "chain-title" }, "隶属关系 Parent chain"),
    chain,
    el("div", { id: "details-scores", class: "facts" }),
    el("div", { id: "details-households", class: "facts" }),
    el("div", { id: "details-household-points", class: "facts" }),
  );
  box.dataset.code = p.code;
  delete box.dataset.households;
  showGridScore(String(p.code), thematic.mode === "scores");
  run(() => showHouseholds(String(p.code)));
  run(() => showHouseholdPoints(p));
}
