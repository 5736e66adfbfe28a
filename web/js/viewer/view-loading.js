/* Loading a version: whole, or by view when a level is large.
 *
 * A small version (a county town: a few hundred features) is loaded whole and the map fits it. In a large one
 * (a city: 10,000 grids, 100,000 microgrids) a level with more than VIEW_LOAD_THRESHOLD features is loaded by
 * view instead: only the features meeting the visible area (padded by half its size on each side), from the
 * zoom where the level is worth drawing, merged by code into the layers, the far ones dropped again when a
 * level holds more than its cache limit. Communities load whole unless there are more of them than
 * VIEW_LOAD_THRESHOLD (a province): the map then frames the communities' extent as the API gives it. A version
 * loaded by view is drawn on canvases. `?load=all` forces the whole load, `?load=view` view loading whatever the
 * size. The first view of a version asks only for what it shows, so that it is drawn sooner; the padding around it
 * follows once it is on screen (a quarter of the features first, the rest while the page is looked at). Each finished
 * view load sets `document.body.dataset.viewLoaded` to a growing counter (1 for the first view, 2 once its padding
 * is in) and fires `gridmap:view-loaded` on window.
 */
import * as L from "leaflet";

import { fetchFeatures, request } from "../api.js";
import { bboxParam, boxContains, levelWanted, loadsByView, padBox, viewZoom } from "../view-math.js";
import { drawOnCanvas, highlight, layers, select, updateLabels } from "./boundaries.js";
import { clearHouseholdPoints } from "./household-details.js";
import { map, mapLatLng, viewBox } from "./map.js";
import { countsFirst, describePath, firstPagePath, itemsPath, loadMode } from "./opening.js";
import { loadProblems, problemLayer } from "./problems.js";
import { LEVELS, state, versionParams } from "./state.js";
import { run, showStatus } from "./status.js";
import { refreshThematic, thematic } from "./thematic.js";

const VIEW_PAD = 0.5; // the box asked for: the view grown by this share of its size on each side
const KEEP_PAD = 2; // on eviction, features meeting the view grown by this much on each side stay
const VIEW_DEBOUNCE_MS = 150;
const VIEW_BUDGET = 2000; // about this many features of a level per view load, at the zoom it starts
const VIEW_PAGE_SIZE = 2 * VIEW_BUDGET; // a view load's page: one answer for a view from its starting zoom in
const LOAD_MODE = loadMode(window.location.search); // auto, all or view

export const viewLoading = {
  levels: new Set(), // levels of the loaded version that are loaded by view
  totals: {}, // level -> how many features the level has in the version
  minZoom: {}, // level -> the zoom from which it is loaded and drawn
  covered: {}, // level -> boxes [west, south, east, north] (map datum) loaded in full, still held in the layers
  controller: null, // the view request under way, aborted when a newer one starts
  timer: null,
  generation: 0, // grows with each version loaded: answers meant for an older one are dropped
  renders: 0,
};

const viewExtent = L.control({ position: "bottomleft" });
viewExtent.onAdd = () => {
  const box = L.DomUtil.create("div", "view-extent");
  box.hidden = true;
  return box;
};
viewExtent.addTo(map);

async function describeLevel(collection, ask) {
  // { total, bounds }: how many features the version has in a collection, and their extent as Leaflet bounds in
  // the map's datum (invalid when there are none); one answer, which the API keeps per published version.
  const described = await ask(describePath(collection, versionParams({})));
  const box = described.extent ? described.extent.spatial.bbox[0] : null;
  const bounds = box ? L.latLngBounds(mapLatLng(box[1], box[0]), mapLatLng(box[3], box[2])) : L.latLngBounds([]);
  return { total: Number(described.numberMatched), bounds };
}

async function planLevel(spec, ask) {
  // { features } for a level loaded whole, { total, bounds } for one loaded by view; the level's size decides
  // (it is counted first) unless the version's does.
  const whole = async () => {
    const { features } = await fetchFeatures(firstPagePath(spec.collection, state.outputCrs, state.version), { ask });
    return { features };
  };
  if (!countsFirst({ mode: LOAD_MODE, viewZoom: spec.viewZoom, version: state.version })) return whole();
  const described = await describeLevel(spec.collection, ask);
  return loadsByView({ mode: LOAD_MODE, total: described.total }) ? described : whole();
}

function resetViewLoading() {
  window.clearTimeout(viewLoading.timer);
  if (viewLoading.controller) viewLoading.controller.abort();
  viewLoading.controller = null;
  viewLoading.generation++;
  viewLoading.levels.clear();
  viewLoading.totals = {};
  viewLoading.minZoom = {};
  viewLoading.covered = {};
}

/** Load the chosen version: every level whole, or the large ones by view; then its problems and thematic map.
 * `ask` makes the requests that start the loading (api.js's request, or first-requests.js's firstAnswer on opening). */
