/* Incident layers of the viewer: clusters (or points), a heat map and counts per grid, filtered and played
 * through time (incident-filters.js).
 *
 * The server aggregates (/api/v1/incident-map/): the page receives a few hundred cells, never every incident.
 * Requests follow the map after a short pause (debounced); an answer that arrives after a newer request was
 * made is dropped, and the older request is aborted. Each finished render sets
 * `document.body.dataset.incidentsRendered` to a growing counter and fires `gridmap:incidents-rendered` on
 * window, so that tests and the benchmark can wait for it. What draws the layers (incident-points.js,
 * incident-areas.js) is not loaded with the page: once the first view is drawn, or when a layer is switched on first.
 */
import { errorText } from "../api.js";
import { signedIn } from "../session.js";
import { filterParams, loadCategories, loadPeriods, nextFrame, stopPlaying, wireFilters } from "./incident-filters.js";
import { areaLayer, heatLayer, incidentLayer, incidentState as state } from "./incident-state.js";
import { addOverlays, map } from "./map.js";
import { setThematic, thematic } from "./thematic.js";

const DEBOUNCE_MS = 120;
const layers = { incidents: incidentLayer, heat: heatLayer, areas: areaLayer };
let requestSeq = 0;
let controller = null;
let debounceTimer = null;
let categoriesLoading = null; // the category picker being filled, once per page
let zooming = false; // a zoom animation is under way (from its zoomanim to its moveend)
let viewAsked = ""; // the view the last request was made for (viewKey)
/** What draws the layers (fetched once: later calls take the same modules). main.js asks for it once the first view
 * is on screen, so that switching a layer on finds it loaded. */
export const incidentDrawing = async () => {
  const [points, areas] = await Promise.all([import("./incident-points.js"), import("./incident-areas.js")]);
  return { ...points, ...areas };
};

function anyOn() {
  return map.hasLayer(incidentLayer) || map.hasLayer(heatLayer) || map.hasLayer(areaLayer);
}

function followsView() {
  // The layers whose answer depends on the view (the counts per grid do not).
  return map.hasLayer(incidentLayer) || map.hasLayer(heatLayer);
}

function viewKey() {
  return map.getZoom() + "/" + map.getBounds().toBBoxString();
}

function showError(err) {
  document.getElementById("incidents-summary").textContent = errorText(err);
  document.body.dataset.incidentsError = errorText(err);
}

async function run(step) {
  try {
    await step();
  } catch (err) {
    if (err.name !== "AbortError") showError(err);
  }
}

function schedule(delay) {
  window.clearTimeout(debounceTimer);
  debounceTimer = window.setTimeout(refreshNow, delay === undefined ? DEBOUNCE_MS : delay);
}

/** Fetch and draw every incident layer that is on, now. */
async function refreshNow() {
  window.clearTimeout(debounceTimer);
  const seq = ++requestSeq;
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const filters = filterParams();
  if (!anyOn()) return;
  viewAsked = viewKey();
  let draws;
  try {
    const { loadAreas, loadHeat, loadIncidents } = await incidentDrawing();
    const wanted = [];
    if (map.hasLayer(incidentLayer)) wanted.push(loadIncidents(filters, signal));
    if (map.hasLayer(heatLayer)) wanted.push(loadHeat(filters, signal));
    if (map.hasLayer(areaLayer)) wanted.push(loadAreas(filters, signal));
    draws = await Promise.all(wanted);
  } catch (err) {
    if (seq !== requestSeq || err.name === "AbortError") return; // a newer request took over
    showError(err);
    stopPlaying();
    return;
  }
  if (seq !== requestSeq) return; // stale: a newer request is on its way
  if (zooming) await new Promise((resolve) => map.once("moveend", resolve)); // drawn on the new view, not into the zoom
  if (seq !== requestSeq) return;
  for (const draw of draws) draw();
  if (!map.hasLayer(incidentLayer)) {
    incidentLayer.clearLayers();
    state.mode = "";
  }
  showSummary();
  // Marked after the browser has laid out the new markers.
  window.requestAnimationFrame(() => {
    if (seq !== requestSeq) return;
    state.rendered += 1;
    document.body.dataset.incidentsRendered = String(state.rendered);
    document.body.dataset.incidentsMode = state.mode;
    document.body.dataset.incidentsTotal = state.total === null ? "" : String(state.total);
    window.dispatchEvent(new CustomEvent("gridmap:incidents-rendered", {
      detail: { count: state.rendered, mode: state.mode, total: state.total, shown: state.shown },
    }));
    if (state.playing) nextFrame();
  });
}

