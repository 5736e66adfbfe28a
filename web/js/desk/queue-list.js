/* The queues: one tab per queue with its count, and the selected queue's incidents as cards. `loadQueues`
 * fetches every queue of the role (so each count is current), then draws. */
import { request } from "../api.js";
import { el } from "../dom.js";
import { chinaTime } from "../periods.js";
import { dueState } from "./due.js";
import { countText, fieldTaskChip, mergeAnswers, queueRequests } from "./queues.js";
import { state } from "./state.js";
import { CHANNEL_NAMES, statusName } from "./workflow.js";

let selecting = () => undefined; // set by wireQueues: what a tab click does
let reopening = () => undefined; // set by wireQueues: a click on the incident already open reads it again

async function loadQueue(queue) {
  const answers = await Promise.all(queueRequests(queue, state.filters, state.caps).map((query) => request("incidents?" + query)));
  return mergeAnswers(queue, answers, state.filters, state.caps);
}

/** Fetch every queue's incidents under the filters and draw the tabs and the selected list. */
export async function loadQueues() {
  const results = await Promise.all(state.queues.map(loadQueue));
  state.results = new Map(state.queues.map((queue, i) => [queue.id, results[i]]));
  state.refreshes += 1;
  drawQueues();
  document.body.dataset.refreshes = String(state.refreshes);
}

/** The incident's short name: its human number when the server gives one, else the start of its id. */
export function incidentLabel(incident) {
  return incident.number || incident.id.slice(0, 8);
}

function card(incident) {
  const due = dueState(incident, Date.now());
  const task = fieldTaskChip(incident);
  const chips = [
    el("span", { class: "chip status-" + incident.status }, statusName(incident.status)),
    due.level ? el("span", { class: "chip due-" + due.level }, due.text) : null,
    task ? el("span", { class: "chip field-task", "data-task": incident.field_task }, task) : null,
    incident.near_boundary ? el("span", { class: "chip boundary" }, "近边界 Near boundary") : null,
  ];
  const open = incident.id === (state.open && state.open.id);
  const href = "#incident=" + encodeURIComponent(incident.id);
  const reopen = (event) => {
    if (window.location.hash !== href) return; // the route opens it
    event.preventDefault();
    reopening(incident.id);
  };
  return el("li", null,
    el("a", { class: "incident-card" + (open ? " open" : ""), href, "data-incident-id": incident.id, onclick: reopen },
      el("div", { class: "card-top" },
        el("span", { class: "card-number" }, incidentLabel(incident)),
        el("span", { class: "card-category" }, state.categories.get(incident.category) || incident.category)),
      incident.description ? el("div", { class: "card-text" }, incident.description) : null,
      el("div", { class: "card-chips" }, chips),
      el("div", { class: "card-meta" },
        chinaTime(incident.reported_at), " · ", incident.grid || "—", " · ", CHANNEL_NAMES[incident.channel] || incident.channel)));
}

/** Draw the tabs (with counts) and the selected queue's cards from the last answers. */
export function drawQueues() {
  const tabs = document.getElementById("queue-tabs");
  tabs.replaceChildren(...state.queues.map((queue) => {
    const result = state.results.get(queue.id);
    const selected = queue.id === state.selected;
    return el("button", {
      type: "button", role: "tab", class: "queue-tab", "data-queue": queue.id, "aria-selected": String(selected),
      onclick: () => selecting(queue.id),
    }, el("span", { class: "queue-title" }, queue.title),
    el("span", { class: "queue-count", "data-count": result ? String(result.count) : "" }, result ? countText(result) : "…"));
  }));
  const result = state.results.get(state.selected);
  const list = document.getElementById("queue-list");
  list.replaceChildren(...(result ? result.incidents.map(card) : []));
  const empty = document.getElementById("queue-empty");
  empty.hidden = !result || result.incidents.length > 0;
}

/** Tab clicks select their queue (`select` is main's, which also remembers it); a click on the card of the
 * incident already open (its route unchanged) calls `reopen` with its id. */
export function wireQueues(select, reopen) {
  selecting = select;
  reopening = reopen;
}