export async function loadVersion(ask = request) {
  highlight(null);
  state.byCode.clear();
  for (const spec of LEVELS) layers[spec.level].clearLayers();
  problemLayer.clearLayers();
  clearHouseholdPoints();
  resetViewLoading();
  const generation = viewLoading.generation;
  showStatus("加载中 Loading…");
  // Each level counted (where its size decides) in one round trip, all at once; the answer also holds the extent,
  // which frames the communities when they load by view.
  const plans = await Promise.all(LEVELS.map((spec) => planLevel(spec, ask)));
  if (generation !== viewLoading.generation) return; // another version was chosen meanwhile
  drawOnCanvas(plans.some((plan) => !plan.features));
  LEVELS.forEach((spec, i) => {
    if (plans[i].features) {
      layers[spec.level].addData(plans[i].features);
      return;
    }
    viewLoading.levels.add(spec.level);
    viewLoading.totals[spec.level] = plans[i].total;
    viewLoading.covered[spec.level] = [];
  });
  let bounds = layers.community.getBounds().isValid() ? layers.community.getBounds() : layers.grid.getBounds();
  if (viewLoading.levels.has("community")) bounds = plans[LEVELS.findIndex((spec) => spec.level === "community")].bounds;
  // Not animated: a zoom animation still running would swallow the next one (a quick search, say).
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], animate: false });
  for (const spec of LEVELS) {
    if (viewLoading.levels.has(spec.level)) viewLoading.minZoom[spec.level] = viewZoomFor(spec, bounds);
  }
  const gridZoom = viewLoading.minZoom.grid;
  if (gridZoom !== undefined && map.getZoom() < gridZoom) {
    // A city seen whole is too far out to draw its grids: start at its centre, close enough to see them.
    map.setView(map.getCenter(), gridZoom, { animate: false });
  }
  updateLabels();
  thematic.households = null;
  if (viewLoading.levels.size) await loadView({ pad: 0 });
  if (generation !== viewLoading.generation) return;
  // Drawn: the padding around the first view next, once the view is on screen (the frame painting it and the next):
  // its answer, four times the view's, would otherwise be read before that paint. Skipped when the map moved
  // meanwhile: that load pads its box.
  if (viewLoading.levels.size) afterPaint(() => run(() => loadView({ fill: true })));
  showViewExtent();
  document.body.dataset.loadedBy = viewLoading.levels.size ? "view" : "all";
  document.body.dataset.loaded = "true";
  document.body.dataset.features = String(state.byCode.size);
  const counts = LEVELS.map((spec, i) => (plans[i].features ? plans[i].features.length : "—"));
  showStatus("已加载 " + counts.join(" / ") + " 个要素 features" + (viewLoading.levels.size ? " · " + viewExtentText() : ""));
  await loadProblems();
  await refreshThematic();
}

function afterPaint(step) {
  window.requestAnimationFrame(() => window.requestAnimationFrame(step));
}

function viewZoomFor(spec, extent) {
  // Where the level's features would number about VIEW_BUDGET per padded view, spread evenly over `extent`.
  if (!extent.isValid()) return spec.viewZoom;
  const corner = map.project(extent.getNorthWest(), 0);
  const across = map.project(extent.getSouthEast(), 0).subtract(corner);
  const size = map.getSize();
  return viewZoom({
    total: viewLoading.totals[spec.level],
    extentPixels0: Math.abs(across.x * across.y),
    viewPixels: size.x * size.y,
    pad: VIEW_PAD,
    budget: VIEW_BUDGET,
    minZoom: spec.viewZoom,
    maxZoom: map.getMaxZoom() - 2,
  });
}

function viewExtentText() {
  // "显示视野内 1,234 / 10,100 网格 Grids in view" per level loaded by view and switched on.
  const parts = [];
  for (const spec of LEVELS) {
    if (!viewLoading.levels.has(spec.level) || !map.hasLayer(layers[spec.level])) continue;
    const name = spec.title.split(" ");
    const from = viewLoading.minZoom[spec.level];
    if (map.getZoom() < from) {
      parts.push("放大至 " + from + " 级显示" + name[0] + " Zoom to " + from + " for " + name[1].toLowerCase());
      continue;
    }
    const shown = layers[spec.level].getLayers().length.toLocaleString("en");
    const total = Number(viewLoading.totals[spec.level]).toLocaleString("en");
    parts.push("显示视野内 " + shown + " / " + total + " " + name[0] + " " + name[1] + " in view");
  }
  return parts.join(" · ");
}

/** The note of what is drawn of the levels loaded by view (hidden when the version loaded whole). */
export function showViewExtent() {
  const box = viewExtent.getContainer();
  const text = viewLoading.levels.size ? viewExtentText() : "";
  box.textContent = text;
  box.hidden = !text;
}

function scheduleViewLoad() {
  if (!viewLoading.levels.size) return;
  window.clearTimeout(viewLoading.timer);
  viewLoading.timer = window.setTimeout(() => run(loadView), VIEW_DEBOUNCE_MS);
}
map.on("moveend", scheduleViewLoad);

