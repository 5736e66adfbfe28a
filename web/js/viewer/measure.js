/* Measuring on the map: a distance along clicked points, or the area (and perimeter) of the polygon they make, on
 * the WGS-84 ellipsoid (geodesic.js; points on GCJ-02 tiles are taken back to WGS-84 first). Click to add points;
 * a double click, Escape or the tool's button again ends; the clear button removes the measurement. While
 * measuring, clicks go to the map, not to the grids under it (the map container has the class `measuring`).
 */
import * as L from "leaflet";

import { toWgs84 } from "../datums.js";
import { el } from "../dom.js";
import { pathLength, ringArea } from "../geodesic.js";
import { formatArea, formatDistance } from "../measure-units.js";
import { map } from "./map.js";
import { state } from "./state.js";

const PANE = "measurePane";
map.createPane(PANE).style.zIndex = "620"; // over the markers (600), under the tooltips (650) and popups (700)
const LINE = { pane: PANE, color: "#d9480f", weight: 3, interactive: false };
const DOUBLE_CLICK_PX = 4; // a double click's second click lands within this of its first: one point, not two

const drawing = L.layerGroup().addTo(map);
const preview = L.polyline([], { ...LINE, dashArray: "6 6", opacity: 0.7 });
export const measuring = { mode: null, points: [], active: false };
const buttons = {};
let result = null;

function wgs84(points) {
  return points.map((p) => toWgs84(p.lng, p.lat, state.outputCrs));
}

function showResult() {
  const points = wgs84(measuring.points);
  result.hidden = !measuring.mode;
  delete result.dataset.metres;
  delete result.dataset.squareMetres;
  const lines = [];
  if (measuring.mode === "distance") {
    const metres = pathLength(points);
    result.dataset.metres = String(metres);
    lines.push("距离 Distance: " + formatDistance(metres));
  } else if (measuring.mode === "area") {
    const squareMetres = points.length > 2 ? ringArea(points) : 0;
    result.dataset.squareMetres = String(squareMetres);
    lines.push("面积 Area: " + formatArea(squareMetres));
    if (points.length > 2) lines.push("周长 Perimeter: " + formatDistance(pathLength([...points, points[0]])));
  }
  const figures = lines.map((line) => el("div", { class: "measure-figure" }, line));
  if (measuring.active) figures.push(el("div", { class: "measure-hint" }, "单击加点，双击或 Esc 结束 Click to add points; double-click or Esc to finish"));
  result.replaceChildren(...figures);
}

function redraw() {
  drawing.clearLayers();
  const points = measuring.points;
  if (points.length) {
    const closed = measuring.mode === "area" && points.length > 2;
    drawing.addLayer(closed ? L.polygon(points, { ...LINE, fillColor: "#ff922b", fillOpacity: 0.2 }) : L.polyline(points, LINE));
    for (const point of points) {
      drawing.addLayer(L.circleMarker(point, { ...LINE, radius: 4, weight: 2, fillColor: "#ffffff", fillOpacity: 1 }));
    }
    if (measuring.active) drawing.addLayer(preview.setLatLngs([]));
  }
  showResult();
}

function addPoint(event) {
  measuring.points.push(event.latlng);
  redraw();
}

function follow(event) {
  // The leg to the pointer (and, for an area, back to the first point), dashed.
  const points = measuring.points;
  if (!points.length) return;
  preview.setLatLngs(measuring.mode === "area" ? [points[points.length - 1], event.latlng, points[0]] : [points[points.length - 1], event.latlng]);
}

function finishOnDoubleClick() {
  const points = measuring.points;
  const [before, last] = points.slice(-2).map((p) => map.latLngToContainerPoint(p));
  if (before && last && before.distanceTo(last) <= DOUBLE_CLICK_PX) points.pop();
  finish();
}

/** Stop adding points; the measurement stays on the map until cleared. */
export function finish() {
  if (!measuring.active) return;
  measuring.active = false;
  map.off("click", addPoint).off("mousemove", follow).off("dblclick", finishOnDoubleClick);
  map.doubleClickZoom.enable();
  map.getContainer().classList.remove("measuring");
  for (const button of Object.values(buttons)) button.setAttribute("aria-pressed", "false");
  redraw();
}

/** Start measuring a "distance" or an "area" (ending any measurement on the map). */
export function start(mode) {
  finish();
  measuring.mode = mode;
  measuring.points = [];
  measuring.active = true;
  map.on("click", addPoint).on("mousemove", follow).on("dblclick", finishOnDoubleClick);
  map.doubleClickZoom.disable();
  map.getContainer().classList.add("measuring");
  for (const [kind, button] of Object.entries(buttons)) button.setAttribute("aria-pressed", String(kind === mode));
  redraw();
}

/** Remove the measurement. */
export function clear() {
  finish();
  measuring.mode = null;
  measuring.points = [];
  redraw();
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && measuring.active) finish();
});

const measureControl = L.control({ position: "topleft" });
measureControl.onAdd = () => {
  const tool = (mode, label, title) => {
    buttons[mode] = el("button", {
      type: "button", id: "measure-" + mode, title, "aria-label": title, "aria-pressed": "false",
      onclick: () => (measuring.active && measuring.mode === mode ? finish() : start(mode)),
    }, label);
    return buttons[mode];
  };
  result = el("div", { id: "measure-result", class: "measure-result", "aria-live": "polite", hidden: "" });
  const box = el("div", { class: "measure-tools" },
    el("div", { class: "leaflet-bar map-tools" },
      tool("distance", "测距 Distance", "测量距离 Measure a distance"),
      tool("area", "测面 Area", "测量面积 Measure an area"),
      el("button", { type: "button", id: "measure-clear", title: "清除测量 Clear the measurement", "aria-label": "清除测量 Clear the measurement", onclick: clear }, "清除 Clear")),
    result);
  L.DomEvent.disableClickPropagation(box);
  return box;
};
measureControl.addTo(map);
