/* A refused edit explained: the problems' geometries (the would-be overlap or gap, or where the operation could not
 * be applied) drawn in red on the map, and the reasons in words in the panel, until dismissed or the next edit. */
import { el } from "../dom.js";
import { problemText, refusalProblems } from "./geometry.js";
import { L } from "./geoman.js";
import { map, toLatLng } from "./map.js";

export const refusalLayer = L.geoJSON(null, {
  pane: "refusalPane",
  coordsToLatLng: (coords) => toLatLng(coords),
  style: () => ({ color: "#d62728", weight: 3, fillColor: "#d62728", fillOpacity: 0.45, dashArray: null }),
  pointToLayer: (_feature, latlng) => L.circleMarker(latlng, { radius: 9, pane: "refusalPane" }),
}).addTo(map);

/** Explain the refusal of operation `label` (problem+json `problem`): draw its geometries, list its reasons. */
export function showRefusal(label, problem) {
  const problems = refusalProblems(problem);
  refusalLayer.clearLayers();
  const drawn = problems.filter((p) => p.geometry).map((p) => ({ type: "Feature", geometry: p.geometry, properties: {} }));
  if (drawn.length) refusalLayer.addData(drawn);
  const box = document.getElementById("refusal");
  document.getElementById("refusal-body").replaceChildren(
    el("p", { class: "refusal-title" }, label + " 未执行，地图未改变。", el("br"),
      el("small", null, "Not applied: the draft is unchanged.")),
    el("ul", { class: "refusal-list" }, problems.map((p) => el("li", { class: p.severity || "error" }, problemText(p)))),
  );
  box.hidden = false;
  document.body.dataset.refused = String(drawn.length);
  if (drawn.length) {
    const bounds = refusalLayer.getBounds();
    if (bounds.isValid() && !map.getBounds().contains(bounds)) map.fitBounds(bounds, { padding: [80, 80], maxZoom: 18 });
  }
}

/** Remove the explanation of the last refusal. */
export function clearRefusal() {
  refusalLayer.clearLayers();
  document.getElementById("refusal").hidden = true;
  delete document.body.dataset.refused;
}

document.getElementById("refusal-close").addEventListener("click", clearRefusal);
