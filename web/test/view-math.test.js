// Loading by view (js/view-math.js): padded boxes, the bbox the API is sent, and when a level loads by view.
import assert from "node:assert/strict";
import { test } from "node:test";

import { wgs84ToGcj02 } from "../js/datums.js";
import {
  bboxParam, boxContains, laterPageOffsets, levelWanted, loadPlan, loadsByView, padBox, VIEW_LOAD_THRESHOLD, viewZoom,
} from "../js/view-math.js";

test("a padded box grows by the share of its size on each side", () => {
  assert.deepEqual(padBox([10, 20, 12, 21], 0.5), [9, 19.5, 13, 21.5]);
  assert.deepEqual(padBox([10, 20, 12, 21], 0), [10, 20, 12, 21]);
});

test("a box contains the boxes inside it, edges included, and no box sticking out", () => {
  const outer = [0, 0, 10, 10];
  assert.ok(boxContains(outer, [2, 2, 5, 5]));
  assert.ok(boxContains(outer, outer));
  assert.ok(!boxContains(outer, [2, 2, 11, 5]));
  assert.ok(!boxContains([2, 2, 5, 5], outer));
});

test("the bbox parameter is WGS-84 with six decimals, clamped to the globe", () => {
  assert.equal(bboxParam([119.5, 27.4, 119.6, 27.5], "wgs84"), "119.500000,27.400000,119.600000,27.500000");
  assert.equal(bboxParam([-200, -95, 200, 95], "wgs84"), "-180.000000,-90.000000,180.000000,90.000000");
  // A box drawn on GCJ-02 tiles goes back to the WGS-84 corners it came from.
  const [west, south] = wgs84ToGcj02(119.5, 27.4);
  const [east, north] = wgs84ToGcj02(119.6, 27.5);
  assert.equal(bboxParam([west, south, east, north], "gcj02"), "119.500000,27.400000,119.600000,27.500000");
});

test("communities, ?load=all and small versions load whole; otherwise the level's count decides", () => {
  assert.equal(loadPlan({ mode: "auto", viewZoom: undefined, versionFeatures: 1e6 }), "whole");
  assert.equal(loadPlan({ mode: "all", viewZoom: 14, versionFeatures: 1e6 }), "whole");
  assert.equal(loadPlan({ mode: "auto", viewZoom: 14, versionFeatures: VIEW_LOAD_THRESHOLD }), "whole");
  assert.equal(loadPlan({ mode: "auto", viewZoom: 14, versionFeatures: VIEW_LOAD_THRESHOLD + 1 }), "count");
  assert.equal(loadPlan({ mode: "view", viewZoom: 14, versionFeatures: 10 }), "count");
  assert.ok(!loadsByView({ mode: "auto", total: VIEW_LOAD_THRESHOLD }));
  assert.ok(loadsByView({ mode: "auto", total: VIEW_LOAD_THRESHOLD + 1 }));
  assert.ok(loadsByView({ mode: "view", total: 5 }));
});

test("the start zoom holds about the budget of features per padded view, within its bounds", () => {
  const base = { extentPixels0: 1, viewPixels: 1, pad: 0, budget: 1, minZoom: 0, maxZoom: 18 };
  // 4^5 features over the extent: one per view at zoom 5, where the extent is 4^5 views large.
  assert.equal(viewZoom({ ...base, total: 4 ** 5 }), 5);
  assert.equal(viewZoom({ ...base, total: 4 ** 5 + 1 }), 6); // rounds up: never more than the budget
  assert.equal(viewZoom({ ...base, total: 4 ** 5, budget: 4 }), 4);
  assert.equal(viewZoom({ ...base, total: 4 ** 5, pad: 0.5 }), 6); // a padded view is 4 times the area
  assert.equal(viewZoom({ ...base, total: 4 ** 5, minZoom: 14 }), 14);
  assert.equal(viewZoom({ ...base, total: 4 ** 30 }), 18);
  assert.equal(viewZoom({ ...base, total: 0, minZoom: 15 }), 15);
});

test("a level loads by view when shown, close enough, and outside every box loaded in full", () => {
  const view = [2, 2, 4, 4];
  const wanted = { shown: true, zoom: 15, minZoom: 14, covered: [], view };
  assert.ok(levelWanted(wanted));
  assert.ok(!levelWanted({ ...wanted, shown: false }));
  assert.ok(!levelWanted({ ...wanted, zoom: 13.75 }));
  assert.ok(!levelWanted({ ...wanted, covered: [[0, 0, 5, 5]] }));
  assert.ok(levelWanted({ ...wanted, covered: [[3, 3, 5, 5]] }));
});

test("the later pages of a paged answer start where the one before ends, and stop at the last match", () => {
  assert.deepEqual(laterPageOffsets(2500, 1000), [1000, 2000]);
  assert.deepEqual(laterPageOffsets(2000, 1000), [1000]);
  assert.deepEqual(laterPageOffsets(1000, 1000), []);
  assert.deepEqual(laterPageOffsets(0, 1000), []);
});
