/* A new feature on a gap: the planner draws an area (the "新建 Create" tool), then chooses its level and parent
 * and, optionally, its code and name in a small form; the server keeps only the part of the area that the level
 * does not cover yet inside the parent (a `create` edit). The drawn area stays on the map until the form is sent
 * or cancelled (its button or Escape). */
import { applyEdit } from "./edits.js";
import { L } from "./geoman.js";
import { allFeatures } from "./layers.js";
import { map, toLonLat } from "./map.js";
import { state } from "./state.js";
import { featuresMeeting, parentCandidates } from "./status-text.js";

const box = document.getElementById("create-box");
const form = document.getElementById("create-form");
let drawn = null; // { area (GeoJSON polygon, WGS-84), layer (the outline on the map) }

/** Open the form for the area drawn as Leaflet `latlngs` (a polygon's rings). */
export function openCreateForm(latlngs) {
  cancelCreate();
  const ring = latlngs[0].map(toLonLat);
  const area = { type: "Polygon", coordinates: [[...ring, ring[0]]] };
  const layer = L.polygon(latlngs, { pane: "drawPane", color: "#2b8a3e", weight: 3, dashArray: "6 4", fillOpacity: 0.2,
    interactive: false, pmIgnore: true }).addTo(map);
  drawn = { area, layer };
  form.elements.level.value = state.level;
  form.elements.code.value = "";
  form.elements.name.value = "";
  fillParents();
  box.hidden = false;
  document.body.dataset.creating = "true";
  form.elements.name.focus();
}

/** Close the form and remove the drawn area; whether there was one. */
export function cancelCreate() {
  if (!drawn) return false;
  map.removeLayer(drawn.layer);
  drawn = null;
  box.hidden = true;
  delete document.body.dataset.creating;
  return true;
}

function fillParents() {
  const select = form.elements.parent;
  const candidates = parentCandidates(allFeatures(), form.elements.level.value, drawn.area);
  select.replaceChildren(...(candidates.length
    ? candidates.map((f) => new Option(f.properties.code + " " + (f.properties.name || ""), f.properties.code))
    : [new Option("— 无 none —", "")]));
  select.disabled = !candidates.length;
}

form.elements.level.addEventListener("change", () => {
  if (drawn) fillParents();
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!drawn) return;
  const values = {
    op: "create",
    area: drawn.area,
    level: form.elements.level.value,
    parent: form.elements.parent.value || null,
    code: form.elements.code.value.trim() || null,
    name: form.elements.name.value.trim(),
  };
  // Based on the revisions of the features drawn around the area: the new one's neighbours and parent.
  const basedOn = featuresMeeting(allFeatures(), drawn.area);
  cancelCreate();
  applyEdit(values, basedOn);
});
document.getElementById("create-cancel").addEventListener("click", cancelCreate);
