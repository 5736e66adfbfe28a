/* The incident panel: the incident's number and status, the due time of its stage, its facts, the
 * near-boundary flag with the candidate grids, the task waiting for the worker, the duplicate candidates (each
 * with a button marking this report its duplicate) or the original it repeats, photos before and after the fix
 * side by side, the reporter's contact (dispatchers only, on request), the actions this user may take, and its
 * history. Opened by the #incident=<id> route. */
import { ApiError, request } from "../api.js";
import { el, factsList } from "../dom.js";
import { chinaTime } from "../periods.js";
import { hasRole } from "../session.js";
import { actionBar, markDuplicateButton } from "./actions.js";
import { dueState, stageName } from "./due.js";
import { showOnMap } from "./incident-map.js";
import { incidentLabel } from "./queue-list.js";
import { beforeAfter, forgetPhotos } from "./photos.js";
import { state } from "./state.js";
import { CHANNEL_NAMES, statusName } from "./workflow.js";

const ACTION_NAMES = {
  report: "上报 Report",
  transition: "流转 Step",
  rate: "评价 Rating",
  move: "改位置 Pin moved",
  send_back: "回退 Sent back",
  hold_request: "申请挂账 Hold asked",
  hold_approve: "批准挂账 Hold approved",
  hold_refuse: "驳回挂账 Hold refused",
  hold_release: "解除挂账 Hold released",
  extend_request: "申请延期 Extension asked",
  extend_approve: "批准延期 Extension approved",
  extend_refuse: "驳回延期 Extension refused",
  verify_request: "请求核实 Verification asked",
  verify_confirm: "核实属实 Verified",
  verify_refute: "核实不实 Not as reported",
  check_request: "请求核查 Check asked",
  check_pass: "核查通过 Check passed",
  check_fail: "核查不通过 Check failed",
  photo: "照片 Photos added",
  unlink_duplicate: "取消重复 Duplicate unlinked",
};
const TASK_NAMES = {
  verify: "待网格员核实 Waiting for the grid worker to verify the report",
  check: "待网格员核查 Waiting for the grid worker to check the fix",
};
let afterStep = async () => undefined; // set by wireIncidentPanel: reload the queues

function gridName(code) {
  const grid = code ? state.grids.get(code) : null;
  return code ? (grid ? grid.name + " " : "") + code : "—";
}

function history(incident) {
  const list = el("ol", { class: "history" });
  for (const entry of incident.history || []) {
    // A rating, a pin move or a clock action leaves the status as it was: no step to show.
    const moved = !entry.from || entry.from !== entry.to;
    const step = moved ? (entry.from ? statusName(entry.from).split(" ")[0] + " → " : "") + statusName(entry.to).split(" ")[0] : "";
    list.append(el("li", { "data-to": entry.to },
      el("span", { class: "when" }, chinaTime(entry.at)), " ",
      el("strong", null, ACTION_NAMES[entry.action] || entry.action), " ", step,
      entry.hours ? " · " + entry.hours + " 小时 h" : "", " · ", entry.actor || "—",
      entry.note ? el("div", { class: "note" }, entry.note) : null,
      entry.rating ? el("div", { class: "note" }, "评分 Rating: " + entry.rating) : null));
  }
  return list;
}

function dueLine(incident) {
  const due = dueState(incident, Date.now());
  if (!due.level) return null;
  return el("p", { class: "due due-" + due.level, id: "incident-due" },
    stageName(incident.stage) ? stageName(incident.stage) + " · " : "", "时限 Due ", chinaTime(incident.due_at), " · ", due.text);
}

function clockNotice(incident) {
  const pending = incident.pending_request;
  const parts = [];
  if (incident.held_since) parts.push("挂账中（自 " + chinaTime(incident.held_since) + "）· On hold since " + chinaTime(incident.held_since));
  if (pending) {
    const what = pending.action === "extend_request" ? "延期 " + pending.hours + " 小时 · an extension of " + pending.hours + " h" : "挂账 · a hold";
    parts.push("待批准 Waiting for approval: " + what + " (" + chinaTime(pending.at) + ")");
  }
  return parts.length ? el("div", { class: "notice", id: "incident-clock" }, parts.map((part) => el("div", null, part))) : null;
}

function boundaryNotice(incident) {
  if (!incident.near_boundary) return null;
  const candidates = incident.candidate_grids || [];
  const distance = incident.boundary_distance_m === null ? "" : "（距边界 " + Math.round(incident.boundary_distance_m) + " m）";
  return el("div", { class: "notice boundary-notice", id: "incident-boundary" },
    "位置靠近网格边界，请确认所属网格" + distance + "。", el("br"),
    el("small", null, "Near a grid boundary: confirm the grid."),
    candidates.length ? el("div", null, "候选网格 Candidate grids: ", candidates.map(gridName).join("、")) : null);
}

