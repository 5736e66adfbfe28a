/* A link to the view: the URL's hash follows the map (centre and zoom), the boundary version, the layers switched on,
 * the incident filters and the choropleth choices (share-link.js); opening a link with such a hash, or pasting one
 * into the address bar, restores them. The copy button puts the link on the clipboard. Restoring sets
 * `document.body.dataset.shareRestored` to a growing counter.
 */
import * as L from "leaflet";

import { el } from "../dom.js";
import { decodeShareState, encodeShareState } from "../share-link.js";
import { layers } from "./boundaries.js";
import { loadPeriods } from "./incident-filters.js";
import { areaLayer, heatLayer, incidentLayer, incidentState } from "./incident-state.js";
import { ensureCategories, incidentsHook } from "./incidents.js";
import { map } from "./map.js";
import { problemLayer } from "./problems.js";
import { LEVELS, state } from "./state.js";
import { run, showStatus } from "./status.js";
import { facilityLayer, householdToggle, lifecircleToggle, refreshThematic, thematic } from "./thematic.js";
import { chooseVersion } from "./versions.js";
import { loadVersion } from "./view-loading.js";

const WRITE_DEBOUNCE_MS = 250;
const FILTER_FIELDS = { category: "incident-category", status: "incident-status", from: "incident-from", to: "incident-to", step: "incident-step" };
const field = (id) => document.getElementById(id);

const sharing = {
  following: false, // the hash follows the view (not while a version loads and a link is restored)
  referenceLayers: new Map(), // name -> layer, filled by main.js as the reference layers arrive
  restored: 0,
  timer: null,
};

function shareableLayers() {
  // id -> layer: the ids a link names its layers by.
  const entries = [
    ...LEVELS.map((spec) => [spec.level, layers[spec.level]]),
    ["households", householdToggle], ["lifecircle", lifecircleToggle], ["facilities", facilityLayer],
    ["incidents", incidentLayer], ["heat", heatLayer], ["areas", areaLayer], ["problems", problemLayer],
  ];
  if (state.baseMap) entries.push(["base", state.baseMap]);
  for (const [name, layer] of sharing.referenceLayers) entries.push(["ref:" + name, layer]);
  return new Map(entries);
}

function currentView() {
  const centre = map.getCenter();
  const filters = Object.fromEntries(Object.entries(FILTER_FIELDS).map(([key, id]) => [key, field(id).value]));
  const period = filters.step ? incidentState.periods[Number(field("incident-slider").value)] : null;
  if (period) filters.period = period.since;
  return {
    centre: [centre.lat, centre.lng],
    zoom: map.getZoom(),
    version: state.version ? state.version.id : null,
    layers: [...shareableLayers()].filter(([, layer]) => map.hasLayer(layer)).map(([id]) => id),
    filters,
    measure: thematic.mode === "lifecircle" ? thematic.measure : null,
    rate: field("incident-rate").value,
  };
}

/** The link to the view as it is now. */
export function shareUrl() {
  return window.location.href.split("#")[0] + "#" + encodeShareState(currentView());
}

function writeHash() {
  window.clearTimeout(sharing.timer);
  if (sharing.following) window.history.replaceState(null, "", shareUrl());
}

function scheduleWrite() {
  window.clearTimeout(sharing.timer);
  if (sharing.following) sharing.timer = window.setTimeout(writeHash, WRITE_DEBOUNCE_MS);
}

/** Stop the hash following the view (a version is loading; the link is restored after it). */
export function holdShareLink() {
  window.clearTimeout(sharing.timer);
  sharing.following = false;
}

/** Choose the version the opened link names, when the set has it (before the caller loads a version). */
export function chooseSharedVersion() {
  const { version } = decodeShareState(window.location.hash);
  if (version) chooseVersion(version);
}

async function restoreFilters(view) {
  const { filters } = view;
  if (filters.category) await ensureCategories();
  for (const [key, id] of Object.entries(FILTER_FIELDS)) {
    if (filters[key] !== undefined) field(id).value = filters[key];
  }
  if (view.rate) field("incident-rate").value = view.rate;
  if (view.measure && view.measure !== thematic.measure) {
    thematic.measure = view.measure;
    if (thematic.mode === "lifecircle") await refreshThematic();
  }
  await loadPeriods();
  const index = filters.period ? incidentState.periods.findIndex((p) => p.since === filters.period) : -1;
  if (index >= 0) {
    field("incident-slider").value = String(index);
    field("incident-slider").dispatchEvent(new Event("input"));
  }
}

function restoreLayers(wanted) {
  // Switched off first, so that a choropleth coming on does not meet the one going off.
  const registry = [...shareableLayers()];
  for (const [id, layer] of registry) if (!wanted.includes(id) && map.hasLayer(layer)) map.removeLayer(layer);
  for (const [id, layer] of registry) if (wanted.includes(id) && !map.hasLayer(layer)) map.addLayer(layer);
}

/** Restore what the page's hash says (after the version it names is loaded), then let the hash follow the view. */
export async function restoreSharedView(referenceReady) {
  const view = decodeShareState(window.location.hash);
  await referenceReady;
  await restoreFilters(view);
  if (view.layers) restoreLayers(view.layers);
  if (view.centre) map.setView(view.centre, view.zoom, { animate: false });
  if (map.hasLayer(incidentLayer) || map.hasLayer(heatLayer) || map.hasLayer(areaLayer)) await incidentsHook.refresh();
  sharing.following = true;
  writeHash();
  sharing.restored++;
  document.body.dataset.shareRestored = String(sharing.restored);
}

async function followPastedLink() {
  // A link pasted into the address bar of an open viewer changes only the hash: restore it in place.
  if (window.location.hash.slice(1) === encodeShareState(currentView())) return;
  const { version } = decodeShareState(window.location.hash);
  holdShareLink();
  if (version && (!state.version || state.version.id !== version) && chooseVersion(version)) await loadVersion();
  await restoreSharedView();
}

async function copyLink() {
  writeHash();
  const url = shareUrl();
  try {
    await navigator.clipboard.writeText(url);
    showStatus("已复制链接 Link copied");
  } catch {
    showStatus("请从地址栏复制链接 Copy the link from the address bar", true);
  }
  document.body.dataset.linkCopied = url;
}

/** Follow the view into the hash; `referenceLayers` (name -> layer) fills as they load. */
export function wireShareLink(referenceLayers) {
  sharing.referenceLayers = referenceLayers;
  map.on("moveend overlayadd overlayremove", scheduleWrite);
  for (const id of [...Object.values(FILTER_FIELDS), "incident-slider", "incident-rate", "lifecircle-measure", "version-picker"]) {
    field(id).addEventListener("change", scheduleWrite);
  }
  field("incident-slider").addEventListener("input", scheduleWrite);
  window.addEventListener("hashchange", () => run(followPastedLink));
}

/** The button copying the link, on the map under its other tools (map-tools.js). */
export function addShareButton() {
  const shareControl = L.control({ position: "topleft" });
  shareControl.onAdd = () => {
    const bar = el("div", { class: "leaflet-bar map-tools" }, el("button", {
      type: "button", id: "share-link", title: "复制本视图的链接 Copy a link to this view", "aria-label": "复制链接 Copy a link to this view",
      onclick: () => run(copyLink),
    }, "链接 Link"));
    L.DomEvent.disableClickPropagation(bar);
    return bar;
  };
  shareControl.addTo(map);
}
