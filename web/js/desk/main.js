/* 事件工作台 The incident desk (/desk): grid workers and dispatchers work their queues of incidents. The page's
 * entry module: it reads the server's capabilities, categories and grids, signs in (../sign-in.js), shows the
 * role's queues with counts (queue-list.js, polled by poll.js), and opens an incident in the panel on the
 * #incident=<id> route (incident-view.js), where the actions this user may take are buttons (actions.js). */
import { API, ApiError, fetchFeatures, request } from "../api.js";
import { currentUser, hasRole } from "../session.js";
import { showSignInButton, wireSignIn } from "../sign-in.js";
import { run, showStatus } from "../viewer/status.js";
import { loadCapabilities } from "./capabilities.js";
import { buildFilters, fillGridFilter } from "./filters.js";
import { closeIncident, openIncident, renderIncident, wireIncidentPanel } from "./incident-view.js";
import { drawQueues, loadQueues, wireQueues } from "./queue-list.js";
import { queuesFor } from "./queues.js";
import { refreshNow, startPolling, stopPolling } from "./poll.js";
import { wireScores } from "./scores.js";
import { state } from "./state.js";

const QUEUE_KEY = "gridmapDeskQueue";
const INCIDENT_ROUTE = /^#incident=(.+)$/;

async function loadCategories() {
  for (const service of await request("/open311/v2/services.json")) state.categories.set(String(service.service_code), service.service_name);
}

/** The published grids (names for the filter, outlines for the map), once a member of staff is signed in: where
 * boundaries are not public, nobody else may read them. */
async function loadGrids() {
  if (state.grids.size) return;
  const params = new URLSearchParams({ limit: "1000", crs: state.mapDatum });
  const { features } = await fetchFeatures(API + "/collections/grids/items?" + params);
  for (const feature of features) state.grids.set(String(feature.properties.code), { name: feature.properties.name, feature });
  fillGridFilter();
}

function selectQueue(id) {
  state.selected = id;
  window.sessionStorage.setItem(QUEUE_KEY, id);
  drawQueues();
}

/** The incident open in the panel changed on the server since it was drawn: say so (the step buttons stay). */
function noticeChangedElsewhere() {
  if (!state.open) return;
  for (const result of state.results.values()) {
    const seen = result.incidents.find((incident) => incident.id === state.open.id);
    if (seen && seen.updated_at !== state.open.updated_at) {
      const said = document.getElementById("incident-message");
      if (said.hidden) {
        said.textContent = "此事件已被他人更新，请重新打开。 Someone else changed this incident: reopen it to see how.";
        said.hidden = false;
      }
      return;
    }
  }
}

async function reload() {
  if (!hasRole("worker")) return;
  await run(async () => {
    await loadQueues();
    noticeChangedElsewhere();
  });
}

/** After a search with no result in the queues: the text may be an incident's id (or number) to open. */
async function openSearched() {
  const wanted = state.filters.q;
  const all = state.results.get("all");
  if (!wanted || !all || all.incidents.length || /\s/.test(wanted)) return;
  try {
    renderIncident(await request("incidents/" + encodeURIComponent(wanted), { quiet: true }), "");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
}

async function filtersChanged() {
  if (state.filters.q && state.queues.some((queue) => queue.id === "all")) state.selected = "all";
  await refreshNow();
  await run(openSearched);
}

function route() {
  const match = INCIDENT_ROUTE.exec(window.location.hash);
  if (match && hasRole("worker")) run(() => openIncident(decodeURIComponent(match[1])));
  else closeIncident();
}

/** Show what the signed-in user may see: a member of staff their role's queues, anyone else the sign-in box. */
function shown() {
  showSignInButton();
  const staff = hasRole("worker");
  const user = currentUser();
  state.queues = staff ? queuesFor(user.role, state.caps) : [];
  const remembered = window.sessionStorage.getItem(QUEUE_KEY);
  const ids = state.queues.map((queue) => queue.id);
  state.selected = ids.includes(remembered) ? remembered : ids[0] || "";
  state.results = new Map();
  document.getElementById("desk-needed").hidden = staff;
  document.getElementById("desk").hidden = !staff;
  document.getElementById("role-line").textContent = staff ? user.name : "";
  if (!staff) {
    wireScores(false);
    stopPolling();
    closeIncident();
    document.body.dataset.ready = "true";
    return;
  }
  drawQueues();
  wireScores(hasRole("planner"));
  startPolling(reload);
  run(loadGrids)
    .then(() => refreshNow())
    .then(() => {
      route();
      document.body.dataset.ready = "true";
    });
}

async function start() {
  const [config, caps] = await Promise.all([request("config"), loadCapabilities()]);
  state.caps = caps;
  state.mapDatum = config.output_crs || "wgs84";
  state.tiles = config.tiles;
  await loadCategories();
  buildFilters(() => run(filtersChanged));
  wireQueues(selectQueue, (id) => run(() => openIncident(id)));
  wireIncidentPanel(refreshNow);
  document.getElementById("panel-back").addEventListener("click", () => {
    window.location.hash = "";
  });
  window.addEventListener("hashchange", route);
  wireSignIn(async () => undefined, shown);
  showSignInButton();
}

// The test hook, for tests and the browser console.
window.gridmapDesk = { state, refreshNow, showStatus };

start().catch((err) => {
  showStatus("页面加载失败，请刷新重试。 The page failed to load: " + err.message, true);
  document.body.dataset.error = err.message;
  document.body.dataset.ready = "true";
});
