/* The draft's features on the map: one layer per level, loaded by view (only the levels shown while editing the
 * chosen level, each from the zoom where it is useful: see levelsShown, MIN_ZOOM), kept by feature id, replaced by
 * what each edit answers, and selected by click.
 *
 * Below a level's FULL_ZOOM its outlines are asked for simplified (the API's coverage simplification, shared
 * borders kept shared) and marked `simplified`: they are drawn and can be selected, merged or renamed, but only a
 * full-resolution feature gets vertex handles (vertices.js). Closer in, the view's features are loaded again at
 * full resolution and replace the simplified ones, and the level's simplified outlines elsewhere are dropped.
 * A level with more than VIEW_BUDGET features in the view is not loaded (the page asks to zoom in). Features far
 * outside the view are dropped once many are held.
 *
 * Features are kept as the API gave them (WGS-84 GeoJSON with their revision): the vertex an edit names is
 * taken from there, never from the screen, so that it is exactly the stored one. They are drawn in the map's
 * datum (map.js toLatLng). */
import { colourFor } from "../colours.js";
import { el } from "../dom.js";
import { viewFeaturesOf } from "./draft-api.js";
import { levelsShown } from "./geometry.js";
import { L } from "./geoman.js";
import { map, toLatLng, viewBboxParam } from "./map.js";
import { state } from "./state.js";
import { FULL_ZOOM, replacesHeld, simplifyTolerance } from "./status-text.js";
import { run, showStatus } from "../viewer/status.js";

const VIEW_PAD = 0.25; // the box asked for: the view grown by this share of its size on each side
const VIEW_BUDGET = 3000; // a level with more features than this in the box asked for is not loaded: zoom in
const VIEW_DEBOUNCE_MS = 150;
// From which zoom a level is loaded by view: far out, ten thousand grids would be neither useful nor editable.
const MIN_ZOOM = { community: 0, grid: 13, microgrid: 15 };
const LEVELS = ["community", "grid", "microgrid"];
const LEVEL_WORDS = { community: "社区", grid: "网格", microgrid: "微网格" };
const MAX_HELD = 8000; // above this many features held, those far outside the view are dropped
const KEEP_PAD = 1.5; // ... those outside the view grown by this share of its size on each side

/** level -> its GeoJSON layer. */
export const layers = {};
for (const level of LEVELS) {
  layers[level] = L.geoJSON(null, {
    pane: level + "Pane",
    pmIgnore: false,
    coordsToLatLng: (coords) => toLatLng(coords),
    style: (feature) => styleFor(level, feature),
    onEachFeature: (feature, layer) => bindFeature(level, feature, layer),
  });
}

const listeners = { select: [] };
let viewTimer = null;
let viewController = null;
// level -> the tolerance (metres) within which every feature of the level is held simplified (main.js's overview of
// the communities): a view that wants the level no finer is drawn from what is held, without asking again.
const wholeHeld = {};

/** Call `handler(entries)` whenever the selection changes. */
export function onSelectionChange(handler) {
  listeners.select.push(handler);
}

function styleFor(level, feature) {
  const id = String(feature.id);
  const rank = state.selected.indexOf(id);
  if (level !== state.level) {
    return { color: level === "community" ? "#16324f" : "#7b8a99", weight: level === "community" ? 3 : 1,
      dashArray: level === "microgrid" ? "3 3" : null, fill: false, opacity: 0.8, interactive: false };
  }
  if (rank === 0) return { color: "#e8590c", weight: 4, opacity: 1, fillColor: "#ffa94d", fillOpacity: 0.35 };
  if (rank === 1) return { color: "#7048e8", weight: 4, opacity: 1, fillColor: "#b197fc", fillOpacity: 0.35 };
  const colour = colourFor(feature.properties.code);
  return { color: colour, weight: 1.5, opacity: 0.9, fillColor: colour, fillOpacity: 0.18 };
}

