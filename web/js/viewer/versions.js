/* The boundary set and version pickers. */
import { request } from "../api.js";
import { el } from "../dom.js";
import { newestFirst, openedSet, openedVersion, versionsPath } from "./opening.js";
import { state } from "./state.js";
import { run } from "./status.js";
import { loadVersion } from "./view-loading.js";

const STATUS_NAMES = { published: "已发布 published", draft: "草稿 draft", retired: "已停用 retired" };

function versionLabel(v) {
  return "v" + v.id + " · " + (STATUS_NAMES[v.status] || v.status) + " · " + v.feature_count + " 个要素";
}

/** Fill the set picker (shown only when there are several) and choose the first set with a published version;
 * `ask` makes the request (api.js's request, or first-requests.js's firstAnswer on opening). */
export async function loadSets(ask) {
  const body = await ask("boundary-sets");
  state.sets = body.boundary_sets || [];
  const picker = document.getElementById("set-picker");
  picker.replaceChildren(...state.sets.map((s) => el("option", { value: s.name }, s.title || s.name)));
  document.getElementById("set-control").hidden = state.sets.length < 2;
  state.set = openedSet(state.sets);
  if (state.set) picker.value = state.set.name;
}

/** Fill the version picker with the chosen set's versions, newest first, and choose the published one; `ask` makes
 * the request (as loadSets's). */
export async function loadVersions(ask = request) {
  const picker = document.getElementById("version-picker");
  if (!state.set) {
    state.versions = [];
    picker.replaceChildren(el("option", { value: "" }, "—"));
    return;
  }
  const body = await ask(versionsPath(state.set));
  state.versions = newestFirst(body.versions || []);
  picker.replaceChildren(...state.versions.map((v) => el("option", { value: String(v.id) }, versionLabel(v))));
  state.version = openedVersion(state.versions);
  if (state.version) picker.value = String(state.version.id);
  showVersionBadge();
}

/** Choose version `id` of the set in the picker, when the set has it (the caller loads it); whether it did. */
export function chooseVersion(id) {
  const version = state.versions.find((v) => v.id === id);
  if (!version) return false;
  state.version = version;
  document.getElementById("version-picker").value = String(id);
  showVersionBadge();
  return true;
}

function showVersionBadge() {
  const badge = document.getElementById("version-status");
  if (!state.version) {
    badge.hidden = true;
    return;
  }
  badge.hidden = false;
  badge.className = "badge " + state.version.status;
  badge.textContent = STATUS_NAMES[state.version.status] || state.version.status;
}

document.getElementById("set-picker").addEventListener("change", async (event) => {
  state.set = state.sets.find((s) => s.name === event.target.value) || null;
  await run(async () => {
    await loadVersions();
    await loadVersion();
  });
});
document.getElementById("version-picker").addEventListener("change", async (event) => {
  state.version = state.versions.find((v) => String(v.id) === event.target.value) || null;
  showVersionBadge();
  await run(loadVersion);
});
