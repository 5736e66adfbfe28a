// The pages' datum conversions (js/datums.js) against the published vectors the Python side is tested with
// (tests/fixtures/crs_vectors.json, as in tests/geo for gridmap/geo/crs.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { bd09ToGcj02, fromWgs84, gcj02ToWgs84, toWgs84, wgs84ToGcj02 } from "../js/datums.js";

const vectors = JSON.parse(readFileSync(new URL("../../tests/fixtures/crs_vectors.json", import.meta.url), "utf8"));
const evil = vectors.eviltransform;

function near(actual, expected, tolerance, label) {
  assert.ok(Math.abs(actual[0] - expected[0]) <= tolerance && Math.abs(actual[1] - expected[1]) <= tolerance,
    `${label}: ${actual} is not within ${tolerance} of ${expected}`);
}

test("WGS-84 to GCJ-02 gives the published values to six decimals", () => {
  for (const [wgsLat, wgsLng, gcjLat, gcjLng, place] of evil.wgs_gcj.rows) {
    near(wgs84ToGcj02(wgsLng, wgsLat), [gcjLng, gcjLat], 5e-7, place);
  }
  const expected = vectors.wandergis_coordtransform.expected.wgs84togcj02;
  near(wgs84ToGcj02(...vectors.wandergis_coordtransform.input), expected, 1e-9, "wandergis");
});

test("GCJ-02 back to WGS-84 is exact to far below a centimetre", () => {
  for (const [wgsLat, wgsLng, gcjLat, gcjLng, place] of evil.wgs_gcj.rows) {
    near(gcj02ToWgs84(gcjLng, gcjLat), [wgsLng, wgsLat], 1e-8, place); // 1e-8 degrees is about a millimetre
  }
});

test("points outside China are not shifted", () => {
  for (const [lat, lng, place] of evil.outside_china_identity.rows) {
    assert.deepEqual(wgs84ToGcj02(lng, lat), [lng, lat], place);
    assert.deepEqual(gcj02ToWgs84(lng, lat), [lng, lat], place);
  }
});

test("BD-09 goes to GCJ-02 as published, and to WGS-84 through it", () => {
  for (const [bdLat, bdLng, gcjLat, gcjLng] of evil.bd_gcj.rows) near(bd09ToGcj02(bdLng, bdLat), [gcjLng, gcjLat], 5e-5, "bd_gcj");
  const { input, expected } = vectors.wandergis_coordtransform;
  near(bd09ToGcj02(...input), expected.bd09togcj02, 1e-9, "wandergis");
  // eviltransform's bd_wgs rows are off the published formula by metres (see tests/geo/test_crs.py): not used.
  near(toWgs84(...input, "bd09"), gcj02ToWgs84(...expected.bd09togcj02), 1e-9, "bd09 to wgs84");
});

test("gcoord's GCJ-02 vectors agree within their rounding", () => {
  const unit = vectors.gcoord.extra_unit_vectors;
  near(wgs84ToGcj02(123, 45), unit["WGS84_to_GCJ02([123,45])"], 7.3e-6, "WGS84_to_GCJ02");
  assert.deepEqual(gcj02ToWgs84(183, 45), unit["GCJ02_to_WGS84([183,45]) (outside China)"]);
});

test("toWgs84 and fromWgs84 choose the conversion by datum name", () => {
  const [lng, lat] = [119.51, 27.46];
  assert.deepEqual(toWgs84(lng, lat, "wgs84"), [lng, lat]);
  assert.deepEqual(fromWgs84(lng, lat, "wgs84"), [lng, lat]);
  assert.deepEqual(fromWgs84(lng, lat, "gcj02"), wgs84ToGcj02(lng, lat));
  near(toWgs84(...fromWgs84(lng, lat, "gcj02"), "gcj02"), [lng, lat], 1e-8, "round trip");
});