function bindFeature(level, feature, layer) {
  const p = feature.properties;
  state.byId.set(String(feature.id), { feature, layer, level, simplified: Boolean(feature.simplified) });
  if (level !== state.level) return;
  layer.bindTooltip(el("span", null, p.name || "", el("span", { class: "code" }, p.code || "")), {
    direction: "center", className: "label label-" + level, interactive: false,
  });
  layer.on("click", (event) => {
    if (state.tool !== "select") return; // a drawing tool takes the click
    L.DomEvent.stopPropagation(event);
    const additive = event.originalEvent && (event.originalEvent.shiftKey || event.originalEvent.ctrlKey);
    select(String(feature.id), additive);
  });
}

/** Select feature `id` (null: nothing); `additive` keeps the first one selected and adds this one as the second. */
export function select(id, additive = false) {
  const before = state.selected.slice();
  if (id === null) state.selected = [];
  else if (additive && state.selected.length && !state.selected.includes(id)) state.selected = [state.selected[0], id];
  else state.selected = [id];
  restyle([...before, ...state.selected]);
  for (const handler of listeners.select) handler(state.selected.map((s) => state.byId.get(s)).filter(Boolean));
}

function restyle(ids) {
  for (const id of new Set(ids)) {
    const entry = state.byId.get(id);
    if (entry) entry.layer.setStyle(styleFor(entry.level, entry.feature));
  }
}

map.on("click", () => {
  if (state.tool === "select" && state.selected.length) select(null);
});

/** Drop every feature (a new draft or level is chosen). */
export function clearFeatures() {
  if (viewController) viewController.abort();
  for (const level of LEVELS) delete wholeHeld[level];
  for (const level of LEVELS) layers[level].clearLayers();
  state.byId.clear();
  select(null);
}

/** Put the layers of the levels shown for the edited level on the map, the others off it. */
export function showLevels() {
  const shown = levelsShown(state.level);
  for (const level of LEVELS) {
    if (shown.includes(level)) layers[level].addTo(map);
    else map.removeLayer(layers[level]);
  }
  // The edited level above its context (a click inside a grid reaches the grid, not the community over it).
  LEVELS.forEach((level, i) => {
    map.getPane(level + "Pane").style.zIndex = level === state.level ? "440" : String(410 + 10 * i);
  });
}

/** Fetch the features of the view for the levels shown and close enough, simplified below their full-resolution
 * zoom; features already drawn stay as they are (an edit's answer keeps them current) unless full resolution
 * replaces a simplified outline. Sets body[data-view-loaded] to a growing counter when done. */
export async function loadView() {
  window.clearTimeout(viewTimer);
  viewTimer = null;
  if (!state.draft) {
    delete document.body.dataset.viewLoading;
    return;
  }
  if (viewController) viewController.abort();
  const controller = new AbortController();
  viewController = controller;
  const bbox = viewBboxParam(VIEW_PAD);
  const zoom = map.getZoom();
  const lat = map.getCenter().lat;
  const wanted = levelsShown(state.level).filter((level) => zoom >= MIN_ZOOM[level] && !heldFineEnough(level, zoom, lat));
  const tolerances = wanted.map((level) => simplifyTolerance(level, zoom, lat));
  let answers;
  try {
    answers = await Promise.all(wanted.map((level, i) =>
      viewFeaturesOf(level, { bbox, simplify: tolerances[i], budget: VIEW_BUDGET, signal: controller.signal })));
  } catch (err) {
    if (controller.signal.aborted) return;
    throw err;
  }
  if (controller !== viewController) return;
  viewController = null;
  wanted.forEach((level, i) => {
    addFeatures(answers[i].features, tolerances[i] !== null);
    if (zoom >= FULL_ZOOM[level]) dropSimplified(level);
  });
  dropFarFeatures();
  const edited = wanted.indexOf(state.level);
  if (zoom < MIN_ZOOM[state.level] || (edited >= 0 && answers[edited].overBudget)) {
    showStatus("放大以编辑" + LEVEL_WORDS[state.level] + " Zoom in to edit " + state.level + "s");
  }
  document.body.dataset.features = String(state.byId.size);
  if (viewTimer === null) delete document.body.dataset.viewLoading; // else a newer view is about to load
  document.body.dataset.viewLoaded = String(Number(document.body.dataset.viewLoaded || 0) + 1);
}

