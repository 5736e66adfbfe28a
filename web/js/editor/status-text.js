/* Pure helpers of the editor's live panels and of loading by zoom (no DOM, no Leaflet: node --test runs them):
 * the words of the check, diff and impact panels from GET .../draft-status, the map style of a change, the
 * simplification asked for at a zoom, and the parents a created feature may take. */
import { formatArea } from "./geometry.js";

// From this zoom a level is loaded at full resolution, and its vertices can be dragged; below it the outlines
// are simplified for display only (the API's coverage simplification keeps shared borders shared).
// Microgrids load only from zoom 15 (layers.js), where few are in view: always at full resolution.
export const FULL_ZOOM = { community: 15, grid: 15, microgrid: 15 };
const METRES_PER_PIXEL_ZOOM0 = 156543.03392; // Web Mercator, at the equator
const MAX_SIMPLIFY_M = 1000; // the API's limit

/** The simplification tolerance (metres, about one screen pixel, rounded to a power of two so that nearby
 * zooms share it) for `level` at `zoom` and latitude `lat`; null at full-resolution zooms. */
export function simplifyTolerance(level, zoom, lat) {
  if (zoom >= FULL_ZOOM[level]) return null;
  const metresPerPixel = (METRES_PER_PIXEL_ZOOM0 * Math.cos((lat * Math.PI) / 180)) / 2 ** zoom;
  const rounded = 2 ** Math.round(Math.log2(Math.max(metresPerPixel, 0.5)));
  return Math.min(rounded, MAX_SIMPLIFY_M);
}

/** Whether an answer's feature should replace the one held: anything replaces nothing, and full resolution
 * replaces a simplified outline (never the other way: what can be edited stays). */
export function replacesHeld(held, incomingSimplified) {
  if (!held) return true;
  return held.simplified && !incomingSimplified;
}

const CHANGE_STYLES = {
  added: { color: "#2b8a3e", weight: 3, fillColor: "#51cf66", fillOpacity: 0.3, dashArray: null },
  removed: { color: "#d62728", weight: 3, fillColor: "#ff8787", fillOpacity: 0.15, dashArray: "8 6" },
  reshaped: { color: "#1971c2", weight: 3, fillColor: "#74c0fc", fillOpacity: 0.2, dashArray: null },
  before: { color: "#1971c2", weight: 2, fill: false, dashArray: "6 6", opacity: 0.9 },
};

/** The map style of a diff feature: added green, removed red dashed, reshaped blue with its old outline dashed
 * ("before"). */
export function changeStyle(change) {
  return CHANGE_STYLES[change] || CHANGE_STYLES.reshaped;
}

/** The diff's features as drawn: each one, and for a reshaped one its old outline too (change "before"). */
export function diffMapFeatures(collection) {
  const drawn = [];
  for (const feature of (collection && collection.features) || []) {
    const p = feature.properties || {};
    if (p.change === "reshaped" && p.geometry_before) {
      drawn.push({ type: "Feature", id: feature.id + ":before", geometry: p.geometry_before,
        properties: { code: p.code, change: "before" } });
    }
    drawn.push({ type: "Feature", id: feature.id, geometry: feature.geometry, properties: { code: p.code, change: p.change } });
  }
  return drawn;
}

const SCOPE_WORDS = {
  draft: "整个草稿 the whole draft",
  changed_area: "改动区域 the changed area",
};

/** The check panel's summary: how many errors and warnings, over what. */
export function checkSummary(check) {
  const problems = (check && check.problems) || [];
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const scope = SCOPE_WORDS[check && check.scope] || "";
  const verdict = errors ? errors + " 个错误 errors" : "通过 OK";
  return { errors, warnings, text: verdict + (warnings ? " · " + warnings + " 个提示 warnings" : "") + (scope ? " · 检查范围 " + scope : "") };
}

/** The impact panel's lines: households and open incidents changing grid, then one row per grid whose
 * household count changes ([grid, before, after, out of range]). */
export function impactSummary(impact) {
  const households = (impact && impact.households) || {};
  const incidents = (impact && impact.incidents) || {};
  const range = households.range || { min: 0, max: 0 };
  return {
    lines: [
      "住户将换网格 Households changing grid: " + (households.moved || 0),
      "未结事件将换网格 Open incidents changing grid: " + (incidents.moved || 0),
      "超出户数范围的网格 Grids outside " + range.min + "–" + range.max + " households: " + (households.out_of_range || []).length,
    ],
    rows: (households.grids || []).map((g) => [g.grid, g.before, g.after, Boolean(g.out_of_range)]),
    outOfRange: households.out_of_range || [],
  };
}

/** A reshaped feature's area change in words ("+1,234 m²", "−0.50 ha"). */
export function areaChange(m2) {
  return (m2 >= 0 ? "+" : "−") + formatArea(Math.abs(m2));
}

/** [west, south, east, north] of a GeoJSON geometry's coordinates. */
export function geometryBox(geometry) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (coords) => {
    if (typeof coords[0] === "number") {
      box[0] = Math.min(box[0], coords[0]);
      box[1] = Math.min(box[1], coords[1]);
      box[2] = Math.max(box[2], coords[0]);
      box[3] = Math.max(box[3], coords[1]);
    } else coords.forEach(visit);
  };
  if (geometry && geometry.coordinates) visit(geometry.coordinates);
  return box;
}

const PARENT_LEVEL = { community: null, grid: "community", microgrid: "grid" };

/** The level a feature of `level` has its parent on (null for communities). */
export function parentLevel(level) {
  return PARENT_LEVEL[level] ?? null;
}

/** The features (GeoJSON) whose box meets the box of `area` (a GeoJSON geometry). */
export function featuresMeeting(features, area) {
  const [w, s, e, n] = geometryBox(area);
  return features.filter((f) => {
    const b = geometryBox(f.geometry);
    return b[0] <= e && b[2] >= w && b[1] <= n && b[3] >= s;
  });
}

/** The features that may be the parent of a feature of `level` drawn over `area`: those of the parent level
 * whose box meets the area's box, the one whose box centre is nearest the area's first. */
export function parentCandidates(features, level, area) {
  const wanted = parentLevel(level);
  if (!wanted) return [];
  const centre = boxCentre(geometryBox(area));
  const distance = (f) => {
    const c = boxCentre(geometryBox(f.geometry));
    return Math.hypot(c[0] - centre[0], c[1] - centre[1]);
  };
  return featuresMeeting(features.filter((f) => f.properties.level === wanted), area)
    .map((f) => [distance(f), f])
    .sort((a, b) => a[0] - b[0])
    .map(([, f]) => f);
}

function boxCentre([w, s, e, n]) {
  return [(w + e) / 2, (s + n) / 2];
}
