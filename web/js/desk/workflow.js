/* The incident workflow as the desk shows it (pure: no DOM, no map), mirroring gridmap/incidents/workflow.py:
 * the statuses' and channels' names, and the steps each role may take from each status, as buttons.
 *
 * The server decides; this table only chooses which buttons to offer. A step it refuses (409: somebody acted
 * first; 403: not this role) is explained by `staleWording` from the incident as it is now.
 */

export const STATUS_NAMES = {
  reported: "已上报 Reported",
  accepted: "已立案 Filed",
  dispatched: "已派遣 Dispatched",
  in_progress: "处置中 In progress",
  resolved: "已处置 Resolved",
  closed: "已结案 Closed",
  rejected: "不予受理 Rejected",
  duplicate: "重复 Duplicate",
};

export const CHANNEL_NAMES = {
  app: "随手拍 App",
  patrol: "巡查 Patrol",
  hotline: "热线 Hotline",
  12345: "12345热线 12345 hotline",
  visit: "来访 Visit",
};

const STAFF = ["worker", "planner", "admin"];
const DISPATCHERS = ["planner", "admin"];

/* From each status, the workflow steps offered (POST .../transitions with `to`): the button's words, who may, and
 * what it asks for (`note`: a note, required when `noteRequired`; `duplicate`: the id of the original). */
const STEPS = {
  reported: [
    { to: "accepted", label: "立案 File", roles: STAFF, note: true },
    { to: "rejected", label: "不予受理 Reject", roles: STAFF, note: true, noteRequired: true },
    { to: "duplicate", label: "重复 Duplicate", roles: STAFF, note: true, duplicate: true },
  ],
  accepted: [
    { to: "dispatched", label: "派遣 Dispatch", roles: DISPATCHERS, note: true },
    { to: "rejected", label: "不予受理 Reject", roles: STAFF, note: true, noteRequired: true },
    { to: "duplicate", label: "重复 Duplicate", roles: STAFF, note: true, duplicate: true },
  ],
  dispatched: [
    { to: "in_progress", label: "开始处置 Start", roles: STAFF, note: false },
    { to: "accepted", label: "退回调度 Hand back", roles: STAFF, note: true, noteRequired: true, handBack: true },
  ],
  in_progress: [{ to: "resolved", label: "办结 Resolve", roles: STAFF, note: true, noteRequired: true }],
  resolved: [
    { to: "closed", label: "核查结案 Check and close", roles: DISPATCHERS, note: true },
    { to: "in_progress", label: "重新处置 Reopen", roles: STAFF, note: true, noteRequired: true },
  ],
};
const OPEN = ["reported", "accepted", "dispatched", "in_progress", "resolved"];
// Sending back (回退) to the previous stage: from which statuses, and who may (gridmap/incidents/workflow.py).
const SEND_BACK = { accepted: DISPATCHERS, dispatched: STAFF, in_progress: STAFF, resolved: DISPATCHERS };

/** The workflow steps `role` may take from `status`, in workflow order (none for a final status or a viewer). */
export function stepsFor(role, status) {
  return (STEPS[status] || []).filter((step) => step.roles.includes(role)).map((step) => ({ ...step, route: "transitions", body: { to: step.to } }));
}

/* The field loop (gridmap/incidents/field_loop.py): a dispatcher asks for a verification (核实) of a report or a
 * check (核查) of a fix (POST field-task); any member of staff answers, asked or not (POST field-answer). */
const FIELD = {
  reported: [
    { id: "ask-verify", label: "请求核实 Ask to verify", dispatcher: true, body: { task: "verify" } },
    { id: "verified", label: "核实属实 Verified", answer: true, body: { task: "verify", confirmed: true } },
    { id: "refuted", label: "核实不实 Not as reported", answer: true, body: { task: "verify", confirmed: false }, noteRequired: true },
  ],
  resolved: [
    { id: "ask-check", label: "请求核查 Ask for a check", dispatcher: true, body: { task: "check" } },
    { id: "check-passed", label: "核查通过 Check passed", answer: true, body: { task: "check", confirmed: true } },
    { id: "check-failed", label: "核查不通过 Check failed", answer: true, body: { task: "check", confirmed: false }, noteRequired: true },
  ],
};

/** Every action `role` may take on `incident`: the workflow steps, and where the server has the routes
 * (`routes`, a Set of paths under /incidents/{id}/), the field loop's requests and answers, photos, unlinking a
 * duplicate, sending back and the time limit's hold and extension requests (any member of staff) and decisions
 * (dispatchers). Each is { route, body, label, id, note, ... }. */
export function actionsFor(role, incident, routes) {
  const sendBack = routes.has("send-back");
  const actions = stepsFor(role, incident.status).filter((step) => !(sendBack && step.handBack)).map((step) => ({ ...step, id: step.to }));
  const dispatcher = DISPATCHERS.includes(role);
  const offer = (route, extra) => {
    if (routes.has(route)) actions.push({ route, body: {}, ...extra });
  };
  if (incident.status === "duplicate" && dispatcher) {
    offer("unlink-duplicate", { id: "unlink", label: "取消重复 Unlink the duplicate", note: true });
  }
  if (!STAFF.includes(role) || !OPEN.includes(incident.status)) return actions;
  for (const action of FIELD[incident.status] || []) {
    if (action.dispatcher && (!dispatcher || incident.field_task)) continue;
    offer(action.answer ? "field-answer" : "field-task", { note: true, ...action });
  }
  offer("photos", { id: "photo", label: "上传照片 Add photos", note: true, photo: true });
  if (sendBack && (SEND_BACK[incident.status] || []).includes(role)) {
    offer("send-back", { id: "send-back", label: "回退 Send back", note: true, noteRequired: true });
  }
  const pending = incident.pending_request;
  if (pending && dispatcher) {
    const what = pending.action === "extend_request" ? "延期 extension" : "挂账 hold";
    offer("clock/decision", { id: "approve", label: "批准" + what + " Approve", note: true, body: { approve: true } });
    offer("clock/decision", { id: "refuse", label: "驳回" + what + " Refuse", note: true, body: { approve: false } });
  }
  if (incident.held_since && dispatcher) offer("clock/release", { id: "release", label: "解除挂账 Release the hold", note: true });
  if (!pending && !incident.held_since) {
    offer("clock/hold", { id: "hold", label: "申请挂账 Ask to hold", note: true, noteRequired: true });
    offer("clock/extension", { id: "extend", label: "申请延期 Ask for more time", note: true, noteRequired: true, hours: true });
  }
  return actions;
}

/** A status's name, Chinese first ("已立案 Filed"); the code itself for one unknown here. */
export function statusName(status) {
  return STATUS_NAMES[status] || status;
}

/** The newest entry in an incident's history by a member of staff (a step, a send-back, a decision), or null. */
export function lastStep(incident) {
  const steps = (incident.history || []).filter((entry) => !["report", "rate", "move"].includes(entry.action));
  return steps.length ? steps[steps.length - 1] : null;
}

/** Why a step was refused as stale: who moved the incident, to what and when (`at` as the page shows times). */
export function staleWording(incident, formatTime) {
  const step = lastStep(incident);
  const now = statusName(incident.status);
  if (!step) return "此事件已有变化，现为" + now + "。 The incident changed; it is now " + now + ".";
  return "已被 " + step.actor + " 于 " + formatTime(step.at) + " 处理为“" + statusName(step.to).split(" ")[0] + "”。"
    + " Already handled by " + step.actor + " at " + formatTime(step.at) + ": now " + now + ".";
}
