// The review page's CSV reading and writing (js/review/csv.js): quoting, GBK files, Excel's BOM.
import assert from "node:assert/strict";
import { test } from "node:test";

import { cleanedCells, cleanedTable, CLEANED_COLUMNS } from "../js/review/cleaned.js";
import { addressColumn, decodeText, formatCsv, parseCsv, readTable } from "../js/review/csv.js";

test("quoted fields keep their commas, doubled quotes and line breaks; blank lines are skipped", () => {
  const text = 'id,address\r\n1,"胜利街12号, 东边"\r\n\r\n2,"他说""三楼"""\n3,"两\n行"\n';
  assert.deepEqual(parseCsv(text), [["id", "address"], ["1", "胜利街12号, 东边"], ["2", '他说"三楼"'], ["3", "两\n行"]]);
});

test("a table's records are keyed by the trimmed header, short rows filled with empty cells", () => {
  const table = readTable(" id ,地址\n1\n2,朝阳新村\n");
  assert.deepEqual(table.header, ["id", "地址"]);
  assert.deepEqual(table.records, [{ id: "1", 地址: "" }, { id: "2", 地址: "朝阳新村" }]);
  assert.equal(addressColumn(table.header), "地址");
  assert.equal(addressColumn(["编号", "备注"]), "编号");
});

test("UTF-8 is read as UTF-8 (its BOM dropped) and anything else as GBK", () => {
  const utf8 = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("地址")]);
  assert.equal(decodeText(utf8), "地址");
  const gbk = new Uint8Array([0xb5, 0xd8, 0xd6, 0xb7]); // 地址 in GBK
  assert.equal(decodeText(gbk), "地址");
});

test("the cleaned CSV starts with a BOM, quotes what needs it and round-trips", () => {
  const records = [{ a: "x,y", b: 'say "hi"' }, { a: "1", b: null }];
  const text = formatCsv(["a", "b"], records);
  assert.ok(text.startsWith("\uFEFF"));
  assert.deepEqual(readTable(text.slice(1)).records, [{ a: "x,y", b: 'say "hi"' }, { a: "1", b: "" }]);
});

test("the cleaned table says matched, reviewed (the pick's place), rejected or still needs_review", () => {
  const answers = new Map([
    ["胜利街4号", { status: "matched", match: { address: "胜利街4号", id: "door:胜利街:4" }, wgs84: { lon: 119.5, lat: 27.4 } }],
    ["金域花园1栋101室", { status: "needs_review", match: { address: null, id: null }, wgs84: null }],
    ["某处", { status: "unmatched", match: { address: null, id: null }, wgs84: null }],
  ]);
  const pick = { address: "金城花园1栋101室", id: "room:金城花园:1:-:101", wgs84: { lon: 119.51, lat: 27.41 } };
  const records = [{ 地址: "胜利街4号", match_status: "old" }, { 地址: " 金域花园1栋101室" }, { 地址: "某处" }, { 地址: "" }];
  const table = cleanedTable(["地址", "match_status"], records, "地址", answers, new Map([["金域花园1栋101室", pick]]));
  assert.deepEqual(table.header, ["地址", ...CLEANED_COLUMNS]);
  assert.deepEqual(table.records.map((r) => r.match_status), ["matched", "reviewed", "unmatched", ""]);
  assert.equal(table.records[1].matched_id, "room:金城花园:1:-:101");
  assert.equal(table.records[1].wgs84_lon, "119.5100000");
  assert.equal(cleanedCells(answers.get("金域花园1栋101室"), null).match_status, "rejected");
  assert.equal(cleanedCells(answers.get("金域花园1栋101室"), undefined).match_status, "needs_review");
});
