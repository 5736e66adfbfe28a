/* The 考核 Scores tab of the desk (planners and admins): GET /api/v1/incident-scores per grid, worker, community or
 * category for a month, as a table sortable by any column, with CSV and XLSX downloads of the same query.
 * Grids are shown with their names. The queue tabs and this tab take turns: a click on a queue hides the scores. */
import { API, request } from "../api.js";
import { el } from "../dom.js";
import { downloadWithToken } from "../downloads.js";
import { chinaDay } from "../periods.js";
import { sortableTable } from "../sortable-table.js";
import { run } from "../viewer/status.js";
import { state } from "./state.js";

const GROUPS = [
  ["grid", "网格 Grid"],
  ["worker", "网格员 Worker"],
  ["community", "社区 Community"],
  ["category", "类别 Category"],
];
const scores = { body: null, sort: { key: null, descending: false }, generation: 0 };

function query(format) {
  const params = new URLSearchParams({
    by: document.getElementById("scores-by").value,
    month: document.getElementById("scores-month").value,
  });
  if (format) params.set("format", format);
  return params;
}

/** The rows with a grid's name beside its code (the API gives codes). */
function named(body) {
  if (body.by !== "grid") return body;
  const columns = [body.columns[0], { key: "name", title: "名称 Name", kind: "text" }, ...body.columns.slice(1)];
  const rows = body.rows.map((row) => ({ ...row, name: (state.grids.get(String(row.key)) || {}).name || null }));
  return { ...body, columns, rows };
}

async function loadScores() {
  const generation = ++scores.generation;
  const panel = document.getElementById("scores");
  panel.dataset.state = "loading";
  const body = named(await request("incident-scores?" + query()));
  if (generation !== scores.generation) return;
  scores.body = body;
  if (!body.columns.some((column) => column.key === scores.sort.key)) scores.sort = { key: null, descending: false };
  drawScores();
  for (const format of ["csv", "xlsx"]) {
    const link = document.getElementById("scores-" + format);
    link.href = API + "/incident-scores?" + query(format);
    link.setAttribute("download", "incident-scores." + format);
  }
  panel.dataset.state = "loaded";
  panel.dataset.rows = String(body.rows.length);
}

function drawScores() {
  const { columns, rows, notes } = scores.body;
  const sortBy = (key) => {
    scores.sort = { key, descending: scores.sort.key === key ? !scores.sort.descending : false };
    drawScores();
  };
  document.getElementById("scores-table").replaceChildren(...sortableTable(columns, rows, scores.sort, sortBy,
    (row) => ({ "data-key": row.key === null ? "" : String(row.key) })));
  const empty = rows.length ? null : el("li", null, "本月没有上报 No reports in this month");
  document.getElementById("scores-notes").replaceChildren(empty, ...notes.map((note) => el("li", null, note)));
}

function showScores(shown) {
  document.getElementById("scores").hidden = !shown;
  document.getElementById("scores-tab").setAttribute("aria-selected", String(shown));
  for (const id of ["queue-list", "queue-empty", "queue-message"]) document.getElementById(id).classList.toggle("behind-scores", shown);
  document.querySelector(".filters-box").hidden = shown;
  if (shown) run(loadScores);
}

/** Offer the tab to planners and admins (`allowed`); the month defaults to this one in China time. */
export function wireScores(allowed) {
  const tab = document.getElementById("scores-tab");
  tab.hidden = !allowed;
  if (!allowed) {
    showScores(false);
    return;
  }
  const by = document.getElementById("scores-by");
  if (!by.options.length) {
    by.replaceChildren(...GROUPS.map(([value, title]) => el("option", { value }, title)));
    document.getElementById("scores-month").value = chinaDay(Date.now()).slice(0, 7);
    tab.addEventListener("click", () => showScores(true));
    document.getElementById("queue-tabs").addEventListener("click", () => showScores(false));
    for (const id of ["scores-by", "scores-month"]) document.getElementById(id).addEventListener("change", () => run(loadScores));
    for (const format of ["csv", "xlsx"]) {
      document.getElementById("scores-" + format).addEventListener("click", (event) => run(() => downloadWithToken(event)));
    }
  }
}
