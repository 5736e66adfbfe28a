/* The desk's filter bar (category, status, grid, channel, dates, sort) and its search box; each change updates
 * state.filters and reloads the queues. Dates are China dates: "from" is inclusive, "to" the whole day. */
import { el } from "../dom.js";
import { addDays, chinaStart } from "../periods.js";
import { state } from "./state.js";
import { CHANNEL_NAMES, STATUS_NAMES } from "./workflow.js";

const field = (id) => document.getElementById(id);

function labelled(label, control) {
  return el("label", { class: "desk-filter" }, el("span", null, label), control);
}

function options(pairs) {
  return [el("option", { value: "" }, "全部 All"), ...pairs.map(([value, name]) => el("option", { value }, name))];
}

/** The filters as the form says now. */
function readFilters() {
  const from = field("filter-from").value;
  const to = field("filter-to").value;
  return {
    category: field("filter-category").value,
    status: field("filter-status").value,
    grid: field("filter-grid").value,
    channel: field("filter-channel").value,
    since: from ? chinaStart(from) : "",
    before: to ? chinaStart(addDays(to, 1)) : "",
    sort: field("filter-sort").value,
    q: field("search-input").value.trim(),
  };
}

/** Offer the grids the desk knows (state.grids) in the grid filter, keeping the one chosen. */
export function fillGridFilter() {
  const picker = field("filter-grid");
  const chosen = picker.value;
  picker.replaceChildren(...options([...state.grids].map(([code, grid]) => [code, grid.name + " " + code])));
  picker.value = chosen;
}

/** Build the filter bar in #filters; `changed` runs after each change (search: after Enter or the button). */
export function buildFilters(changed) {
  const apply = () => {
    state.filters = readFilters();
    changed();
  };
  field("filters").replaceChildren(
    labelled("类别 Category", el("select", { id: "filter-category" }, options([...state.categories]))),
    labelled("状态 Status", el("select", { id: "filter-status" }, options(Object.entries(STATUS_NAMES)))),
    labelled("网格 Grid", el("select", { id: "filter-grid" }, options([]))),
    labelled("渠道 Channel", el("select", { id: "filter-channel" }, options(Object.entries(CHANNEL_NAMES)))),
    labelled("自 From", el("input", { id: "filter-from", type: "date" })),
    labelled("至 To", el("input", { id: "filter-to", type: "date" })),
    labelled("排序 Sort", el("select", { id: "filter-sort" },
      el("option", { value: "newest" }, "最新上报 Newest"),
      el("option", { value: "due" }, "到期时间 Due first"))),
  );
  for (const select of field("filters").querySelectorAll("select, input")) select.addEventListener("change", apply);
  field("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  field("search-input").addEventListener("search", apply); // the clear button of type=search
}