function taskNotice(incident) {
  if (!incident.field_task) return null;
  return el("div", { class: "notice", id: "incident-task", "data-task": incident.field_task },
    TASK_NAMES[incident.field_task] || incident.field_task);
}

function duplicateOf(incident) {
  if (incident.status !== "duplicate" || !incident.duplicate_of) return null;
  return el("div", { class: "notice", id: "incident-original" }, "重复于 Duplicate of ",
    el("a", { href: "#incident=" + encodeURIComponent(incident.duplicate_of) }, incident.duplicate_of));
}

function duplicateCandidates(incident, done) {
  const candidates = incident.duplicate_candidates || [];
  if (!candidates.length) return null;
  const slot = el("div", { class: "action-slot" });
  return el("section", { class: "duplicates", id: "incident-duplicates", "aria-label": "Duplicate candidates" },
    el("h3", null, "可能重复 Possible duplicates"),
    el("ul", { class: "duplicate-list" }, candidates.map((candidate) => el("li", { "data-id": candidate.id },
      el("a", { href: "#incident=" + encodeURIComponent(candidate.id), class: "incident-number" }, candidate.number || candidate.id),
      " · ", statusName(candidate.status).split(" ")[0], " · ", Math.round(candidate.distance_m) + " m · ",
      "相似度 similarity " + Math.round(candidate.similarity), " · ", chinaTime(candidate.reported_at),
      candidate.description ? el("div", { class: "note" }, candidate.description) : null,
      markDuplicateButton(incident, candidate, slot, done)))),
    slot);
}

function contactPart(incident) {
  if (!hasRole("planner")) return null;
  const box = el("div", { class: "contact", id: "incident-contact" });
  box.append(el("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      try {
        const contact = await request("incidents/" + encodeURIComponent(incident.id) + "/contact");
        box.replaceChildren(contact.removed_at
          ? el("p", { class: "hint" }, "联系方式已删除 Removed ", chinaTime(contact.removed_at), " (", contact.removed_because || "", ")")
          : factsList([["称呼 Name", contact.name || "—"], ["电话 Phone", contact.phone || "—"]]));
      } catch (err) {
        box.replaceChildren(el("p", { class: "notice" }, err.message));
      }
    },
  }, "查看联系方式 Show the reporter's contact"));
  return box;
}

/** Draw `incident` in the panel; `conflict` (a stale step's wording) is shown above it. */
export function renderIncident(incident, conflict) {
  state.open = incident;
  forgetPhotos();
  document.getElementById("incident-title").replaceChildren(
    el("span", { class: "incident-number" }, incidentLabel(incident)), " ",
    el("span", { class: "chip status-" + incident.status }, statusName(incident.status)));
  const said = document.getElementById("incident-message");
  said.textContent = conflict || "";
  said.hidden = !conflict;
  const done = async (now, stale) => {
    renderIncident(now, stale);
    await afterStep();
  };
  const parts = [
    dueLine(incident),
    clockNotice(incident),
    taskNotice(incident),
    boundaryNotice(incident),
    duplicateOf(incident),
    incident.description ? el("p", { class: "description" }, incident.description) : null,
    factsList([
      ["编号 Number", incident.number || "—"],
      ["事件标识 Id", el("code", null, incident.id)],
      ["类别 Category", state.categories.get(incident.category) || incident.category],
      ["渠道 Channel", CHANNEL_NAMES[incident.channel] || incident.channel],
      ["上报 Reported", chinaTime(incident.reported_at)],
      ["地址 Address", incident.address || "—"],
      ["网格 Grid", gridName(incident.grid)],
      ["网格员 Worker", incident.worker || "—"],
    ], { class: "facts" }),
    actionBar(incident, done),
    duplicateCandidates(incident, done),
    el("h3", null, "照片 Photos"),
    beforeAfter(incident),
    contactPart(incident),
    el("h3", null, "处理经过 History"),
    history(incident),
  ];
  document.getElementById("incident-body").replaceChildren(...parts.filter(Boolean));
  const panel = document.getElementById("incident-panel");
  panel.hidden = false;
  document.body.classList.add("incident-open");
  showOnMap(incident, (state.grids.get(incident.grid) || {}).feature);
  panel.dataset.incidentId = incident.id;
  panel.dataset.status = incident.status;
}

/** Fetch and show incident `id` (404 and the like are said in the panel). */
export async function openIncident(id) {
  try {
    renderIncident(await request("incidents/" + encodeURIComponent(id)), "");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    closeIncident();
    document.getElementById("queue-message").textContent = "无法打开事件 Cannot open the incident: " + err.message;
    document.getElementById("queue-message").hidden = false;
  }
}

/** Hide the panel. */
export function closeIncident() {
  state.open = null;
  forgetPhotos();
  document.getElementById("incident-panel").hidden = true;
  document.body.classList.remove("incident-open");
}

/** `after` runs after each step sent from the panel (to reload the queues). */
export function wireIncidentPanel(after) {
  afterStep = after;
}
