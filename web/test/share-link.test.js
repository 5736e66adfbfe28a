// The view as a URL hash and back (js/share-link.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { centreDecimals, decodeShareState, encodeShareState } from "../js/share-link.js";

const VIEW = {
  centre: [27.4612347, 119.5123456],
  zoom: 15.25,
  version: 3,
  layers: ["community", "grid", "areas", "ref:streets"],
  filters: { category: "0101", status: "reported,accepted", from: "2025-01-01", to: "2025-03-31", step: "month",
    period: "2025-02-01T00:00:00+08:00" },
  measure: "type:kindergarten",
  rate: "per1000",
};

test("a view survives encoding and decoding, its centre to the decimals its zoom needs", () => {
  const hash = encodeShareState(VIEW);
  assert.match(hash, /^map=15\.25\/27\.461235\/119\.512346&version=3&layers=community,grid,areas,ref:streets&/);
  const back = decodeShareState("#" + hash);
  assert.deepEqual(back, { ...VIEW, centre: [27.461235, 119.512346] });
});

test("empty filters, the default rate and no version are left out of the hash", () => {
  const hash = encodeShareState({ centre: [27.46, 119.51], zoom: 14, layers: ["grid"], filters: { category: "" }, rate: "count" });
  assert.equal(hash, "map=14/27.460000/119.510000&layers=grid");
  assert.deepEqual(decodeShareState(hash), { centre: [27.46, 119.51], zoom: 14, layers: ["grid"], filters: {} });
  assert.deepEqual(decodeShareState(encodeShareState({ centre: [0, 0], zoom: 3, layers: [] })).layers, []);
});

test("more zoom, more decimals: about a tenth of a pixel, between 2 and 7", () => {
  assert.equal(centreDecimals(3), 2);
  assert.equal(centreDecimals(14), 6);
  assert.equal(centreDecimals(20), 7);
});

test("decoding keeps what is well formed and drops the rest", () => {
  const view = decodeShareState("map=99/27/119&version=-2&layers=grid,<script>,Bad&from=2025-13&to=2025-03-31"
    + "&step=year&status=reported&period=soon&measure=evil&rate=all");
  assert.deepEqual(view, { layers: ["grid"], filters: { to: "2025-03-31", status: "reported" } });
  assert.deepEqual(decodeShareState("map=14/95/119"), { layers: null, filters: {} });
  assert.deepEqual(decodeShareState(""), { layers: null, filters: {} });
});
