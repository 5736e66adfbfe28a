/* The incident panel's buttons: what this user may do to the incident now (workflow.js `actionsFor`: its
 * workflow steps, the field loop's verifications and checks, photos, sending back, the time limit's requests and
 * decisions), each opening a small form for what it needs (a note, the original of a duplicate, hours, the grid,
 * photos and their kind) and sent to its route under /incidents/{id}/. A
 * step refused because somebody acted first (409, or 412 from a server that checks versions) is explained with
 * who acted, from the incident as it is now. */
import { ApiError, request } from "../api.js";
import { el } from "../dom.js";
import { chinaTime } from "../periods.js";
import { currentUser } from "../session.js";
import { state } from "./state.js";
import { actionsFor, staleWording } from "./workflow.js";

const STALE = [409, 412];

function noteField(action) {
  return el("label", { class: "action-field" },
    el("span", null, action.noteRequired ? "说明（必填） Note (required)" : "说明 Note"),
    el("textarea", { name: "note", rows: "3", maxlength: "2000", ...(action.noteRequired ? { required: "" } : {}) }));
}

function gridField(incident) {
  const choices = [incident.grid, ...(incident.candidate_grids || [])].filter((code, i, all) => code && all.indexOf(code) === i);
  return el("label", { class: "action-field" }, el("span", null, "派往网格 Send to grid"),
    el("select", { name: "grid" }, choices.map((code) => el("option", { value: code },
      ((state.grids.get(code) || {}).name || "") + " " + code))));
}

/** The request body from the form: the action's fixed part, and each field the form has that its route takes. */
function actionBody(action, form) {
  const body = { ...action.body };
  const takes = (state.caps.routes.get(action.route) || { fields: new Set() }).fields;
  for (const name of ["note", "duplicate_of", "grid", "hours"]) {
    const input = form.elements.namedItem(name);
    if (!input || !input.value.trim() || !takes.has(name)) continue;
    body[name] = name === "hours" ? Number(input.value) : input.value.trim();
  }
  return body;
}

function photoFields(incident) {
  const after = ["dispatched", "in_progress", "resolved"].includes(incident.status);
  return [
    el("label", { class: "action-field" }, el("span", null, "照片 Photos"),
      el("input", { name: "photos", type: "file", accept: "image/jpeg,image/png,image/webp", multiple: "", required: "" })),
    el("label", { class: "action-field" }, el("span", null, "类型 Kind"),
      el("select", { name: "kind" },
        el("option", { value: "before", ...(after ? {} : { selected: "" }) }, "处置前 Before"),
        el("option", { value: "after", ...(after ? { selected: "" } : {}) }, "处置后 After"))),
  ];
}

/** The photo form as multipart: its files, kind and note. */
function photoBody(form) {
  const body = new FormData();
  for (const file of form.elements.namedItem("photos").files) body.append("photos", file);
  body.append("kind", form.elements.namedItem("kind").value);
  body.append("note", form.elements.namedItem("note").value.trim());
  return body;
}

function actionForm(incident, action, done, preset = {}) {
  const said = el("p", { class: "notice action-message", role: "alert" });
  said.hidden = true;
  const takes = (state.caps.routes.get(action.route) || { fields: new Set() }).fields;
  const form = el("form", { class: "action-form", "data-action": action.id, ...(action.to ? { "data-to": action.to } : {}) },
    el("h3", null, action.label),
    action.note ? noteField(action) : null,
    action.duplicate ? el("label", { class: "action-field" }, el("span", null, "原事件编号 Original incident id"),
      el("input", { name: "duplicate_of", required: "", maxlength: "36", value: preset.duplicate_of || "" })) : null,
    action.photo ? photoFields(incident) : null,
    action.hours ? el("label", { class: "action-field" }, el("span", null, "延长工作小时 Extra working hours"),
      el("input", { name: "hours", type: "number", min: "0.5", max: "2000", step: "0.5", required: "" })) : null,
    action.to === "dispatched" && takes.has("grid") ? gridField(incident) : null,
    said,
    el("div", { class: "action-buttons" },
      el("button", { type: "submit", class: "primary" }, "确定 Confirm"),
      el("button", { type: "button", class: "cancel", onclick: () => form.remove() }, "取消 Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    const path = "incidents/" + encodeURIComponent(incident.id);
    try {
      const sent = action.photo ? { body: photoBody(form) } : { json: actionBody(action, form) };
      await done(await request(path + "/" + action.route, { method: "POST", ...sent }), "");
    } catch (err) {
      if (err instanceof ApiError && STALE.includes(err.status)) {
        const now = await request(path);
        await done(now, staleWording(now, chinaTime));
        return;
      }
      said.textContent = err instanceof ApiError ? err.message : "网络错误 Network error: " + err.message;
      said.hidden = false;
      submit.disabled = false;
    }
  });
  return form;
}

/** A button marking `incident` a duplicate of `candidate` (an open incident it may repeat): it opens the duplicate
 * step's form with the original filled in, in `slot`; null when this user may not mark it. */
export function markDuplicateButton(incident, candidate, slot, done) {
  const user = currentUser();
  const step = user ? actionsFor(user.role, incident, state.caps.routes).find((action) => action.to === "duplicate") : null;
  if (!step) return null;
  return el("button", { type: "button", class: "secondary mark-duplicate", "data-original": candidate.id,
    onclick: () => slot.replaceChildren(actionForm(incident, step, done, { duplicate_of: candidate.id })) },
  "标记为其重复 Mark as its duplicate");
}

/** The action buttons for `incident` and this user; `done(incident, conflict)` runs after an action was sent
 * (with the incident as it is now, and the conflict's wording when the action came too late). */
export function actionBar(incident, done) {
  const user = currentUser();
  const actions = user ? actionsFor(user.role, incident, state.caps.routes) : [];
  const box = el("section", { class: "actions", "aria-label": "Actions" });
  if (!actions.length) return box;
  const slot = el("div", { class: "action-slot" });
  box.append(el("div", { class: "action-row" }, actions.map((action) => el("button", {
    type: "button", class: "action", "data-action": action.id, ...(action.to ? { "data-to": action.to } : {}),
    onclick: () => {
      slot.replaceChildren(actionForm(incident, action, done));
      const first = slot.querySelector("textarea, input, select");
      if (first) first.focus();
    },
  }, action.label))), slot);
  return box;
}
