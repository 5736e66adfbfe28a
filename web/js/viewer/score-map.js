/* The per-grid score map (考核) of the viewer, for planners and admins (who alone may read the scores): the grids
 * coloured by a rate of a month (GET /api/v1/incident-scores?by=grid), its legend, and a grid's score in the
 * details panel. thematic.js turns it on and off like the other thematic maps; the classes are
 * ../score-classes.js's.
 */
import * as L from "leaflet";

import { request } from "../api.js";
import { NO_DATA } from "../colours.js";
import { el, factsList, swatchRow } from "../dom.js";
import { classIndex } from "../legend-classes.js";
import { chinaDay } from "../periods.js";
import { rateClasses, SCORE_MEASURES, SCORE_RAMP, scoreParts } from "../score-classes.js";

const CLASSES = rateClasses();

export const scoreMap = {
  month: chinaDay(Date.now()).slice(0, 7), // YYYY-MM, China time
  measure: SCORE_MEASURES[0].key,
  rows: null, // grid code -> its row of scores, for `loadedMonth`
  loadedMonth: null,
};
// The switch in the layer switcher (it draws nothing itself), offered to planners and admins only (auth.js).
export const scoreToggle = L.layerGroup();

/** Fetch the month's scores per grid, unless they are loaded already. */
export async function loadGridScores() {
  if (scoreMap.rows && scoreMap.loadedMonth === scoreMap.month) return;
  const month = scoreMap.month;
  const body = await request("incident-scores?" + new URLSearchParams({ by: "grid", month }));
  // The row of incidents routed to no grid has an empty key: it has no place on the map.
  scoreMap.rows = new Map(body.rows.filter((row) => row.key).map((row) => [String(row.key), row]));
  scoreMap.loadedMonth = month;
}

/** The fill of grid `code` on the score map. */
export function scoreColour(code) {
  const row = scoreMap.rows && scoreMap.rows.get(code);
  const index = row ? classIndex(CLASSES, row[scoreMap.measure]) : -1;
  return index < 0 ? NO_DATA : SCORE_RAMP[index];
}

/** The legend's title and rows for the rate shown. */
export function scoreLegend() {
  const measure = SCORE_MEASURES.find((m) => m.key === scoreMap.measure);
  const rows = CLASSES.map((c, i) => swatchRow(SCORE_RAMP[i], c.label));
  rows.push(swatchRow(NO_DATA, "无上报或未到期 No reports, or nothing due yet"));
  return { title: measure.label + " · " + scoreMap.loadedMonth, rows };
}

/** The grid's score parts in the details panel (#details-scores), while the score map is on. */
export function showGridScore(code, shown) {
  const target = document.getElementById("details-scores");
  if (!target) return;
  if (!shown || !scoreMap.rows) {
    target.replaceChildren();
    return;
  }
  const row = scoreMap.rows.get(code);
  const title = el("h4", null, "考核 Scores · " + scoreMap.loadedMonth);
  target.replaceChildren(title, row ? factsList(scoreParts(row)) : el("p", { class: "hint" }, "本月无上报 No reports this month"));
  target.dataset.code = code;
}

/** Fill the measure picker and follow it and the month; `changed` recolours the map. */
export function wireScoreControls(changed) {
  const picker = document.getElementById("score-measure");
  picker.replaceChildren(...SCORE_MEASURES.map((m) => el("option", { value: m.key }, m.label)));
  picker.value = scoreMap.measure;
  const month = document.getElementById("score-month");
  month.value = scoreMap.month;
  picker.addEventListener("change", () => {
    scoreMap.measure = picker.value;
    changed();
  });
  month.addEventListener("change", () => {
    if (!/^\d{4}-\d{2}$/.test(month.value)) return; // cleared or half typed: keep the month shown
    scoreMap.month = month.value;
    changed();
  });
}
