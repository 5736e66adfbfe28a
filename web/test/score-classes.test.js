// The per-grid score map's pure parts (js/score-classes.js): fixed rate classes, percentages, a grid's score.
import assert from "node:assert/strict";
import { test } from "node:test";

import { classIndex } from "../js/legend-classes.js";
import { percent, rateClasses, SCORE_RAMP, scoreParts } from "../js/score-classes.js";

test("the default classes run from below 60% to at least 95%, one colour each", () => {
  const classes = rateClasses();
  assert.deepEqual(classes.map((c) => c.label), ["< 60%", "60–80%", "80–90%", "90–95%", "≥ 95%"]);
  assert.equal(classes.length, SCORE_RAMP.length);
  assert.equal(classes[0].from, 0);
  assert.equal(classes.at(-1).to, null);
});

test("a share falls in the class whose lower limit it reaches; none for an empty rate", () => {
  const classes = rateClasses();
  assert.equal(classIndex(classes, 0), 0);
  assert.equal(classIndex(classes, 0.5999), 0);
  assert.equal(classIndex(classes, 0.6), 1);
  assert.equal(classIndex(classes, 0.9499), 3);
  assert.equal(classIndex(classes, 0.95), 4);
  assert.equal(classIndex(classes, 1), 4);
  assert.equal(classIndex(classes, null), -1);
});

test("other breaks give as many classes plus one", () => {
  assert.deepEqual(rateClasses([0.5]).map((c) => c.label), ["< 50%", "≥ 50%"]);
});

test("shares read as whole percentages, nothing as a dash", () => {
  assert.equal(percent(0.3333), "33%");
  assert.equal(percent(1), "100%");
  assert.equal(percent(null), "—");
});

test("a grid's score names each rate with the counts behind it", () => {
  const row = {
    reports: 4, filed: 3, response_due: 3, responded_on_time: 1, response_rate: 0.3333, resolution_due: 0,
    resolved_on_time: 0, resolution_rate: null, resolved: 0, reopened: 0, reopen_rate: null, rated: 0, satisfied: 0,
    satisfaction_rate: null,
  };
  const parts = Object.fromEntries(scoreParts(row));
  assert.equal(parts["上报 Reports"], "4");
  assert.equal(parts["按时响应率 Response rate"], "33% (1 / 3)");
  assert.equal(parts["按时处置率 Resolution rate"], "— (0 / 0)");
});