function heldFineEnough(level, zoom, lat) {
  // The whole level is held simplified within the tolerance the zoom wants, or finer.
  const wanted = simplifyTolerance(level, zoom, lat);
  return wanted !== null && wholeHeld[level] !== undefined && wholeHeld[level] <= wanted;
}

/** Draw every feature of `level`, simplified within `tolerance` metres (an overview): a view wanting the level no
 * finer is then drawn without asking for it again, until some of those features are dropped. */
export function addWholeLevel(level, features, tolerance) {
  addFeatures(features, true);
  wholeHeld[level] = tolerance;
}

/** Draw the features of an answer (`simplified`: outlines for display only) that are not held yet, or held
 * only simplified when these are full resolution. */
function addFeatures(features, simplified) {
  const fresh = features.filter((f) => replacesHeld(state.byId.get(String(f.id)), simplified));
  if (!fresh.length) return;
  if (simplified) for (const feature of fresh) feature.simplified = true;
  replaceFeatures(fresh);
}

/** Drop the simplified outlines of `level` still held (never a selected one): at its full-resolution zoom those in
 * view were just replaced, and those outside it are no longer needed. */
function dropSimplified(level) {
  for (const [id, entry] of [...state.byId]) {
    if (entry.level === level && entry.simplified && !state.selected.includes(id)) {
      removeFeature(id);
      delete wholeHeld[level];
    }
  }
}

/** Once many features are held, drop those far outside the view (never a selected one). */
function dropFarFeatures() {
  if (state.byId.size <= MAX_HELD) return;
  const keep = map.getBounds().pad(KEEP_PAD);
  for (const [id, entry] of [...state.byId]) {
    if (!state.selected.includes(id) && !keep.intersects(entry.layer.getBounds())) {
      removeFeature(id);
      delete wholeHeld[entry.level];
    }
  }
}

map.on("moveend", () => {
  window.clearTimeout(viewTimer);
  if (state.draft) document.body.dataset.viewLoading = "true";
  viewTimer = window.setTimeout(() => {
    viewTimer = null;
    run(loadView);
  }, VIEW_DEBOUNCE_MS);
});

/** Replace the features an edit answered (GeoJSON with their new revisions) and drop the `deleted` ids; new
 * features of a shown level are drawn. The selection keeps the ids still there. */
export function replaceFeatures(features, deleted = []) {
  for (const id of deleted) removeFeature(String(id));
  const shown = levelsShown(state.level);
  for (const feature of features) {
    const id = String(feature.id);
    const old = state.byId.get(id);
    const level = old ? old.level : feature.properties.level;
    if (old) removeFeature(id);
    if (shown.includes(level) && layers[level]) layers[level].addData(feature);
  }
  const kept = state.selected.filter((id) => state.byId.has(id));
  if (kept.length !== state.selected.length || features.some((f) => state.selected.includes(String(f.id)))) {
    select(kept[0] || null);
    if (kept[1]) select(kept[1], true);
  }
  document.body.dataset.features = String(state.byId.size);
}

function removeFeature(id) {
  const entry = state.byId.get(id);
  if (!entry) return;
  if (entry.layer.pm && entry.layer.pm.enabled()) entry.layer.pm.disable();
  layers[entry.level].removeLayer(entry.layer);
  state.byId.delete(id);
}

/** Draw the features as they are kept again (after a refused edit moved one on screen only). */
export function redraw(ids) {
  replaceFeatures(ids.map((id) => state.byId.get(id)).filter(Boolean).map((entry) => entry.feature));
}

/** Every feature drawn, whatever its level (a vertex is shared across levels); simplified ones too, whose
 * revisions still count for an If-Match. */
export function allFeatures() {
  return [...state.byId.values()].map((entry) => entry.feature);
}
