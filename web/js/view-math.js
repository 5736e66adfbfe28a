/* Pure arithmetic of loading by view: boxes as [west, south, east, north] in degrees, zooms as Leaflet's. */
import { toWgs84 } from "./datums.js";

export const VIEW_LOAD_THRESHOLD = 3000; // a level with more features than this is loaded by view

/** `box` grown by `share` of its width and height on each side (as Leaflet's LatLngBounds.pad). */
export function padBox([west, south, east, north], share) {
  const dx = Math.abs(east - west) * share;
  const dy = Math.abs(north - south) * share;
  return [west - dx, south - dy, east + dx, north + dy];
}

/** Whether `outer` holds all of `inner`. */
export function boxContains(outer, inner) {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/** The API's `bbox` parameter (WGS-84, six decimals) for a box given in the map's `datum`, clamped to the globe. */
export function bboxParam(box, datum) {
  const [west, south] = toWgs84(box[0], box[1], datum);
  const [east, north] = toWgs84(box[2], box[3], datum);
  const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value));
  return [clamp(west, 180), clamp(south, 90), clamp(east, 180), clamp(north, 90)].map((v) => v.toFixed(6)).join(",");
}

/** How a level of a version is loaded before counting it: "whole", or "count" when its size decides.
 * `mode` is the page's ?load= (auto, all or view); a level without `viewZoom` (communities) always loads whole,
 * and so does every level of a version with few features in all. */
export function loadPlan({ mode, viewZoom, versionFeatures }) {
  if (viewZoom === undefined || mode === "all") return "whole";
  if (mode !== "view" && versionFeatures !== undefined && versionFeatures <= VIEW_LOAD_THRESHOLD) return "whole";
  return "count";
}

/** Whether a level of `total` features is loaded by view. */
export function loadsByView({ mode, total }) {
  return mode === "view" || total > VIEW_LOAD_THRESHOLD;
}

/** The lowest zoom (not below `minZoom`, at most `maxZoom`) at which a view of `viewPixels`, padded by `pad`
 * on each side, would hold about `budget` of `total` features spread evenly over an extent of
 * `extentPixels0` square pixels at zoom 0: areas in pixels grow 4 times per zoom level. */
export function viewZoom({ total, extentPixels0, viewPixels, pad, budget, minZoom, maxZoom }) {
  if (!(total > 0)) return minZoom;
  const extent = Math.max(extentPixels0, 1e-12);
  const viewArea = viewPixels * (1 + 2 * pad) ** 2;
  const zoom = Math.ceil(Math.log((total * viewArea) / (extent * budget)) / Math.log(4));
  return Math.max(minZoom, Math.min(maxZoom, zoom));
}

/** Whether a level loaded by view is fetched for `view`: it is shown, the map is close enough, and the view
 * is not inside a box already loaded in full. */
export function levelWanted({ shown, zoom, minZoom, covered, view }) {
  return shown && zoom >= minZoom && !covered.some((loaded) => boxContains(loaded, view));
}

/** The offsets of the pages after the first (of `pageSize` features) that hold the rest of `matched` features. */
export function laterPageOffsets(matched, pageSize) {
  const offsets = [];
  for (let offset = pageSize; offset < matched; offset += pageSize) offsets.push(offset);
  return offsets;
}
