// Legend classes (js/legend-classes.js): round limits, no "0–0" class, equal values collapse, no data is a state.
import assert from "node:assert/strict";
import { test } from "node:test";

import { classesFor, classIndex, niceStep, rampColours } from "../js/legend-classes.js";

const labels = (classes) => classes.map((c) => c.label);

test("steps are 1, 2, 2.5 or 5 times a power of ten", () => {
  assert.equal(niceStep(0), 1);
  assert.equal(niceStep(1.2), 2);
  assert.equal(niceStep(20), 20);
  assert.equal(niceStep(21), 25);
  assert.equal(niceStep(0.3), 0.5);
});

test("counts get five round classes, the last open", () => {
  assert.deepEqual(labels(classesFor([0, 37, 100])), ["0–19", "20–39", "40–59", "60–79", "≥ 80"]);
});

test("a small range gets fewer classes, none above the greatest value", () => {
  assert.deepEqual(labels(classesFor([0, 6])), ["0–1", "2–3", "4–5", "≥ 6"]);
  assert.deepEqual(labels(classesFor([0, 1])), ["0", "≥ 1"]);
  assert.deepEqual(labels(classesFor([100, 101, 101])), ["100", "≥ 101"]);
  assert.deepEqual(labels(classesFor([240, 310, 480])), ["200–249", "250–299", "300–349", "350–399", "≥ 400"]);
});

test("a class of one value is labelled with it alone: never 0–0", () => {
  const classes = classesFor([0, 1, 2]);
  assert.deepEqual(labels(classes), ["0", "1", "≥ 2"]);
  for (const values of [[0, 1, 2], [0, 2], [5, 6, 7, 8, 9], [0, 0, 1], [0, 3, 4], [7, 7]]) {
    assert.ok(labels(classesFor(values)).every((label) => !/^(\d+)–\1$/.test(label)), String(values));
  }
});

test("equal values collapse into one class, and no values give none", () => {
  assert.deepEqual(classesFor([0, 0, 0]), [{ from: 0, to: 0, label: "0" }]);
  assert.deepEqual(labels(classesFor([3, 3])), ["3"]);
  assert.deepEqual(classesFor([]), []);
  assert.deepEqual(classesFor([undefined, NaN]), []);
});

test("rates get classes with one decimal", () => {
  assert.deepEqual(labels(classesFor([0, 12.5], { integer: false })), ["0–2.5", "2.5–5", "5–7.5", "7.5–10", "≥ 10"]);
});

test("each value falls in the class its label names", () => {
  const classes = classesFor([0, 37, 100]);
  assert.equal(classIndex(classes, 0), 0);
  assert.equal(classIndex(classes, 19), 0);
  assert.equal(classIndex(classes, 20), 1);
  assert.equal(classIndex(classes, 1000), 4);
  assert.equal(classIndex(classes, undefined), -1);
  assert.equal(classIndex([], 3), -1);
  assert.equal(classIndex(classesFor([3, 3]), 3), 0);
  for (const value of [100, 101]) assert.equal(classIndex(classesFor([100, 101]), value), value - 100);
});

test("fewer classes than colours take colours spread over the ramp", () => {
  const ramp = ["a", "b", "c", "d", "e"];
  assert.deepEqual(rampColours(ramp, 5), ramp);
  assert.deepEqual(rampColours(ramp, 3), ["a", "c", "e"]);
  assert.deepEqual(rampColours(ramp, 1), ["a"]);
  assert.deepEqual(rampColours(ramp, 0), []);
});
