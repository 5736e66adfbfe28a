/* The statistics table (统计表): one row per community, grid or microgrid in the view or in a chosen community,
 * from GET /api/v1/grid-stats. Sortable by any column (click its header), a row click zooms to the area and
 * highlights it, and CSV and XLSX downloads ask the API with the same filters.
 *
 * The panel lies under the map, which shrinks while it is open; on a phone it folds to its title bar. The
 * columns are those the API gives the caller (household figures only to planners), so the table follows the
 * role without knowing it. Notes from the API (what was left out and why) are shown under the table.
 *
 * Loaded on first use (main.js: the button, or the test hook), not with the page; it wires its controls then.
 */
import { API, request } from "../api.js";
import { el } from "../dom.js";
import { downloadWithToken } from "../downloads.js";
import { sortableTable } from "../sortable-table.js";
import { statsQuery } from "../stats-rows.js";
import { bboxParam } from "../view-math.js";
import { select } from "./boundaries.js";
import { map, viewBox } from "./map.js";
import { LEVEL_NAMES, state } from "./state.js";
import { run } from "./status.js";

const IN_VIEW = ""; // the scope picker's value for "the areas in the view"
const RELOAD_DELAY_MS = 400;

const panel = document.getElementById("stats");
const table = {
  body: null, // the last answer
  sortKey: null,
  descending: false,
  chosen: null, // the code of the row clicked last
  keepRows: false, // the next map move is the zoom to a clicked row: the rows stay as they are
  generation: 0,
  timer: null,
};

/** Whether the panel is open. */
export function statsOpen() {
  return !panel.hidden;
}

function filters(format) {
  const scope = document.getElementById("stats-scope").value;
  return statsQuery({
    version: state.version ? state.version.id : null,
    level: document.getElementById("stats-level").value,
    community: scope || null,
    bbox: scope === IN_VIEW ? bboxParam(viewBox(), state.outputCrs) : null,
    format,
  });
}

/** Fetch the rows for the current filters and draw them (an older answer arriving late is dropped). */
export async function loadStats() {
  if (!statsOpen()) return;
  const generation = ++table.generation;
  panel.dataset.state = "loading";
  const body = await request("grid-stats?" + filters());
  if (generation !== table.generation) return;
  table.body = body;
  if (table.sortKey && !body.columns.some((c) => c.key === table.sortKey)) table.sortKey = null;
  drawTable();
  updateDownloads();
  panel.dataset.state = "loaded";
  panel.dataset.rows = String(body.rows.length);
}

function drawTable() {
  const { columns, rows, notes } = table.body;
  const parts = sortableTable(columns, rows, { key: table.sortKey, descending: table.descending }, sortBy, (row) => ({
    tabindex: "0",
    class: row.code === table.chosen ? "chosen" : "",
    "data-code": row.code,
    onclick: () => zoomTo(row.code),
    onkeydown: (event) => { if (event.key === "Enter") zoomTo(row.code); },
  }));
  const empty = rows.length ? null : el("li", null, "此范围内没有区域 No areas here");
  document.getElementById("stats-table").replaceChildren(...parts);
  document.getElementById("stats-notes").replaceChildren(empty, ...notes.map((note) => el("li", null, note)));
}

function sortBy(key) {
  table.descending = table.sortKey === key ? !table.descending : false;
  table.sortKey = key;
  drawTable();
}

function zoomTo(code) {
  table.chosen = code;
  table.keepRows = true;
  for (const row of document.querySelectorAll("#stats-table tbody tr")) row.classList.toggle("chosen", row.dataset.code === code);
  select(String(code), true);
}

function updateDownloads() {
  for (const format of ["csv", "xlsx"]) {
    const link = document.getElementById("stats-" + format);
    link.href = API + "/grid-stats?" + filters(format);
    link.setAttribute("download", "grid-stats." + format);
  }
}

/** The scope picker's communities: those of the loaded version, by name. */
function fillCommunities() {
  const picker = document.getElementById("stats-scope");
  const chosen = picker.value;
  const communities = [...state.byCode.values()].filter((entry) => entry.level === "community")
    .map((entry) => entry.feature.properties)
    .sort((a, b) => String(a.code).localeCompare(String(b.code)));
  picker.replaceChildren(el("option", { value: IN_VIEW }, "视图内 In view"),
    ...communities.map((p) => el("option", { value: String(p.code) }, p.name + " · " + p.code)));
  picker.value = communities.some((p) => String(p.code) === chosen) ? chosen : IN_VIEW;
}

function setOpen(open) {
  panel.hidden = !open;
  document.getElementById("stats-button").setAttribute("aria-expanded", String(open));
  document.body.dataset.stats = open ? "open" : "";
  map.invalidateSize();
  if (open) {
    fillCommunities();
    run(loadStats);
  }
}

function reloadSoon() {
  window.clearTimeout(table.timer);
  table.timer = window.setTimeout(() => run(loadStats), RELOAD_DELAY_MS);
}

/** Open the panel when it is closed, close it when it is open (its button). */
export function toggleStats() {
  setOpen(panel.hidden);
}

/** Wire the panel's controls and the map: the rows follow the view while "in view" is chosen. */
function wireStatsTable() {
  document.getElementById("stats-close").addEventListener("click", () => setOpen(false));
  document.getElementById("stats-fold").addEventListener("click", (event) => {
    const folded = panel.classList.toggle("folded");
    event.currentTarget.setAttribute("aria-expanded", String(!folded));
    map.invalidateSize();
  });
  for (const id of ["stats-scope", "stats-level"]) {
    document.getElementById(id).addEventListener("change", () => run(loadStats));
  }
  for (const format of ["csv", "xlsx"]) {
    document.getElementById("stats-" + format).addEventListener("click", (event) => run(() => downloadWithToken(event)));
  }
  map.on("moveend", () => {
    if (table.keepRows) {
      table.keepRows = false;
      return;
    }
    if (statsOpen() && document.getElementById("stats-scope").value === IN_VIEW) reloadSoon();
  });
  // A version loaded (chosen, or reloaded after signing in or out): its communities and rows.
  new MutationObserver(() => {
    if (!statsOpen() || document.body.dataset.loaded !== "true") return;
    fillCommunities();
    reloadSoon();
  }).observe(document.body, { attributes: true, attributeFilter: ["data-loaded"] });
  document.getElementById("stats-level").replaceChildren(...["community", "grid", "microgrid"].map((level) =>
    el("option", { value: level }, LEVEL_NAMES[level])));
  document.getElementById("stats-level").value = "grid";
}

wireStatsTable();
