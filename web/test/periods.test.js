// The time slider's periods and their clipping to the filter's dates (js/periods.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { clipPeriods, periodsBetween } from "../js/periods.js";

const OCTOBER = [Date.parse("2026-10-01T00:00:00+08:00"), Date.parse("2026-10-31T23:00:00+08:00")];

function days(period) {
  return (Date.parse(period.before) - Date.parse(period.since)) / 86400000;
}

test("weeks straddle a month: 1 October 2026 is a Thursday, 31 October a Saturday", () => {
  const weeks = periodsBetween(...OCTOBER, "week");
  assert.equal(weeks[0].since, "2026-09-28T00:00:00+08:00");
  assert.equal(weeks.at(-1).before, "2026-11-02T00:00:00+08:00");
  assert.equal(weeks.reduce((n, w) => n + days(w), 0), 35);
});

test("weeks clipped to the filter's month cover its 31 days exactly, labelled by the days they keep", () => {
  const weeks = clipPeriods(periodsBetween(...OCTOBER, "week"), "2026-10-01", "2026-10-31");
  assert.equal(weeks.length, 5);
  assert.equal(weeks[0].since, "2026-10-01T00:00:00+08:00");
  assert.equal(weeks[0].before, "2026-10-05T00:00:00+08:00");
  assert.equal(weeks[0].label, "2026-10-01 – 2026-10-04");
  assert.equal(weeks.at(-1).since, "2026-10-26T00:00:00+08:00");
  assert.equal(weeks.at(-1).before, "2026-11-01T00:00:00+08:00");
  assert.equal(weeks.at(-1).label, "2026-10-26 – 2026-10-31");
  assert.equal(weeks[1].label, "2026-10-05 – 2026-10-11"); // a whole week keeps its own label
  for (let i = 1; i < weeks.length; i++) assert.equal(weeks[i].since, weeks[i - 1].before);
  assert.equal(weeks.reduce((n, w) => n + days(w), 0), 31);
});

test("without bounds nothing changes, and a period wholly outside the bounds is dropped", () => {
  const weeks = periodsBetween(...OCTOBER, "week");
  assert.deepEqual(clipPeriods(weeks, "", ""), weeks);
  const clipped = clipPeriods(weeks, "2026-10-12", "");
  assert.equal(clipped[0].since, "2026-10-12T00:00:00+08:00");
  assert.equal(clipped.length, 3);
  const months = clipPeriods(periodsBetween(...OCTOBER, "month"), "", "2026-10-15");
  assert.deepEqual(months.map((m) => [m.since, m.before]), [["2026-10-01T00:00:00+08:00", "2026-10-16T00:00:00+08:00"]]);
});
