/* The selection panel and the attribute form: what is selected, and its name, worker, households target and code
 * (an `attributes` edit; a code change re-prefixes the children's codes on the server). */
import { el, factsList } from "../dom.js";
import { LEVEL_NAMES } from "../viewer/state.js";
import { showStatus } from "../viewer/status.js";
import { applyEdit } from "./edits.js";
import { onSelectionChange } from "./layers.js";
import { state } from "./state.js";

const FIELDS = ["name", "worker", "households_target", "code"];

function showSelection(entries) {
  const box = document.getElementById("selection");
  const form = document.getElementById("attributes");
  const rows = entries.map((entry, i) => {
    const p = entry.feature.properties;
    return el("div", { class: "selected-feature rank-" + i, "data-id": String(entry.feature.id) },
      el("h3", null, (i === 0 ? "① " : "② ") + (p.name || "—")),
      el("span", { class: "level-tag " + entry.level }, LEVEL_NAMES[entry.level] || entry.level),
      factsList([
        ["编码 Code", el("span", { class: "code" }, p.code)],
        ["网格员 Worker", p.worker || "—"],
        ["目标户数 Households", p.households_target ?? "—"],
        ["修订 Revision", String(p.revision)],
      ]));
  });
  box.replaceChildren(el("h2", { class: "panel-title" }, "所选要素 ", el("small", null, "Selection")),
    ...(rows.length ? rows : [el("p", { class: "hint" }, "点击要素选择它；Shift+点击再选一个。", el("br"),
      el("small", null, "Click a feature; Shift+click selects a second one."))]));
  box.dataset.selected = entries.map((entry) => String(entry.feature.id)).join(",");
  form.hidden = entries.length !== 1;
  if (entries.length === 1) fillForm(entries[0].feature.properties);
}

function fillForm(p) {
  const form = document.getElementById("attribute-form");
  for (const name of FIELDS) form.elements[name].value = p[name] ?? "";
}

document.getElementById("attribute-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const entry = state.byId.get(state.selected[0]);
  if (!entry || state.selected.length !== 1) return;
  const form = event.target;
  const values = {};
  for (const name of FIELDS) {
    const raw = form.elements[name].value.trim();
    const value = name === "households_target" ? (raw === "" ? null : Number(raw)) : raw;
    if (value !== (entry.feature.properties[name] ?? (name === "households_target" ? null : ""))) values[name] = value;
  }
  if (!Object.keys(values).length) {
    showStatus("没有改动 Nothing changed");
    return;
  }
  applyEdit({ op: "attributes", feature: String(entry.feature.id), values }, [entry.feature]);
});

onSelectionChange(showSelection);
