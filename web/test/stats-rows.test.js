// The statistics table's pure parts (js/stats-rows.js): sorting, cell text, the API query.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatCell, sortRows, statsQuery } from "../js/stats-rows.js";

const ROWS = [
  { code: "b", name: "城东第2网格", households: 120, on_time_rate: 0.5 },
  { code: "a", name: "城东第10网格", households: null, on_time_rate: null },
  { code: "c", name: "大同第1网格", households: 300, on_time_rate: 1 },
  { code: "d", name: "城东第1网格", households: 120, on_time_rate: 0 },
];
const codes = (rows) => rows.map((r) => r.code);

test("numbers sort by value both ways, empty cells last either way, ties in their order", () => {
  assert.deepEqual(codes(sortRows(ROWS, "households")), ["b", "d", "c", "a"]);
  assert.deepEqual(codes(sortRows(ROWS, "households", true)), ["c", "b", "d", "a"]);
  assert.deepEqual(codes(sortRows(ROWS, "on_time_rate")), ["d", "b", "c", "a"]);
  assert.deepEqual(codes(ROWS), ["b", "a", "c", "d"]); // the input is left as it was
});

test("text sorts with numbers inside it read as numbers", () => {
  assert.deepEqual(codes(sortRows(ROWS, "name")).slice(0, 3), ["d", "b", "a"]);
  assert.deepEqual(codes(sortRows(ROWS, "code", true)), ["d", "c", "b", "a"]);
});

test("cells read as counts, percentages or a dash", () => {
  assert.equal(formatCell(null, "count"), "—");
  assert.equal(formatCell(undefined, "share"), "—");
  assert.equal(formatCell(0, "count"), "0");
  assert.equal(formatCell(12345, "count"), "12,345");
  assert.equal(formatCell(0.875, "share"), "88%");
  assert.equal(formatCell(0, "share"), "0%");
  assert.equal(formatCell("35092410000100101", "text"), "35092410000100101");
});

test("the query names a community or a box, never both, and the format for downloads", () => {
  assert.equal(statsQuery({ version: 3, level: "microgrid", community: "350924100001", bbox: "1,2,3,4" }).toString(),
    "level=microgrid&version=3&community=350924100001");
  assert.equal(statsQuery({ version: null, bbox: "1,2,3,4", format: "csv" }).toString(),
    "level=grid&bbox=1%2C2%2C3%2C4&format=csv");
  assert.equal(statsQuery({}).toString(), "level=grid");
});
