/* Pure parts of the per-grid score map (考核): the rate shown, its fixed classes and a grid's score in words.
 *
 * The classes are fixed shares (not spread over the month's values), so that two months' maps read alike and a
 * grid at 95% is green whatever its neighbours did. A grid with no row (no reports) or with the rate empty
 * (nothing was due yet: the API's null) belongs to no class.
 */

/** The rates a grid may be coloured by: the three of GB/T 30428.4-style scoring, higher is better. */
export const SCORE_MEASURES = [
  { key: "response_rate", label: "按时响应率 Response rate" },
  { key: "resolution_rate", label: "按时处置率 Resolution rate" },
  { key: "satisfaction_rate", label: "满意率 Satisfaction rate" },
];
export const RATE_BREAKS = [0.6, 0.8, 0.9, 0.95];
// Red (poor) to green (good), five steps (ColorBrewer RdYlGn).
export const SCORE_RAMP = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"];

/** A share 0-1 as a whole percentage ("95%"), or "—" for none. */
export function percent(share) {
  return Number.isFinite(share) ? Math.round(share * 100) + "%" : "—";
}

/** The classes [{ from, to, label }] of shares cut at `breaks` (ascending, inside 0-1): "< 60%" first, then
 * "60–80%" and so on up to the open "≥ 95%"; each class holds from `from` up to, not including, `to`. */
export function rateClasses(breaks = RATE_BREAKS) {
  const limits = [0, ...breaks];
  return limits.map((from, i) => {
    const to = i + 1 < limits.length ? limits[i + 1] : null;
    const label = i === 0 ? "< " + percent(to) : to === null ? "≥ " + percent(from) : percent(from).slice(0, -1) + "–" + percent(to);
    return { from, to, label };
  });
}

/** A grid's score as [term, text] rows: each rate with the counts behind it, and the reports of the period. */
export function scoreParts(row) {
  const part = (rate, count, of) => percent(row[rate]) + " (" + row[count] + " / " + row[of] + ")";
  return [
    ["上报 Reports", String(row.reports)],
    ["立案 Filed", String(row.filed)],
    ["按时响应率 Response rate", part("response_rate", "responded_on_time", "response_due")],
    ["按时处置率 Resolution rate", part("resolution_rate", "resolved_on_time", "resolution_due")],
    ["返工率 Reopen rate", part("reopen_rate", "reopened", "resolved")],
    ["满意率 Satisfaction rate", part("satisfaction_rate", "satisfied", "rated")],
  ];
}
