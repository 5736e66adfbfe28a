/* The check panel: the draft's check report (GET .../draft-status `check`) as a list of problems, each drawn on
 * the problems layer; clicking one zooms the map to it. */
import { el } from "../dom.js";
import { problemText } from "./geometry.js";
import { L } from "./geoman.js";
import { map, toLatLng } from "./map.js";
import { checkSummary } from "./status-text.js";

export const problemsLayer = L.geoJSON(null, {
  pane: "problemsPane",
  interactive: false,
  coordsToLatLng: (coords) => toLatLng(coords),
  style: (feature) => ({ color: feature.properties.severity === "error" ? "#e8590c" : "#f08c00", weight: 3,
    fillColor: "#ff922b", fillOpacity: 0.4, dashArray: "2 4" }),
  pointToLayer: (_feature, latlng) => L.circleMarker(latlng, { radius: 8, pane: "problemsPane", interactive: false }),
}).addTo(map);

/** Show `check` (null: nothing to show). */
export function showCheck(check) {
  const box = document.getElementById("check");
  problemsLayer.clearLayers();
  if (!check) {
    box.hidden = true;
    return;
  }
  const summary = checkSummary(check);
  const items = check.problems.map((problem, index) => {
    const shape = problem.geometry || (problem.location ? { type: "Point", coordinates: problem.location } : null);
    const drawn = shape ? L.geoJSON({ type: "Feature", geometry: shape, properties: { severity: problem.severity } },
      problemsLayer.options) : null;
    if (drawn) drawn.eachLayer((layer) => problemsLayer.addLayer(layer));
    const zoom = () => {
      if (!drawn) return;
      const bounds = drawn.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [80, 80], maxZoom: 19, animate: false });
    };
    return el("li", { class: problem.severity || "error", "data-index": String(index) },
      drawn ? el("button", { type: "button", class: "link-button", title: "缩放到此问题 Zoom to it", onclick: zoom },
        problemText(problem)) : problemText(problem));
  });
  document.getElementById("check-body").replaceChildren(
    el("div", { class: "summary" }, el("span", { class: "count " + (summary.errors ? "error" : "ok") }, summary.text)),
    items.length ? el("ul", { class: "report-list" }, items) : el("p", { class: "hint" }, "没有问题 No problems"));
  box.hidden = false;
  box.dataset.problems = String(check.problems.length);
}
