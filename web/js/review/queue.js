/* The queue of the review page: one item per distinct address needing review, with its candidates (most likely
 * first) and "none of these"; confirming a candidate that reads the written name as the registry's stores that
 * alias (POST /api/v1/geocode/aliases), so the next geocode matches it. */
import { request } from "../api.js";
import { el } from "../dom.js";
import { showCandidates } from "./map.js";

const NONE = "none";

function percent(confidence) {
  return Math.round(confidence * 100) + "%";
}

function option(name, value, label, reason) {
  return el("label", { class: "review-option" },
    el("input", { type: "radio", name, value }),
    el("span", null, label),
    reason ? el("span", { class: "reason" }, reason) : null);
}

/** Store the pick's alias if it has one; the words saying what was done. */
async function storePick(candidate) {
  if (!candidate.alias) return "已选定 Chosen";
  const stored = await request("geocode/aliases", { method: "POST", json: candidate.alias });
  const words = candidate.alias.alias + " → " + candidate.alias.name;
  return stored.stored ? "已保存别名 Alias stored: " + words : "别名已存在 Alias was stored already: " + words;
}

function item(text, answer, rows, picks, index, onPicked) {
  const name = "pick-" + index;
  const outcome = el("p", { class: "outcome", hidden: "" });
  const confirm = el("button", { type: "button", class: "review-confirm" }, "确认 Confirm");
  const options = answer.candidates.map((candidate, i) => option(
    name, String(i), (i + 1) + ". " + (candidate.address || "") + " (" + percent(candidate.confidence) + ")", candidate.reason));
  options.push(option(name, NONE, "都不是 None of these"));
  const node = el("li", { class: "review-item", "data-address": text },
    el("div", null, el("span", { class: "written" }, text), el("span", { class: "rows" }, rows + " 行 rows")),
    options, confirm, outcome);
  const chosen = () => node.querySelector("input[name='" + name + "']:checked");
  const focus = () => {
    for (const other of node.parentNode.children) other.classList.toggle("current", other === node);
    const picked = chosen();
    showCandidates(answer.candidates, picked && picked.value !== NONE ? Number(picked.value) : -1);
  };
  node.addEventListener("click", focus);
  node.addEventListener("change", focus);
  confirm.addEventListener("click", async (event) => {
    event.stopPropagation();
    const picked = chosen();
    if (!picked) return;
    const candidate = picked.value === NONE ? null : answer.candidates[Number(picked.value)];
    outcome.textContent = candidate ? await storePick(candidate) : "已标为无 Marked as none";
    outcome.hidden = false;
    picks.set(text, candidate);
    node.classList.add("done");
    onPicked();
  });
  return node;
}

/** Fill #review-queue with the addresses needing review (`answers`: Map text -> answer, `counts`: rows per
 * text); `picks` receives each confirmed pick (a candidate, or null for none). */
export function showQueue(answers, counts, picks, onPicked) {
  const list = document.getElementById("review-queue");
  const unsure = [...answers].filter(([, answer]) => answer.status === "needs_review");
  list.replaceChildren(...unsure.map(([text, answer], index) => item(text, answer, counts.get(text) || 0, picks, index, onPicked)));
  if (list.firstChild) list.firstChild.click();
  return unsure.length;
}