function showSummary() {
  const parts = [];
  if (state.mode === "clusters") parts.push("视野内 " + state.total + " 起事件 incidents in view");
  if (state.mode === "clusters" && state.withheld) {
    // The public sees no group of fewer than k incidents, nor any incident's exact place.
    parts.push(state.withheld + " 起因保护隐私未显示 not shown, to protect privacy");
  }
  if (state.mode === "points") {
    parts.push(state.shown < state.total ? "显示最新 " + state.shown + " / " + state.total + " 起 newest shown"
      : state.total + " 起事件 incidents");
  }
  if (map.hasLayer(areaLayer) && state.areaCounts) {
    let sum = 0;
    for (const n of state.areaCounts.values()) sum += n;
    parts.push("各网格合计 " + sum + " 起 in all grids");
  }
  if (map.hasLayer(incidentLayer) && !signedIn()) parts.push("登录后可看单个事件 Sign in for single incidents");
  document.getElementById("incidents-summary").textContent = parts.join(" · ");
}

function layersChanged(event) {
  if (![incidentLayer, heatLayer, areaLayer].includes(event.layer)) return;
  const on = anyOn();
  document.getElementById("incidents").hidden = !on;
  document.getElementById("incident-areas-legend").hidden = !map.hasLayer(areaLayer);
  if (!map.hasLayer(incidentLayer)) {
    incidentLayer.clearLayers();
    state.points.clear();
    state.mode = "";
  }
  if (event.type === "layeradd" && event.layer === areaLayer && thematic.mode) {
    setThematic(null); // one choropleth on the grids at a time
  }
  if (!on) {
    requestSeq += 1; // an answer still on its way has nowhere to go
    stopPlaying();
    return;
  }
  ensureCategories();
  schedule(0);
}

/** Fill the category picker (once per page); resolves when it is filled, or its failure shown. */
export function ensureCategories() {
  categoriesLoading = categoriesLoading || run(loadCategories);
  return categoriesLoading;
}

/** Put the incident layers in the layer switcher and follow the map, the filters and signing in. */
export function startIncidents() {
  addOverlays([
    [incidentLayer, "事件 Incidents (聚合/点 clusters/points)"],
    [heatLayer, "事件热力 Incident heatmap"],
    [areaLayer, "每网格事件 Incidents per grid"],
  ]);
  map.on("layeradd layerremove", layersChanged);
  // A zoom's new view is the map's from the start of its animation (Leaflet moves there at once and animates the
  // panes): asked for then, the answer is on its way while the zoom animates, and drawn once it is over. Its moveend
  // then asks for nothing more, unless the view is not the one asked for.
  map.on("zoomanim", () => {
    zooming = true;
    if (followsView()) schedule(0); // one per animation: nothing to wait for
  });
  map.on("moveend", () => {
    zooming = false;
    if (followsView() && viewKey() !== viewAsked) schedule();
  });
  wireFilters({
    // The periods depend on the filters (their extent); load them, then draw.
    changed: () => run(async () => {
      await loadPeriods();
      await refreshNow();
    }),
    moved: () => schedule(),
    draw: refreshNow,
  });
  document.getElementById("incident-rate").addEventListener("change", () => schedule(0));
  // Signing in or out changes what the incident layer may show (points need a token); so does a new version
  // for the per-grid counts.
  new MutationObserver((changes) => {
    if (changes.some((change) => change.attributeName === "data-signed-in")) state.pointsRefused = false;
    if (anyOn()) schedule(0);
  }).observe(document.body, { attributes: true, attributeFilter: ["data-signed-in", "data-features"] });
}

/** The test and benchmark hook (window.gridmapIncidents): the layers, what they show, and ways to drive them. */
export const incidentsHook = {
  layers,
  state,
  show(name, on) {
    const layer = layers[name];
    if (on === false) map.removeLayer(layer);
    else map.addLayer(layer);
  },
  refresh: refreshNow,
  openIncident: async (id) => (await incidentDrawing()).openIncident(id),
  pointIds: () => [...state.points.keys()],
};
