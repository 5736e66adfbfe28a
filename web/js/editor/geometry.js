/* Pure helpers of the editor (no DOM, no Leaflet: node --test runs them): vertices of GeoJSON polygons, the
 * If-Match header of an edit, the keyboard shortcuts, and the words the panels show. Coordinates are [lon, lat]
 * in WGS-84, as the API takes and gives them. */

// Two coordinates closer than this (degrees, about a millimetre) are the same vertex: the API returns
// shared vertices bit-identical, this only absorbs a float printed and read back.
const SAME_VERTEX_DEG = 1e-8;

/** The rings of a Polygon or MultiPolygon as a list of polygons, each a list of rings ([] for other types). */
export function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

/** The [lon, lat] of the vertex a Leaflet-Geoman `indexPath` names: [vertex] or [ring, vertex] in a Polygon,
 * [polygon, ring, vertex] in a MultiPolygon; null when the path leads nowhere. */
export function vertexAt(geometry, indexPath) {
  const path = indexPath.length === 1 ? [0, 0, indexPath[0]] : indexPath.length === 2 ? [0, ...indexPath] : indexPath;
  const ring = (polygonsOf(geometry)[path[0]] || [])[path[1]];
  const vertex = ring ? ring[path[2]] : undefined;
  return vertex ? [vertex[0], vertex[1]] : null;
}

/** Whether two [lon, lat] coordinates are the same vertex. */
export function sameVertex(a, b) {
  return Math.abs(a[0] - b[0]) < SAME_VERTEX_DEG && Math.abs(a[1] - b[1]) < SAME_VERTEX_DEG;
}

/** Whether a polygonal geometry has a vertex at `coordinate`. */
export function holdsVertex(geometry, coordinate) {
  return polygonsOf(geometry).some((rings) => rings.some((ring) => ring.some((v) => sameVertex(v, coordinate))));
}

/** The features (GeoJSON, with `id` and `properties.revision`) holding a vertex at `coordinate`. */
export function featuresAtVertex(features, coordinate) {
  return features.filter((feature) => holdsVertex(feature.geometry, coordinate));
}

/** The If-Match header of an edit based on `features`: `"id@revision"` of each, once each, comma separated. */
export function ifMatch(features) {
  const tags = new Map();
  for (const feature of features) tags.set(String(feature.id), `"${feature.id}@${feature.properties.revision}"`);
  return [...tags.values()].join(", ");
}

/** The levels drawn while editing `level`: it and its parent level, for context. */
export function levelsShown(level) {
  if (level === "microgrid") return ["community", "grid", "microgrid"];
  return level === "grid" ? ["community", "grid"] : ["community"];
}

/** What a key press asks for: "undo", "redo", "cancel" or null. Shortcuts typed into a form field stay there. */
export function shortcutFor({ key, ctrlKey = false, metaKey = false, shiftKey = false, inField = false }) {
  if (key === "Escape") return "cancel";
  if (inField || !(ctrlKey || metaKey)) return null;
  const lower = String(key).toLowerCase();
  if (lower === "z") return shiftKey ? "redo" : "undo";
  if (lower === "y") return "redo";
  return null;
}

export const OP_NAMES = {
  move_vertex: "移动顶点 Move vertex",
  insert_vertex: "插入顶点 Insert vertex",
  delete_vertex: "删除顶点 Delete vertex",
  reshape_border: "修改边界 Reshape border",
  split: "拆分 Split",
  merge: "合并 Merge",
  transfer: "划转 Transfer",
  create: "新建 Create",
  delete: "删除 Delete",
  attributes: "修改属性 Attributes",
};

/** One line of the history panel: the operation, who, when, and the area that changed hands. */
export function historyLine(edit) {
  const parts = [OP_NAMES[edit.op] || edit.op];
  if (edit.who) parts.push(edit.who);
  if (edit.at) parts.push(String(edit.at).slice(0, 19).replace("T", " "));
  if (edit.area_moved_m2) parts.push(formatArea(edit.area_moved_m2));
  return parts.join(" · ");
}

/** An area in m² as people read it: "1,234 m²", or hectares from 10,000 m². */
export function formatArea(m2) {
  const value = Number(m2);
  if (Math.abs(value) >= 10000) return (value / 10000).toFixed(2) + " ha";
  return Math.round(value).toLocaleString("en") + " m²";
}

const KIND_NAMES = {
  overlap: "重叠 Overlap",
  gap: "缝隙 Gap",
  sliver: "碎片 Sliver",
  nesting: "越界 Outside its parent",
  refused: "无法执行 Cannot apply",
};

/** A problem of a refused edit in words: "重叠 Overlap: message (12 m²)". */
export function problemText(problem) {
  const kind = KIND_NAMES[problem.kind] || problem.kind || KIND_NAMES.refused;
  const area = problem.area_m2 ? " (" + formatArea(problem.area_m2) + ")" : "";
  return kind + ": " + (problem.message || "") + area;
}

/** The problems a refused edit (an API problem+json body) shows: its `problems`, or one made of its detail and
 * `geometry` when the operation itself was refused. */
export function refusalProblems(problem) {
  const body = problem || {};
  if (Array.isArray(body.problems) && body.problems.length) return body.problems;
  return [{ kind: "refused", severity: "error", message: body.detail || body.title || "", geometry: body.geometry || null }];
}

/** One line of the conflict dialog: who changed which feature, when, and how. */
export function conflictLine(conflict) {
  const what = conflict.code ? conflict.code : conflict.feature_id;
  const op = conflict.op ? OP_NAMES[conflict.op] || conflict.op : "";
  const when = conflict.changed_at ? String(conflict.changed_at).slice(0, 19).replace("T", " ") : "";
  return [what, conflict.changed_by ? "由 by " + conflict.changed_by : "", op, when].filter(Boolean).join(" · ");
}

/** The rows of the diff table: [kind, code, what changed] for each feature the draft changes. */
export function diffRows(diff) {
  const rows = [];
  for (const f of diff.added || []) rows.push(["新增 Added", f.code, f.name || ""]);
  for (const f of diff.removed || []) rows.push(["删除 Removed", f.code, f.name || ""]);
  for (const r of diff.reshaped || []) {
    const sign = r.area_change_m2 >= 0 ? "+" : "−";
    rows.push(["改形 Reshaped", r.code, sign + formatArea(Math.abs(r.area_change_m2))]);
  }
  for (const c of diff.changed || []) {
    const fields = Object.entries(c.changes || {}).map(([name, v]) => name + ": " + v.before + " → " + v.after);
    rows.push(["属性 Attributes", c.code, fields.join("; ")]);
  }
  return rows;
}
