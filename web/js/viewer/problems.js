/* A draft version's validation problems: drawn on the map, listed in the panel. */
import * as L from "leaflet";

import { request } from "../api.js";
import { el } from "../dom.js";
import { layerControl, map } from "./map.js";
import { state } from "./state.js";

function problemStyle(severity) {
  const colour = severity === "error" ? "#d62728" : "#f08c00";
  return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.45 };
}

function problemPopup(p) {
  const codes = (p.codes || []).join(", ");
  return el("div", null,
    el("span", { class: "kind" }, p.kind), " (" + p.severity + ")", el("br"),
    p.message,
    codes ? [el("br"), "编码 Codes: " + codes] : null,
    p.area_m2 ? [el("br"), "面积 Area: " + Number(p.area_m2).toFixed(1) + " m²"] : null);
}

export const problemLayer = L.geoJSON(null, {
  pane: "problemPane",
  style: (f) => problemStyle(f.properties.severity),
  pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 7, pane: "problemPane", ...problemStyle(f.properties.severity) }),
  onEachFeature: (f, layer) => layer.bindPopup(() => problemPopup(f.properties)),
});
// The legend names the problems only while a draft's problem layer is on the map.
map.on("layeradd layerremove", (event) => {
  if (event.layer === problemLayer) document.getElementById("legend-problems").hidden = !map.hasLayer(problemLayer);
});

/** Draw and list the problems of the chosen version when it is a draft; hide them otherwise. */
export async function loadProblems() {
  const box = document.getElementById("check");
  const version = state.version;
  if (!version || version.status !== "draft" || !state.set) {
    map.removeLayer(problemLayer);
    layerControl.removeLayer(problemLayer);
    box.hidden = true;
    return;
  }
  const report = await request("boundary-sets/" + encodeURIComponent(state.set.name) + "/versions/" + version.id +
    "/validation?crs=" + state.outputCrs);
  const problems = report.problems || [];
  const withGeometry = problems.filter((p) => p.geometry).map((p, i) => ({
    type: "Feature", id: i, geometry: p.geometry, properties: p,
  }));
  problemLayer.addData(withGeometry);
  problemLayer.addTo(map);
  layerControl.removeLayer(problemLayer);
  layerControl.addOverlay(problemLayer, "检查问题 Problems (" + problems.length + ")");
  renderCheck(report, withGeometry);
  box.hidden = false;
}

function renderCheck(report, withGeometry) {
  const errors = report.problems.filter((p) => p.severity === "error").length;
  const warnings = report.problems.length - errors;
  const summary = el("div", { class: "summary" },
    report.ok && !report.problems.length ? el("span", { class: "count ok" }, "通过 OK") : null,
    errors ? el("span", { class: "count error" }, errors + " 错误 errors") : null,
    warnings ? el("span", { class: "count warning" }, warnings + " 警告 warnings") : null);
  const list = el("ul");
  report.problems.forEach((problem, i) => {
    const item = el("li", { class: problem.severity }, problem.message);
    const feature = withGeometry.find((f) => f.id === i);
    if (feature) {
      item.addEventListener("click", () => {
        problemLayer.eachLayer((layer) => {
          if (layer.feature && layer.feature.id === i) {
            map.fitBounds(L.featureGroup([layer]).getBounds(), { maxZoom: 18, padding: [60, 60] });
            layer.openPopup();
          }
        });
      });
    }
    list.append(item);
  });
  document.getElementById("check-body").replaceChildren(summary, list);
}
