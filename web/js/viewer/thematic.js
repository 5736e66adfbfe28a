/* Thematic maps of the grids: household counts, life-circle coverage (with the facilities) and, for planners,
 * the incident scores of a month (score-map.js), each with a legend.
 *
 * All colour the grid layer itself (so that clicks, labels and the highlight keep working) and are turned on
 * from the layer switcher; their data is fetched once, when first shown, in one request for all grids.
 */
import * as L from "leaflet";

import { request } from "../api.js";
import { NO_DATA } from "../colours.js";
import { el, swatchRow } from "../dom.js";
import { classesFor, classIndex, rampColours } from "../legend-classes.js";
import { highlight, layers, styleFor } from "./boundaries.js";
import { map } from "./map.js";
import { loadGridScores, scoreColour, scoreLegend, scoreToggle, showGridScore, wireScoreControls } from "./score-map.js";
import { state } from "./state.js";
import { run, showStatus } from "./status.js";

const HOUSEHOLD_RAMP = ["#fff1e0", "#fdc98f", "#fb8d3d", "#e6550d", "#7f2704"];
const COVERAGE_RAMP = ["#c92a2a", "#f08c00", "#fcc419", "#82c91e", "#2b8a3e"];
export const LIFE_CIRCLE_MINUTES = [5, 10, 15];
const FACILITY_COLOURS = { 5: "#c2255c", 10: "#1864ab", 15: "#5f3dc4" };

export const thematic = {
  mode: null, // "households", "lifecircle", "scores" or null (the plain boundary colours)
  households: null, // code -> counts, for the loaded version
  classes: [], // the household classes (legend-classes.js): none when no grid has a household
  coverage: null, // { types, areas: code -> area }, from the sample region's life-circle analysis
  measure: "complete:15", // "complete:<minutes>" or "type:<facility type>"
};
// Switches in the layer switcher for the choropleths (they draw nothing themselves).
export const householdToggle = L.layerGroup();
export const lifecircleToggle = L.layerGroup();
const TOGGLES = { households: householdToggle, lifecircle: lifecircleToggle, scores: scoreToggle };
export const facilityLayer = L.geoJSON(null, {
  pane: "facilityPane",
  filter: (f) => facilityShown(f.properties),
  pointToLayer: (f, latlng) => L.circleMarker(latlng, {
    pane: "facilityPane", radius: 5.5, color: "#fff", weight: 1.5, fillOpacity: 1,
    fillColor: FACILITY_COLOURS[f.properties.minutes] || "#495057",
  }),
  onEachFeature: (f, layer) => layer.bindTooltip(() => el("span", null, f.properties.name, el("br"),
    el("small", null, f.properties.name_zh + " · " + f.properties.minutes + " 分钟 min")), { direction: "top", offset: [0, -4] }),
});
let facilityFeatures = null;

function coverageValue(area) {
  const [kind, key] = thematic.measure.split(":");
  return kind === "complete" ? area.completeness[key] : area.households_covered[key];
}

/** The fill of grid `code` on the thematic map that is on. */
export function thematicColour(code) {
  if (thematic.mode === "scores") return scoreColour(code);
  if (thematic.mode === "households") {
    const counts = thematic.households && thematic.households.get(code);
    const index = counts ? classIndex(thematic.classes, counts.households) : -1;
    return index < 0 ? NO_DATA : rampColours(HOUSEHOLD_RAMP, thematic.classes.length)[index];
  }
  const area = thematic.coverage && thematic.coverage.areas.get(code);
  if (!area || !area.households) return NO_DATA;
  return COVERAGE_RAMP[Math.min(COVERAGE_RAMP.length - 1, Math.floor(coverageValue(area) * COVERAGE_RAMP.length))];
}

function facilityShown(p) {
  const [kind, key] = thematic.measure.split(":");
  return kind === "complete" ? p.minutes <= Number(key) : p.type === key;
}

async function loadHouseholdCounts() {
  if (thematic.households) return;
  const params = new URLSearchParams({ level: "grid" });
  if (state.version) params.set("version", String(state.version.id));
  const body = await request("household-counts?" + params);
  thematic.households = new Map(body.counts.map((c) => [String(c.code), c]));
  // No household anywhere means no register loaded: a legend of "0" classes would only mislead.
  const registered = body.counts.some((c) => c.households > 0);
  thematic.classes = registered ? classesFor(body.counts.map((c) => c.households), { count: HOUSEHOLD_RAMP.length }) : [];
}

let coverageRequest = null;
function loadCoverage() {
  // The first analysis takes the server a moment: every caller meanwhile waits on the same request.
  coverageRequest = coverageRequest || fetchCoverage().catch((err) => {
    coverageRequest = null;
    throw err;
  });
  return coverageRequest;
}

