// The editor's live panels and loading by zoom (web/js/editor/status-text.js): simplification by zoom, which
// answer replaces a held feature, the diff on the map, the panels' words, the parents of a created feature.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  FULL_ZOOM, areaChange, changeStyle, checkSummary, diffMapFeatures, featuresMeeting, geometryBox, impactSummary,
  parentCandidates, parentLevel, replacesHeld, simplifyTolerance,
} from "../js/editor/status-text.js";

const box = (w, s, e, n) => ({ type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] });
const feature = (code, level, geometry) => ({ type: "Feature", id: code, geometry, properties: { code, level } });

test("outlines are simplified below a level's full zoom, by about a pixel, and never at or above it", () => {
  assert.equal(simplifyTolerance("grid", FULL_ZOOM.grid, 27.5), null);
  assert.equal(simplifyTolerance("grid", 18, 27.5), null);
  const far = simplifyTolerance("grid", 11, 27.5);
  const near = simplifyTolerance("grid", 14, 27.5);
  assert.ok(far > near && near > 0);
  assert.equal(Math.log2(near) % 1, 0); // a power of two: nearby zooms share a tolerance
  assert.ok(near >= 4 && near <= 16); // ~8.5 m a pixel at zoom 14 and 27.5°N
  assert.equal(simplifyTolerance("community", 3, 0), 1000); // the API's limit
  // Microgrids load only from zoom 15, where few are in view: never simplified.
  assert.equal(simplifyTolerance("microgrid", FULL_ZOOM.microgrid, 27.5), null);
  assert.equal(FULL_ZOOM.microgrid, 15);
});

test("full resolution replaces a simplified outline, never the other way", () => {
  assert.equal(replacesHeld(undefined, true), true);
  assert.equal(replacesHeld({ simplified: true }, false), true);
  assert.equal(replacesHeld({ simplified: true }, true), false);
  assert.equal(replacesHeld({ simplified: false }, true), false);
  assert.equal(replacesHeld({ simplified: false }, false), false);
});

test("a reshaped feature is drawn with its old outline dashed; added green, removed red dashed", () => {
  const collection = { type: "FeatureCollection", features: [
    { type: "Feature", id: "a", geometry: box(0, 0, 1, 1), properties: { code: "A", change: "added" } },
    { type: "Feature", id: "r", geometry: box(1, 0, 2, 1), properties: { code: "R", change: "removed" } },
    { type: "Feature", id: "s", geometry: box(2, 0, 3, 2),
      properties: { code: "S", change: "reshaped", area_change_m2: 10, geometry_before: box(2, 0, 3, 1) } },
  ] };
  const drawn = diffMapFeatures(collection);
  assert.deepEqual(drawn.map((f) => [f.id, f.properties.change]),
    [["a", "added"], ["r", "removed"], ["s:before", "before"], ["s", "reshaped"]]);
  assert.deepEqual(drawn[2].geometry, box(2, 0, 3, 1));
  assert.equal(changeStyle("added").color, "#2b8a3e");
  assert.ok(changeStyle("removed").dashArray && changeStyle("before").dashArray && !changeStyle("reshaped").dashArray);
  assert.equal(changeStyle("before").fill, false);
  assert.deepEqual(diffMapFeatures(null), []);
});

test("the check summary counts errors and warnings and names its scope", () => {
  const check = { scope: "changed_area", problems: [{ severity: "error" }, { severity: "warning" }, { severity: "error" }] };
  const summary = checkSummary(check);
  assert.equal(summary.errors, 2);
  assert.equal(summary.warnings, 1);
  assert.match(summary.text, /2 个错误 errors.*1 个提示 warnings.*changed area/);
  assert.match(checkSummary({ scope: "draft", problems: [] }).text, /^通过 OK · 检查范围 整个草稿/);
});

test("the impact summary says what moves and lists the grids whose count changes", () => {
  const impact = {
    households: { moved: 3, range: { min: 0, max: 2 }, out_of_range: ["G2"],
      grids: [{ grid: "G1", before: 3, after: 1, out_of_range: false }, { grid: "G2", before: 1, after: 3, out_of_range: true }] },
    incidents: { moved: 1, incidents: [] },
  };
  const summary = impactSummary(impact);
  assert.match(summary.lines[0], /Households changing grid: 3$/);
  assert.match(summary.lines[1], /Open incidents changing grid: 1$/);
  assert.match(summary.lines[2], /Grids outside 0–2 households: 1$/);
  assert.deepEqual(summary.rows, [["G1", 3, 1, false], ["G2", 1, 3, true]]);
  assert.deepEqual(impactSummary({}).rows, []);
  assert.equal(areaChange(-5000), "−5,000 m²");
  assert.equal(areaChange(25000), "+2.50 ha");
});

test("a created feature's parents are the parent level's features around the area, nearest first", () => {
  const features = [
    feature("C1", "community", box(0, 0, 10, 10)),
    feature("C2", "community", box(4, 4, 20, 20)),
    feature("C3", "community", box(30, 30, 40, 40)),
    feature("G1", "grid", box(0, 0, 5, 5)),
  ];
  const area = box(5, 5, 6, 6);
  assert.deepEqual(parentCandidates(features, "grid", area).map((f) => f.id), ["C1", "C2"]);
  assert.deepEqual(parentCandidates(features, "microgrid", area).map((f) => f.id), ["G1"]);
  assert.deepEqual(parentCandidates(features, "community", area), []);
  assert.equal(parentLevel("microgrid"), "grid");
  assert.deepEqual(featuresMeeting(features, box(35, 35, 50, 50)).map((f) => f.id), ["C3"]);
  assert.deepEqual(geometryBox({ type: "MultiPolygon", coordinates: [box(0, 1, 2, 3).coordinates, box(-1, 0, 0, 5).coordinates] }),
    [-1, 0, 2, 5]);
});
