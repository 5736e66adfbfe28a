/* The gridmap boundary editor (/edit): planners edit a draft of a boundary set on the map, every edit an operation
 * the server applies to the whole coverage and checks. The page's entry module: it picks the set and the draft
 * (or starts one from the published version), wires the parts and starts.
 *
 * Parts: state.js (what is held), draft-api.js (the API calls), layers.js (features by view, simplified far out,
 * selection), vertices.js (vertex dragging), tools.js (drawing, merge, delete, undo/redo, keys), create.js (a new
 * feature on a gap), selection.js (panel and attribute form), edits.js (sending an edit), refusal.js and
 * conflict.js (a refused edit explained), history.js, draft-status.js with check-panel.js, diff-panel.js and
 * impact-panel.js (the live panels), publish.js. Same origin only, as the viewer (../viewer/main.js).
 */
import { request } from "../api.js";
import { baseMapLayer } from "../base-map.js";
import { showSignInButton, wireSignIn } from "../sign-in.js";
import { run, showStatus } from "../viewer/status.js";
import { problemsLayer } from "./check-panel.js";
import "./create.js";
import { diffLayer } from "./diff-panel.js";
import { featuresOf, listSets, listVersions, startDraft } from "./draft-api.js";
import { refreshStatus } from "./draft-status.js";
import { refreshHistory } from "./history.js";
import { addWholeLevel, clearFeatures, layers, loadView, select, showLevels } from "./layers.js";
import { map, toLonLat } from "./map.js";
import { onPublished } from "./publish.js";
import { clearRefusal, refusalLayer } from "./refusal.js";
import "./selection.js";
import { state } from "./state.js";
import { setTool } from "./tools.js";
import { vertexEditing } from "./vertices.js";

const STATUS_NAMES = { published: "已发布 published", draft: "草稿 draft", retired: "已停用 retired" };
const wantedDraft = new URLSearchParams(window.location.search).get("draft");
// The communities frame the draft when it is opened: all of them, outlines simplified (a county holds a few
// thousand; the view's are loaded again at full resolution when the map comes close).
const OVERVIEW_SIMPLIFY_M = 16;

let baseMap = null;

function addBaseMap(tiles) {
  if (baseMap) return;
  baseMap = baseMapLayer(tiles);
  if (baseMap) baseMap.addTo(map);
}

async function loadSets() {
  state.sets = await listSets();
  const picker = document.getElementById("set-picker");
  picker.replaceChildren(...state.sets.map((s) => new Option(s.title || s.name, s.name)));
  state.set = state.sets.find((s) => s.published_version !== null && s.published_version !== undefined) || state.sets[0] || null;
  if (state.set) picker.value = state.set.name;
}

/** Fill the draft picker with the set's drafts, newest first; choose `preferred` (an id) or the newest. */
async function loadDrafts(preferred) {
  const picker = document.getElementById("draft-picker");
  state.versions = state.set ? await listVersions() : [];
  const drafts = state.versions.filter((v) => v.status === "draft");
  picker.replaceChildren(new Option("— 无 none —", ""),
    ...drafts.map((v) => new Option("v" + v.id + " · " + (v.reason || v.created_by || ""), String(v.id))));
  const chosen = drafts.find((v) => String(v.id) === String(preferred)) || drafts[0] || null;
  picker.value = chosen ? String(chosen.id) : "";
  await chooseDraft(chosen);
}

/** Edit `draft` (null: none): draw its communities, frame them, load the view, its history and its status. */
async function chooseDraft(draft) {
  delete document.body.dataset.ready; // set again once the draft's view is drawn
  setTool("select");
  clearRefusal();
  clearFeatures();
  state.draft = draft;
  const badge = document.getElementById("version-status");
  badge.hidden = !draft;
  if (draft) {
    badge.className = "badge draft";
    badge.textContent = STATUS_NAMES.draft + " v" + draft.id;
  }
  document.body.dataset.draft = draft ? String(draft.id) : "";
  showLevels();
  await refreshHistory();
  if (!draft) {
    await refreshStatus();
    document.body.dataset.ready = "true";
    return;
  }
  const communities = await featuresOf("community", { simplify: OVERVIEW_SIMPLIFY_M });
  addWholeLevel("community", communities.features, OVERVIEW_SIMPLIFY_M);
  const bounds = layers.community.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], animate: false });
  await loadView();
  document.body.dataset.ready = "true";
  await refreshStatus();
}

async function newDraft() {
  if (!state.set) return;
  const base = state.set.published_version;
  if (base === null || base === undefined) {
    showStatus("该边界集尚无已发布版本 The set has no published version to start from", true);
    return;
  }
  const draft = await startDraft(base, "在编辑器中新建 Started in the editor");
  showStatus("已新建草稿 New draft v" + draft.id);
  await loadDrafts(draft.id);
}

async function start() {
  delete document.body.dataset.ready;
  state.config = await request("config");
  state.outputCrs = state.config.output_crs || "wgs84";
  addBaseMap(state.config.tiles);
  await loadSets();
  await loadDrafts(wantedDraft);
}

document.getElementById("set-picker").addEventListener("change", (event) => run(async () => {
  state.set = state.sets.find((s) => s.name === event.target.value) || null;
  await loadDrafts(null);
}));
document.getElementById("draft-picker").addEventListener("change", (event) => run(async () => {
  await chooseDraft(state.versions.find((v) => String(v.id) === event.target.value) || null);
}));
document.getElementById("level-picker").addEventListener("change", (event) => run(async () => {
  state.level = event.target.value;
  await chooseDraft(state.draft);
}));
document.getElementById("new-draft").addEventListener("click", () => run(newDraft));
onPublished(async (published) => {
  await loadSets();
  state.set = state.sets.find((s) => s.name === published.set) || state.set;
  await loadDrafts(null);
});
// The test hook, for tests and the browser console: the map, the features held, a few actions.
window.gridmapEditor = {
  map,
  layers,
  refusalLayer,
  problemsLayer,
  diffLayer,
  state,
  select: (id, additive) => select(String(id), Boolean(additive)),
  feature: (id) => (state.byId.get(String(id)) || {}).feature || null,
  toLonLat,
  setTool,
  vertexEditing,
};

wireSignIn(() => run(start), showSignInButton);
showSignInButton();
run(start);
