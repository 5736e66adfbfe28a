/* A table sortable by any column (click its header), from columns { key, title, kind } and rows of values by key,
 * as GET /api/v1/grid-stats and /incident-scores give them (stats-rows.js sorts and formats). */
import { el } from "./dom.js";
import { formatCell, sortRows } from "./stats-rows.js";

/** The head and body of the table, sorted by `sort` ({ key, descending }, key null: as given); a header click
 * calls `onSort(key)`; `rowAttrs(row)` gives each body row's attributes. */
export function sortableTable(columns, rows, sort, onSort, rowAttrs = () => null) {
  const sorted = sort.key ? sortRows(rows, sort.key, sort.descending) : rows;
  const numeric = (column) => (column.kind === "text" ? "" : "num");
  const header = el("tr", null, columns.map((column) => {
    const active = sort.key === column.key;
    return el("th", {
      scope: "col",
      class: numeric(column),
      "data-key": column.key,
      "aria-sort": active ? (sort.descending ? "descending" : "ascending") : "none",
    }, el("button", { type: "button", onclick: () => onSort(column.key) }, column.title, active ? (sort.descending ? " ▼" : " ▲") : ""));
  }));
  const body = sorted.map((row) => el("tr", rowAttrs(row),
    columns.map((column) => el("td", { class: numeric(column) }, formatCell(row[column.key], column.kind)))));
  return [el("thead", null, header), el("tbody", null, body)];
}