/** Follow the level layers being switched on and off (called once they exist). */
export function watchLevelLayers() {
  layers.grid.on("add", scheduleViewLoad);
  layers.microgrid.on("add", scheduleViewLoad);
  layers.microgrid.on("remove", showViewExtent);
}

/** Fetch the features of the current view for the levels loaded by view, switched on and close enough: those
 * meeting the view grown by `pad` of its size on each side, for each level whose loaded boxes do not hold the view
 * yet (with `fill`, the grown view: the padding around a first view asked for without). */
export async function loadView({ pad = VIEW_PAD, fill = false } = {}) {
  window.clearTimeout(viewLoading.timer);
  if (!viewLoading.levels.size) return;
  if (fill && viewLoading.controller) return; // the map moved: the load under way pads its own box
  if (viewLoading.controller) viewLoading.controller.abort();
  const controller = new AbortController();
  viewLoading.controller = controller;
  const generation = viewLoading.generation;
  const view = viewBox();
  const box = padBox(view, pad);
  const wanted = LEVELS.filter((spec) => viewLoading.levels.has(spec.level) && levelWanted({
    shown: map.hasLayer(layers[spec.level]),
    zoom: map.getZoom(),
    minZoom: viewLoading.minZoom[spec.level],
    covered: viewLoading.covered[spec.level],
    view: fill ? box : view,
  }));
  let answers;
  try {
    answers = await Promise.all(wanted.map((spec) => fetchBox(spec, box, controller.signal)));
  } catch (err) {
    if (controller.signal.aborted) return; // a newer view took over
    throw err;
  }
  if (controller !== viewLoading.controller || generation !== viewLoading.generation) return;
  viewLoading.controller = null;
  wanted.forEach((spec, i) => {
    mergeFeatures(spec, answers[i].features);
    if (answers[i].complete) viewLoading.covered[spec.level].push(box);
    evictFar(spec);
  });
  viewLoading.renders++;
  document.body.dataset.features = String(state.byCode.size);
  document.body.dataset.viewLoaded = String(viewLoading.renders);
  showViewExtent();
  const drawn = Object.fromEntries(LEVELS.map((spec) => [spec.level, layers[spec.level].getLayers().length]));
  window.dispatchEvent(new CustomEvent("gridmap:view-loaded", { detail: { requested: wanted.map((s) => s.level), drawn } }));
}

function fetchBox(spec, box, signal) {
  // The features of a level meeting `box` (map datum; the API takes WGS-84), up to the level's cache limit.
  const params = versionParams({ bbox: bboxParam(box, state.outputCrs), limit: String(VIEW_PAGE_SIZE) });
  return fetchFeatures(itemsPath(spec.collection, params), { signal, limit: spec.cacheLimit });
}

function mergeFeatures(spec, features) {
  // Keyed by code: a feature already on the map (from an earlier view or a search) is never drawn twice.
  const fresh = new Map();
  for (const feature of features) {
    const code = String(feature.properties.code);
    if (!state.byCode.has(code)) fresh.set(code, feature);
  }
  if (fresh.size) layers[spec.level].addData([...fresh.values()]);
}

function evictFar(spec) {
  const layer = layers[spec.level];
  if (layer.getLayers().length <= spec.cacheLimit) return;
  const keepBox = padBox(viewBox(), KEEP_PAD);
  const keep = L.latLngBounds([keepBox[1], keepBox[0]], [keepBox[3], keepBox[2]]);
  const selected = state.highlighted ? state.highlighted.layer : null;
  for (const shape of layer.getLayers()) {
    if (shape === selected || keep.intersects(shape.getBounds())) continue;
    layer.removeLayer(shape);
    state.byCode.delete(String(shape.feature.properties.code));
  }
  // A box wholly inside `keep` lost nothing: every feature meeting it meets `keep` too.
  viewLoading.covered[spec.level] = viewLoading.covered[spec.level].filter((loaded) => boxContains(keepBox, loaded));
}

/** Fetch a feature not loaded yet by code (with the parents its chain needs), then select it as usual. */
export async function fetchAndSelect(code, zoomTo) {
  const generation = viewLoading.generation;
  let wanted = code;
  while (wanted && !state.byCode.has(wanted)) {
    const page = await request(itemsPath("boundaries", versionParams({ code: wanted, limit: "1" })));
    if (generation !== viewLoading.generation) return;
    const feature = (page.features || [])[0];
    if (!feature || !layers[feature.properties.level]) break;
    if (!state.byCode.has(wanted)) layers[feature.properties.level].addData([feature]);
    wanted = feature.properties.parent ? String(feature.properties.parent) : null;
  }
  if (!state.byCode.has(code)) {
    showStatus("未找到 Not found: " + code, true);
    return;
  }
  document.body.dataset.features = String(state.byCode.size);
  select(code, zoomTo);
}
