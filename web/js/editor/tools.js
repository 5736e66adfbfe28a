/* The toolbar: drawing tools (a line to split the selected feature or to reshape the border of two selected
 * neighbours, an area to transfer from the first selected to the second, an area to create a feature on a gap),
 * merge and delete, undo and redo, and the keyboard: Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo, Escape cancels
 * the tool or the form under way, else the selection. */
import { showStatus } from "../viewer/status.js";
import { cancelCreate, openCreateForm } from "./create.js";
import { applyEdit, stepEdit } from "./edits.js";
import { shortcutFor } from "./geometry.js";
import { onSelectionChange, select } from "./layers.js";
import { map, toLonLat } from "./map.js";
import { selectedEntries, state } from "./state.js";
import { syncVertexEditing } from "./vertices.js";

// What each drawing tool needs selected, draws, and the hint shown while it is on.
const TOOLS = {
  split: { needs: 1, shape: "Line", hint: "在所选要素上画一条穿过它的线，点击最后一点结束。Draw a line across the selected feature; click its last point to finish." },
  reshape: { needs: 2, shape: "Line", hint: "画出两个所选邻居的新边界，点击最后一点结束。Draw the new border of the two selected neighbours; click its last point to finish." },
  transfer: { needs: 2, shape: "Polygon", hint: "画出从第一个所选要素划给第二个的区域，点击起点闭合。Draw the area the first selected feature gives the second; click the first point to close." },
  create: { needs: null, shape: "Polygon", hint: "在缝隙上画出新要素的范围，点击起点闭合。Draw the new feature's area over a gap; click the first point to close." },
};
const NEED_WORDS = { 1: "请先选择一个要素 Select one feature first", 2: "请先选择两个相邻要素（Shift+点击）Select two neighbours first (Shift+click)" };

/** Switch to tool `name` ("select" ends any drawing). */
export function setTool(name) {
  const spec = TOOLS[name];
  if (spec && !state.draft) return;
  if (spec && !selectionFits(spec)) {
    showStatus(NEED_WORDS[spec.needs], true);
    return;
  }
  map.pm.disableDraw();
  state.tool = spec ? name : "select";
  for (const button of document.querySelectorAll("#toolbar [data-tool]")) {
    button.classList.toggle("active", button.dataset.tool === state.tool);
  }
  document.getElementById("tool-hint").textContent = spec ? spec.hint : "";
  document.body.dataset.tool = state.tool;
  syncVertexEditing();
  if (spec) map.pm.enableDraw(spec.shape, { snappable: true, continueDrawing: false, finishOn: null });
}

function selectionFits(spec) {
  return spec.needs === null || state.selected.length === spec.needs;
}

map.on("pm:create", (event) => {
  const tool = state.tool;
  const latlngs = event.layer.getLatLngs();
  map.removeLayer(event.layer); // what was drawn is sent; what the server makes of it comes back
  setTool("select");
  if (tool === "create") {
    openCreateForm(latlngs);
    return;
  }
  const [first, second] = selectedEntries();
  if (!first) return;
  const ids = [first, second].filter(Boolean).map((entry) => String(entry.feature.id));
  const basedOn = [first, second].filter(Boolean).map((entry) => entry.feature);
  if (tool === "split") {
    const line = { type: "LineString", coordinates: latlngs.map(toLonLat) };
    applyEdit({ op: "split", feature: ids[0], line, split_children: true }, basedOn);
  } else if (tool === "reshape" && second) {
    const line = { type: "LineString", coordinates: latlngs.map(toLonLat) };
    applyEdit({ op: "reshape_border", first: ids[0], second: ids[1], line }, basedOn);
  } else if (tool === "transfer" && second) {
    const ring = latlngs[0].map(toLonLat);
    const area = { type: "Polygon", coordinates: [[...ring, ring[0]]] };
    applyEdit({ op: "transfer", source: ids[0], target: ids[1], area }, basedOn);
  }
});

function merge() {
  const [kept, absorbed] = selectedEntries();
  if (!absorbed) {
    showStatus(NEED_WORDS[2], true);
    return;
  }
  applyEdit({ op: "merge", kept: String(kept.feature.id), absorbed: String(absorbed.feature.id) }, [kept.feature, absorbed.feature]);
}

function remove() {
  const [entry] = selectedEntries();
  if (!entry || state.selected.length !== 1) {
    showStatus(NEED_WORDS[1], true);
    return;
  }
  const p = entry.feature.properties;
  if (!window.confirm("删除 " + (p.name || p.code) + "？其面积并入邻居。\nDelete it? Its area goes to its neighbours.")) return;
  applyEdit({ op: "delete", feature: String(entry.feature.id) }, [entry.feature]);
}

function undoRedo(direction) {
  if (!state.draft || !(direction === "undo" ? state.canUndo : state.canRedo)) return;
  stepEdit(direction);
}

for (const button of document.querySelectorAll("#toolbar [data-tool]")) {
  button.addEventListener("click", () => setTool(button.dataset.tool));
}
document.querySelector("#toolbar [data-action=merge]").addEventListener("click", merge);
document.querySelector("#toolbar [data-action=delete]").addEventListener("click", remove);
document.getElementById("undo").addEventListener("click", () => undoRedo("undo"));
document.getElementById("redo").addEventListener("click", () => undoRedo("redo"));

document.addEventListener("keydown", (event) => {
  const target = event.target;
  const inField = target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
  const action = shortcutFor({ key: event.key, ctrlKey: event.ctrlKey, metaKey: event.metaKey, shiftKey: event.shiftKey, inField });
  if (!action) return;
  if (action === "cancel") {
    if (document.querySelector("dialog[open]")) return; // the dialog closes itself
    if (state.tool !== "select") setTool("select");
    else if (!cancelCreate()) select(null);
    return;
  }
  event.preventDefault();
  undoRedo(action);
});

// A drawing tool needs its selection: losing it ends the tool.
onSelectionChange(() => {
  const spec = TOOLS[state.tool];
  if (spec && !selectionFits(spec)) setTool("select");
});