async function fetchCoverage() {
  showStatus("生活圈分析中 Analysing walking access…");
  const body = await request("lifecircle/coverage?level=grid");
  thematic.coverage = { types: body.types, areas: new Map(body.areas.map((a) => [String(a.code), a])) };
  const picker = document.getElementById("lifecircle-measure");
  picker.replaceChildren(
    el("optgroup", { label: "完整度 Completeness" }, ...LIFE_CIRCLE_MINUTES.map((m) =>
      el("option", { value: "complete:" + m }, m + " 分钟生活圈 " + m + "-min"))),
    el("optgroup", { label: "设施类型 Facility type" }, ...Object.entries(body.types).map(([key, t]) =>
      el("option", { value: "type:" + key }, t.name_zh + " · " + t.minutes + " 分钟"))),
  );
  picker.value = thematic.measure;
  facilityFeatures = facilityFeatures || (await request("lifecircle/facilities")).features;
}

/** Turn a thematic map on ("households", "lifecircle" or "scores") or off (null): one at a time. */
export async function setThematic(mode) {
  thematic.mode = mode;
  // One choropleth at a time: the others' switches go off (their overlayremove sees the mode has changed).
  for (const [other, toggle] of Object.entries(TOGGLES)) {
    if (mode !== other && map.hasLayer(toggle)) map.removeLayer(toggle);
  }
  if (mode && !map.hasLayer(layers.grid)) map.addLayer(layers.grid);
  if (mode === "lifecircle" && !map.hasLayer(facilityLayer)) map.addLayer(facilityLayer);
  await refreshThematic();
}

/** Fetch what the thematic map on needs, then recolour the grids and redraw the legend. */
export async function refreshThematic() {
  if (thematic.mode === "households") await loadHouseholdCounts();
  if (thematic.mode === "lifecircle") await loadCoverage();
  if (thematic.mode === "scores") await loadGridScores();
  if (map.hasLayer(facilityLayer) && !facilityFeatures) facilityFeatures = (await request("lifecircle/facilities")).features;
  facilityLayer.clearLayers();
  if (facilityFeatures) facilityLayer.addData(facilityFeatures);
  layers.grid.setStyle((feature) => styleFor("grid", feature));
  if (state.highlighted) highlight(state.highlighted);
  renderThematicLegend();
  const details = document.getElementById("details");
  if (details.dataset.code) showGridScore(details.dataset.code, thematic.mode === "scores");
  document.body.dataset.thematic = thematic.mode || "";
}

function renderThematicLegend() {
  const box = document.getElementById("thematic");
  box.hidden = !thematic.mode;
  document.getElementById("lifecircle-control").hidden = thematic.mode !== "lifecircle";
  document.getElementById("score-control").hidden = thematic.mode !== "scores";
  const list = document.getElementById("thematic-ramp");
  const title = document.getElementById("thematic-title");
  if (thematic.mode === "households") {
    title.textContent = "每网格住户数 Household count per grid";
    const classes = thematic.classes;
    if (!classes.length) {
      list.replaceChildren(el("li", { class: "empty" }, "未载入住户登记 No household register loaded"));
      box.dataset.state = "empty";
      return;
    }
    const colours = rampColours(HOUSEHOLD_RAMP, classes.length);
    list.replaceChildren(...classes.map((c, i) => swatchRow(colours[i], c.label + " 户")), swatchRow(NO_DATA, "无数据 No data"));
    delete box.dataset.state;
  } else if (thematic.mode === "lifecircle") {
    const labels = COVERAGE_RAMP.map((_, i) => i * 20 + "–" + (i + 1) * 20 + "%");
    title.textContent = "步行可达住户占比 Households within reach";
    list.replaceChildren(...COVERAGE_RAMP.map((colour, i) => swatchRow(colour, labels[i])),
      swatchRow(NO_DATA, "无住户 No households"),
      ...LIFE_CIRCLE_MINUTES.map((m) => swatchRow(FACILITY_COLOURS[m], m + " 分钟设施 " + m + "-min facility", "dot")));
    delete box.dataset.state;
  } else if (thematic.mode === "scores") {
    const legend = scoreLegend();
    title.textContent = legend.title;
    list.replaceChildren(...legend.rows);
    delete box.dataset.state;
  }
}

function modeOf(layer) {
  return Object.keys(TOGGLES).find((mode) => TOGGLES[mode] === layer) || null;
}

/** Follow the layer switcher and the measure pickers (called once the layers exist). */
export function watchThematicSwitches() {
  map.on("overlayadd", (event) => {
    // After the layer switcher has finished its click: switching the other choropleth off while it still
    // walks its checkboxes would have it switched straight back on.
    const mode = modeOf(event.layer);
    if (mode) window.setTimeout(() => run(() => setThematic(mode)), 0);
    if (event.layer === facilityLayer) run(refreshThematic);
  });
  map.on("overlayremove", (event) => {
    const mode = modeOf(event.layer);
    if (mode && thematic.mode === mode) run(() => setThematic(null));
  });
  wireScoreControls(() => run(refreshThematic));
  document.getElementById("lifecircle-measure").addEventListener("change", (event) => {
    thematic.measure = event.target.value;
    run(refreshThematic);
  });
}
