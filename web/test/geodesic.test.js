// Geodesic lengths and areas (js/geodesic.js) against GeographicLib's (pyproj.Geod on WGS-84) and Vincenty's own.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AUTHALIC_RADIUS, distance, pathLength, ringArea } from "../js/geodesic.js";

const dms = (d, m, s) => d + m / 60 + s / 3600;
const near = (actual, expected, tolerance) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, actual + " is not within " + tolerance + " of " + expected);

test("distances agree with the ellipsoid's geodesics to the millimetre", () => {
  // Flinders Peak to Buninyong, the worked example of Vincenty (1975): 54,972.271 m.
  const flinders = [dms(144, 25, 29.5244), -dms(37, 57, 3.7203)];
  const buninyong = [dms(143, 55, 35.3839), -dms(37, 39, 10.1561)];
  near(distance(flinders, buninyong), 54972.271, 0.001);
  near(distance([119.5, 27.45], [119.53, 27.47]), 3702.082946, 0.001); // across Shouning
  near(distance([0, 0], [1, 0]), 111319.490793, 0.001); // a degree of the equator
  near(distance([0, 0], [0, 1]), 110574.388558, 0.001); // a degree of meridian from the equator
  near(distance([116.3975, 39.9087], [121.4737, 31.2304]), 1066676.400645, 0.001); // Beijing to Shanghai
});

test("a distance is symmetric, zero between a point and itself, and a path adds its legs", () => {
  const a = [119.5, 27.45], b = [119.51, 27.46], c = [119.52, 27.45];
  assert.equal(distance(a, a), 0);
  near(distance(a, b), distance(b, a), 1e-6);
  near(pathLength([a, b, c]), distance(a, b) + distance(b, c), 1e-6);
  assert.equal(pathLength([a]), 0);
});

test("a nearly antipodal pair, where Vincenty's iteration fails, still gets a length of about half the globe", () => {
  const half = distance([0, 0], [180, 0]);
  assert.ok(half > 19.9e6 && half < 20.1e6, String(half));
});

test("areas agree with the ellipsoid's geodesic polygons", () => {
  near(ringArea([[0, 0], [1, 0], [1, 1], [0, 1]]), 12308778361.469, 12308778361.469 * 1e-6); // a 1° cell
  near(ringArea([[119.5, 27.45], [119.51, 27.45], [119.51, 27.46], [119.5, 27.46]]), 1095389.383, 0.01);
  near(ringArea([[119.5, 27.45], [119.5009, 27.4501], [119.5002, 27.4509]]), 4326.9748, 0.001);
});

test("an area does not depend on the ring's direction or closing point; fewer than three points have none", () => {
  const ring = [[119.5, 27.45], [119.51, 27.45], [119.51, 27.46], [119.5, 27.46]];
  near(ringArea([...ring].reverse()), ringArea(ring), 1e-6);
  near(ringArea([...ring, ring[0]]), ringArea(ring), 1e-6);
  assert.equal(ringArea(ring.slice(0, 2)), 0);
  // The whole ellipsoid's area is 4πR² of its authalic sphere: 510,065,621.7 km².
  near((4 * Math.PI * AUTHALIC_RADIUS ** 2) / 1e6, 510065621.7, 0.1);
});
