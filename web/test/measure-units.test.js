// Measured lengths and areas as text, and scale bar lengths (js/measure-units.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { areaFigures, formatArea, formatDistance, MU_SQUARE_METRES, scaleBarLabel, scaleBarMetres } from "../js/measure-units.js";

test("distances read in metres below a kilometre and in kilometres above", () => {
  assert.equal(formatDistance(4.26), "4.3 米 m");
  assert.equal(formatDistance(856.4), "856 米 m");
  assert.equal(formatDistance(1234.5), "1.23 公里 km");
  assert.equal(formatDistance(123456), "123.5 公里 km");
});

test("an area reads in square metres, hectares and mu (15 mu to the hectare)", () => {
  assert.equal(MU_SQUARE_METRES.toFixed(2), "666.67");
  const { hectares, mu } = areaFigures(20000);
  assert.equal(hectares, 2);
  assert.ok(Math.abs(mu - 30) < 1e-9);
  assert.equal(formatArea(20000), "20,000 平方米 m² · 2.00 公顷 ha · 30.00 亩 mu");
  assert.equal(formatArea(1095389.38), "1,095,389 平方米 m² · 109.5 公顷 ha · 1,643.1 亩 mu");
});

test("a scale bar takes the longest 1, 2 or 5 times a power of ten that fits", () => {
  assert.equal(scaleBarMetres(740), 500);
  assert.equal(scaleBarMetres(500), 500);
  assert.equal(scaleBarMetres(499), 200);
  assert.equal(scaleBarMetres(1999), 1000);
  assert.equal(scaleBarMetres(0.3), 0.2);
  assert.equal(scaleBarMetres(0), 0);
  assert.equal(scaleBarLabel(200), "200 米 m");
  assert.equal(scaleBarLabel(2000), "2 公里 km");
});
