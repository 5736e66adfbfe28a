/* Due times in words (pure): how long until an incident's current stage is due, or how long it is overdue.
 *
 * The server says when a stage is due (`due_at`, on its working calendar) and flags `overdue` and `due_soon`;
 * the page only words the remaining time. An incident without `due_at` (a final status, or a server without
 * time limits) has no due wording.
 */

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const SOON_HOURS = 4; // without the server's `due_soon`: due within this many hours counts as soon

export const STAGE_NAMES = {
  file: "立案 Filing",
  dispatch: "派遣 Dispatch",
  handle: "处置 Handling",
  check: "核查 Check",
  verify: "核实 Verification",
};

/** A span of time in whole minutes, hours or days, Chinese and English ("3 小时", "3 h"). */
export function spanWords(ms) {
  const span = Math.abs(ms);
  if (span < HOUR) {
    const minutes = Math.max(1, Math.round(span / MINUTE));
    return { zh: minutes + " 分钟", en: minutes + " min" };
  }
  if (span < 2 * DAY) {
    const hours = Math.round(span / HOUR);
    return { zh: hours + " 小时", en: hours + " h" };
  }
  const days = Math.round(span / DAY);
  return { zh: days + " 天", en: days + " d" };
}

/** How the incident stands against its due time at `now` (ms): { level, text } with level "overdue", "soon",
 * "ok" or "" (no due time). The server's flags win over the page's clock where they are given. */
export function dueState(incident, now) {
  if (!incident.due_at) return { level: "", text: "" };
  const left = Date.parse(incident.due_at) - now;
  const overdue = typeof incident.overdue === "boolean" ? incident.overdue : left < 0;
  const soon = typeof incident.due_soon === "boolean" ? incident.due_soon : left < SOON_HOURS * HOUR;
  const words = spanWords(left);
  if (overdue) return { level: "overdue", text: "超时 " + words.zh + " · Overdue by " + words.en };
  if (left < 0) return { level: "soon", text: "即将到期 · Due now" };
  return { level: soon ? "soon" : "ok", text: "剩余 " + words.zh + " · Due in " + words.en };
}

/** The name of the stage an incident's due time belongs to ("处置 Handling"), or "" for none. */
export function stageName(stage) {
  return stage ? STAGE_NAMES[stage] || stage : "";
}
