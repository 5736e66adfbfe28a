// The editor's pure helpers (web/js/editor/geometry.js): vertices by Geoman index path, the If-Match header,
// the keyboard shortcuts and the words of the panels.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  conflictLine, diffRows, featuresAtVertex, formatArea, historyLine, holdsVertex, ifMatch, levelsShown,
  problemText, refusalProblems, shortcutFor, vertexAt,
} from "../js/editor/geometry.js";

const square = { type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]] };
const right = { type: "Polygon", coordinates: [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]] };
const multi = { type: "MultiPolygon", coordinates: [square.coordinates, [[[5, 5], [6, 5], [6, 6], [5, 5]]]] };

test("a Geoman index path names the stored vertex of a polygon or multipolygon", () => {
  assert.deepEqual(vertexAt(square, [0, 2]), [1, 1]);
  assert.deepEqual(vertexAt(square, [3]), [0, 1]);
  assert.deepEqual(vertexAt(multi, [1, 0, 1]), [6, 5]);
  assert.equal(vertexAt(square, [1, 0]), null); // no hole
  assert.equal(vertexAt(multi, [2, 0, 0]), null);
});

test("the features holding a vertex are its neighbours on every side, whatever the float noise", () => {
  const features = [{ id: "a", geometry: square }, { id: "b", geometry: right }];
  assert.deepEqual(featuresAtVertex(features, [1, 1]).map((f) => f.id), ["a", "b"]);
  assert.deepEqual(featuresAtVertex(features, [0, 1]).map((f) => f.id), ["a"]);
  assert.ok(holdsVertex(right, [1 + 1e-12, 1]));
  assert.ok(!holdsVertex(right, [1.001, 1]));
  assert.deepEqual(featuresAtVertex(features, [0.5, 0.5]), []);
});

test("If-Match names each feature's revision once", () => {
  const a = { id: "a", properties: { revision: 3 } };
  const b = { id: "b-2", properties: { revision: 1 } };
  assert.equal(ifMatch([a, b, a]), '"a@3", "b-2@1"');
  assert.equal(ifMatch([]), "");
});

test("the levels drawn while editing one: it and the levels above", () => {
  assert.deepEqual(levelsShown("community"), ["community"]);
  assert.deepEqual(levelsShown("grid"), ["community", "grid"]);
  assert.deepEqual(levelsShown("microgrid"), ["community", "grid", "microgrid"]);
});

test("keyboard shortcuts: Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, Escape cancels, fields keep their keys", () => {
  assert.equal(shortcutFor({ key: "z", ctrlKey: true }), "undo");
  assert.equal(shortcutFor({ key: "Z", ctrlKey: true, shiftKey: true }), "redo");
  assert.equal(shortcutFor({ key: "y", metaKey: true }), "redo");
  assert.equal(shortcutFor({ key: "Escape" }), "cancel");
  assert.equal(shortcutFor({ key: "Escape", inField: true }), "cancel");
  assert.equal(shortcutFor({ key: "z" }), null);
  assert.equal(shortcutFor({ key: "z", ctrlKey: true, inField: true }), null);
  assert.equal(shortcutFor({ key: "s", ctrlKey: true }), null);
});

test("a refusal shows its problems, or its own reason and geometry when the operation was refused", () => {
  const problems = [{ kind: "overlap", severity: "error", message: "A overlaps B", area_m2: 12.4, geometry: square }];
  assert.deepEqual(refusalProblems({ detail: "x", problems }), problems);
  const refused = refusalProblems({ detail: "the line does not cross the feature", problems: [], geometry: right });
  assert.equal(refused.length, 1);
  assert.equal(refused[0].geometry, right);
  assert.match(problemText(refused[0]), /无法执行 Cannot apply: the line does not cross the feature/);
  assert.equal(problemText(problems[0]), "重叠 Overlap: A overlaps B (12 m²)");
  assert.equal(refusalProblems(null)[0].geometry, null);
});

test("areas read as m² below a hectare and as hectares above", () => {
  assert.equal(formatArea(1234.4), "1,234 m²");
  assert.equal(formatArea(25000), "2.50 ha");
});

test("history and conflict lines say what, who and when", () => {
  const edit = { op: "move_vertex", who: "规划员", at: "2025-01-02T03:04:05.678+00:00", area_moved_m2: 0 };
  assert.equal(historyLine(edit), "移动顶点 Move vertex · 规划员 · 2025-01-02 03:04:05");
  assert.equal(historyLine({ op: "split", area_moved_m2: 20000 }), "拆分 Split · 2.00 ha");
  const conflict = { feature_id: "f1", code: "3509241000010203", changed_by: "李工", op: "merge", changed_at: "2025-01-02T03:04:05" };
  assert.equal(conflictLine(conflict), "3509241000010203 · 由 by 李工 · 合并 Merge · 2025-01-02 03:04:05");
  assert.equal(conflictLine({ feature_id: "f2" }), "f2");
});

test("the diff table lists added, removed, reshaped and renamed features", () => {
  const rows = diffRows({
    added: [{ code: "1", name: "新" }],
    removed: [{ code: "2", name: "旧" }],
    reshaped: [{ code: "3", area_change_m2: -120.6 }],
    changed: [{ code: "4", changes: { name: { before: "甲", after: "乙" } } }],
  });
  assert.deepEqual(rows, [
    ["新增 Added", "1", "新"],
    ["删除 Removed", "2", "旧"],
    ["改形 Reshaped", "3", "−121 m²"],
    ["属性 Attributes", "4", "name: 甲 → 乙"],
  ]);
  assert.deepEqual(diffRows({}), []);
});
