/* Vertex editing of the selected feature with Leaflet-Geoman: drag a vertex (move_vertex), click or drag the
 * middle of an edge (insert_vertex), right-click a vertex (delete_vertex).
 *
 * Geoman moves the vertex in the one polygon on screen; the server moves it in every feature holding it (the
 * neighbours on both sides, the levels above and below), so the edit is based on the revisions of all the
 * features drawn that hold it, and the answer redraws them all. The vertex sent as `at` is read from the stored
 * WGS-84 geometry by Geoman's index path, never from the screen; so handles are shown only on a feature held at
 * full resolution, and only from its level's FULL_ZOOM (status-text.js): simplified outlines are never edited. */
import { applyEdit } from "./edits.js";
import { featuresAtVertex, holdsVertex, vertexAt } from "./geometry.js";
import { allFeatures, onSelectionChange } from "./layers.js";
import { map, toLonLat } from "./map.js";
import { state } from "./state.js";
import { FULL_ZOOM } from "./status-text.js";

const EDIT_OPTIONS = {
  draggable: false, // the whole feature never moves: only its vertices
  allowSelfIntersection: false,
  snappable: true,
  removeVertexOn: "contextmenu",
};

let editing = null; // the entry whose vertices are shown
let pendingInsert = null; // a dragged middle marker: sends the insertion to where it is let go
const wired = new WeakSet(); // layers whose Geoman events are listened to
let pointerDown = false;
document.addEventListener("pointerdown", () => { pointerDown = true; }, true);
document.addEventListener("pointerup", () => { pointerDown = false; }, true);

/** Show the vertices of the selected feature when one is selected at full resolution, the map is close enough
 * and the select tool is on; hide them otherwise. */
export function syncVertexEditing() {
  const chosen = state.tool === "select" && state.selected.length === 1 ? state.byId.get(state.selected[0]) : null;
  const entry = chosen && !chosen.simplified && map.getZoom() >= FULL_ZOOM[chosen.level] ? chosen : null;
  if (editing && editing !== entry && editing.layer.pm) editing.layer.pm.disable();
  editing = entry;
  if (!entry || !entry.layer.pm || entry.layer.pm.enabled()) return;
  entry.layer.pm.enable(EDIT_OPTIONS);
  if (wired.has(entry.layer)) return;
  wired.add(entry.layer);
  const id = String(entry.feature.id);
  entry.layer.on("pm:markerdragend", (event) => onVertexMoved(id, event));
  entry.layer.on("pm:vertexadded", (event) => onVertexAdded(id, event));
  entry.layer.on("pm:vertexremoved", (event) => onVertexRemoved(id, event));
}
onSelectionChange(syncVertexEditing);
map.on("zoomend", syncVertexEditing);

/** Whether vertex handles are shown, and on which feature (its id; null: none). */
export function vertexEditing() {
  return editing ? String(editing.feature.id) : null;
}

function onVertexMoved(id, event) {
  if (pendingInsert) {
    pendingInsert(event.markerEvent.target.getLatLng()); // the drag of a new vertex ends: insert it there
    return;
  }
  if (!event.indexPath) return;
  const feature = state.byId.get(id).feature;
  const at = vertexAt(feature.geometry, event.indexPath);
  if (!at) return;
  if (event.intersectionReset) return; // Geoman put it back itself: the ring would have crossed itself
  const to = toLonLat(event.markerEvent.target.getLatLng());
  const holders = featuresAtVertex(allFeatures(), at);
  applyEdit({ op: "move_vertex", at, to }, holders, holders.map((f) => String(f.id)));
}

function onVertexAdded(id, event) {
  // A click on an edge's middle marker inserts there; a drag of it inserts and moves the new vertex, and only
  // the end of the drag (pm:markerdragend, with the marker where it was let go) says where to: wait for it.
  // Should no drag end follow the release (the marker never moved), the insertion is sent where it was made.
  const feature = state.byId.get(id).feature;
  const path = event.indexPath;
  const before = vertexAt(feature.geometry, [...path.slice(0, -1), path[path.length - 1] - 1]);
  const after = vertexAt(feature.geometry, path) || vertexAt(feature.geometry, [...path.slice(0, -1), 0]);
  const at = toLonLat(event.latlng);
  const holders = allFeatures().filter((f) => before && after && holdsVertex(f.geometry, before) && holdsVertex(f.geometry, after));
  const basedOn = holders.length ? holders : [feature];
  const send = (latlng) => {
    pendingInsert = null;
    const to = toLonLat(latlng);
    const moved = Math.abs(to[0] - at[0]) > 1e-9 || Math.abs(to[1] - at[1]) > 1e-9;
    applyEdit(moved ? { op: "insert_vertex", at, to } : { op: "insert_vertex", at }, basedOn, basedOn.map((f) => String(f.id)));
  };
  if (!pointerDown) {
    send(event.latlng);
    return;
  }
  pendingInsert = send;
  document.addEventListener("pointerup", () => window.setTimeout(() => {
    if (pendingInsert === send) send(event.latlng);
  }, 0), { once: true, capture: true });
}

function onVertexRemoved(id, event) {
  const feature = state.byId.get(id).feature;
  const at = vertexAt(feature.geometry, event.indexPath);
  if (!at) return;
  const holders = featuresAtVertex(allFeatures(), at);
  applyEdit({ op: "delete_vertex", at }, holders, holders.map((f) => String(f.id)));
}
