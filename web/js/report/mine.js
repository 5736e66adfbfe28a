/* My reports: kept on this device with their reporter keys (localStorage), each followed with its key (its short
 * number, its stage in words, the earlier report a duplicate was joined to); closed ones may be rated once. */
import { ApiError, request } from "../api.js";
import { el } from "../dom.js";
import { show } from "./message.js";
import { state } from "./state.js";

const MINE_KEY = "gridmapMyReports";
const MINE_KEPT = 20;

function mine() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(MINE_KEY) || "[]");
    return Array.isArray(stored) ? stored : [];
  } catch {
    return [];
  }
}

function keepMine(reports) {
  window.localStorage.setItem(MINE_KEY, JSON.stringify(reports.slice(0, MINE_KEPT)));
}

/** Keep a report just made (with this draft's reporter key) at the top of the list. */
export function remember(incident) {
  const reports = mine().filter((r) => r.id !== incident.id);
  reports.unshift({
    id: incident.id,
    number: incident.number || null,
    key: state.draft.reporterKey,
    category: incident.category,
    grid: incident.grid,
    reportedAt: incident.reported_at || new Date().toISOString(),
    rated: false,
  });
  keepMine(reports);
}

/** List my reports, then fill in each one's stage (GET .../follow-up with its key) as it arrives. */
export function renderMine() {
  const reports = mine();
  const list = document.getElementById("mine-list");
  show("mine", reports.length > 0);
  list.replaceChildren(...reports.map((report) => el("li", { class: "mine-item", "data-id": report.id },
    el("div", { class: "mine-head" },
      el("span", { class: "code mine-number" }, report.number || report.id),
      el("span", null, state.categories.get(report.category) || report.category)),
    el("div", { class: "mine-status hint" }, new Date(report.reportedAt).toLocaleString("zh-CN")))));
  for (const report of reports) {
    const item = list.querySelector('[data-id="' + CSS.escape(report.id) + '"]');
    request("incidents/" + encodeURIComponent(report.id) + "/follow-up", {
      anonymous: true, quiet: true, headers: { "X-Reporter-Key": report.key || "" },
    })
      .then((found) => showMineStatus(item, report, found))
      .catch(() => null); // the stage is a courtesy: the list works without it
  }
}

function showMineStatus(item, report, found) {
  if (!item || !found) return;
  if (found.number) item.querySelector(".mine-number").textContent = found.number;
  const status = item.querySelector(".mine-status");
  status.dataset.status = found.status;
  status.textContent = found.stage_zh + " " + found.stage_en + " · " + new Date(report.reportedAt).toLocaleString("zh-CN");
  if (found.duplicate_of_number) {
    item.append(el("p", { class: "hint mine-duplicate" }, "与 " + found.duplicate_of_number + " 重复 · duplicate of " + found.duplicate_of_number));
  }
  if (found.can_rate && !report.rated) item.append(ratingForm(report));
  if (report.rated) item.append(el("p", { class: "ok" }, "已评价，谢谢 Rated, thank you"));
}

function ratingForm(report) {
  let chosen = 0;
  const stars = [1, 2, 3, 4, 5].map((n) => el("button", { type: "button", class: "star", "data-rating": String(n),
    "aria-label": n + " 星 stars", onclick: () => {
      chosen = n;
      stars.forEach((star, i) => star.classList.toggle("on", i < n));
    } }, "★"));
  const note = el("input", { type: "text", maxlength: "500", placeholder: "意见（可选） Comment (optional)", "aria-label": "Comment" });
  const feedback = el("p", { class: "message", hidden: "" });
  const form = el("form", { class: "rating", onsubmit: async (event) => {
    event.preventDefault();
    if (!chosen) {
      feedback.hidden = false;
      feedback.textContent = "请选择 1-5 星。 Choose 1 to 5 stars.";
      return;
    }
    try {
      await request("incidents/" + encodeURIComponent(report.id) + "/rating", {
        method: "POST",
        anonymous: true,
        headers: { "X-Reporter-Key": report.key },
        json: { rating: chosen, note: note.value.trim() },
      });
    } catch (err) {
      feedback.hidden = false;
      feedback.className = "message error";
      feedback.textContent = "评价失败 Rating failed: " + (err instanceof ApiError ? err.message : "network");
      return;
    }
    keepMine(mine().map((r) => (r.id === report.id ? { ...r, rated: true } : r)));
    form.replaceWith(el("p", { class: "ok" }, "已评价，谢谢 Rated, thank you"));
  } }, el("span", { class: "hint" }, "评价 Rate: "), ...stars, note, el("button", { type: "submit", class: "button small" }, "提交 Send"), feedback);
  return form;
}
