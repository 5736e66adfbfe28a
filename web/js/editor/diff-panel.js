/* The diff panel: what the draft changes from the version it came from (GET .../draft-status `diff`), as a table
 * and on the map: added features green, removed ones red and dashed, reshaped ones blue with their old outline
 * dashed. The layer never takes a click (the features under it are edited). */
import { el } from "../dom.js";
import { diffRows } from "./geometry.js";
import { L } from "./geoman.js";
import { map, toLatLng } from "./map.js";
import { changeStyle, diffMapFeatures } from "./status-text.js";

export const diffLayer = L.geoJSON(null, {
  pane: "diffPane",
  interactive: false,
  coordsToLatLng: (coords) => toLatLng(coords),
  style: (feature) => changeStyle(feature.properties.change),
}).addTo(map);

/** Show `diff` (null: nothing to show). */
export function showDiff(diff) {
  const body = document.getElementById("diff-body");
  diffLayer.clearLayers();
  if (!diff) {
    body.replaceChildren();
    return;
  }
  const drawn = diffMapFeatures(diff.features);
  if (drawn.length) diffLayer.addData(drawn);
  const rows = diffRows(diff);
  body.replaceChildren(rows.length
    ? el("table", { class: "diff-table" },
      el("thead", null, el("tr", null, el("th", null, "变化 Change"), el("th", null, "编码 Code"), el("th", null, "详情 Detail"))),
      el("tbody", null, rows.map((row) => el("tr", null, row.map((cell) => el("td", null, cell))))))
    : el("p", { class: "hint" }, "与原版本相同 Same as the version it came from"));
  body.dataset.rows = String(rows.length);
}

document.getElementById("diff-on-map").addEventListener("change", (event) => {
  if (event.target.checked) diffLayer.addTo(map);
  else map.removeLayer(diffLayer);
});
