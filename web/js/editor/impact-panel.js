/* The impact panel: the households and open incidents the draft would move to another grid, the household
 * count of each grid that changes before and after, and the grids leaving the configured range (GET
 * .../draft-status `impact`: ids and codes only, never a name or an address). */
import { el } from "../dom.js";
import { impactSummary } from "./status-text.js";

/** Show `impact` (null: nothing to show). */
export function showImpact(impact) {
  const box = document.getElementById("impact");
  if (!impact) {
    box.hidden = true;
    return;
  }
  const summary = impactSummary(impact);
  const table = summary.rows.length
    ? el("table", { class: "diff-table impact-table" },
      el("thead", null, el("tr", null, el("th", null, "网格 Grid"), el("th", null, "之前 Before"), el("th", null, "之后 After"))),
      el("tbody", null, summary.rows.map(([grid, before, after, out]) =>
        el("tr", { class: out ? "out-of-range" : "", "data-grid": grid }, el("td", null, grid), el("td", null, String(before)),
          el("td", null, String(after) + (out ? " ⚠ 超出范围 out of range" : ""))))))
    : null;
  document.getElementById("impact-body").replaceChildren(
    el("ul", { class: "impact-lines" }, summary.lines.map((line) => el("li", null, line))), table);
  box.hidden = false;
  box.dataset.households = String((impact.households && impact.households.moved) || 0);
  box.dataset.incidents = String((impact.incidents && impact.incidents.moved) || 0);
}
