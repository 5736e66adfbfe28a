/* The incident layer: clusters (or points, for a signed-in user close in), and a point's popup with its history.
 *
 * The public's clusters hold at least k incidents at generalised places; the ones left out are counted in the
 * summary (`withheld`). Points need a staff token (a viewer's is refused with 403, and the layer stays with
 * clusters); their popup reads the incident and its history from /api/v1/incidents/{id}.
 */
import * as L from "leaflet";

import { ApiError, errorText, request } from "../api.js";
import { el, factsList } from "../dom.js";
import { chinaTime } from "../periods.js";
import { signedIn as someoneSignedIn } from "../session.js";
import { bboxParam, padBox } from "../view-math.js";
import { FINISHED_STATUSES, incidentLayer, incidentState as state, POINT_LIMIT, STATUS_NAMES } from "./incident-state.js";
import { map, mapLatLng, viewBox } from "./map.js";
import { state as viewerState } from "./state.js";

const POINT_ZOOM = 17; // from this zoom always points (the newest POINT_LIMIT of them)
const ACTION_NAMES = { report: "上报 report", transition: "流转 step", rate: "评价 rating", move: "改位置 move" };

/** The view of the map, slightly padded, as the API's WGS-84 bbox. */
export function viewBbox() {
  return bboxParam(padBox(viewBox(), 0.05), viewerState.outputCrs);
}

function clusterIcon(count) {
  const size = count < 10 ? 26 : count < 100 ? 32 : count < 1000 ? 40 : count < 10000 ? 48 : 56;
  const tier = count < 10 ? "s" : count < 100 ? "m" : count < 1000 ? "l" : "xl";
  const text = count < 10000 ? String(count) : Math.round(count / 1000) + "k";
  return L.divIcon({ className: "incident-cluster incident-cluster-" + tier, html: el("span", null, text), iconSize: [size, size] });
}

function drawClusters(body) {
  incidentLayer.clearLayers();
  state.points.clear();
  for (const cell of body.cells) {
    const marker = L.marker(mapLatLng(cell.lat, cell.lon), {
      icon: clusterIcon(cell.count),
      title: cell.count + " 起事件 incidents",
      keyboard: false,
    });
    marker.on("click", () => map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, map.getMaxZoom())));
    marker.addTo(incidentLayer);
    const node = marker.getElement();
    if (node) node.dataset.count = String(cell.count);
  }
  state.mode = "clusters";
  state.total = body.total;
  state.withheld = body.withheld || 0;
  state.shown = body.cells.length;
  state.cells = body;
}

function pointColour(status) {
  if (status === "rejected" || status === "duplicate") return "#868e96";
  return FINISHED_STATUSES.includes(status) ? "#2b8a3e" : "#e8590c";
}

/** Draw the points of `body`, keeping the markers of incidents already drawn at the same place (recoloured to their
 * status): an open popup then stays open when the view reloads, as it does after the popup's own auto-pan. */
function drawPoints(body) {
  if (state.mode !== "points") {
    incidentLayer.clearLayers();
    state.points.clear();
  }
  const drawn = state.points;
  state.points = new Map();
  for (const feature of body.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const p = feature.properties;
    const kept = drawn.get(p.id);
    const at = L.latLng(mapLatLng(lat, lon));
    if (kept && kept.getLatLng().equals(at)) {
      kept.setStyle({ fillColor: pointColour(p.status) });
      drawn.delete(p.id);
      state.points.set(p.id, kept);
      continue;
    }
    const marker = L.circleMarker(at, {
      pane: "incidentPointPane",
      radius: 6,
      color: "#ffffff",
      weight: 1.5,
      fillColor: pointColour(p.status),
      fillOpacity: 0.95,
      className: "incident-point",
    });
    marker.bindPopup(() => el("div", { class: "incident-popup" }, "加载中 Loading…"), { maxWidth: 320, minWidth: 240 });
    marker.on("popupopen", (event) => fillPopup(event.popup, p.id));
    marker.addTo(incidentLayer);
    const node = marker.getElement();
    if (node) node.dataset.incidentId = p.id;
    state.points.set(p.id, marker);
  }
  for (const gone of drawn.values()) incidentLayer.removeLayer(gone);
  state.mode = "points";
  state.total = body.matched;
  state.shown = body.features.length;
}

/** Fetch the clusters or points of the view for `filters`; resolves to a function drawing them. */
export async function loadIncidents(filters, signal) {
  const zoom = map.getZoom();
  const signedIn = someoneSignedIn() && !state.pointsRefused;
  const bbox = viewBbox();
  const loadCells = () => {
    const params = new URLSearchParams(filters);
    params.set("bbox", bbox);
    params.set("zoom", String(zoom));
    return request("incident-map/cells?" + params, { signal });
  };
  let cells = null;
  if (!signedIn || zoom < POINT_ZOOM) {
    cells = await loadCells();
    if (!signedIn || cells.total === 0 || cells.total > state.pointLimit) return () => drawClusters(cells);
  }
  const params = new URLSearchParams(filters);
  params.set("bbox", bbox);
  params.set("limit", String(POINT_LIMIT));
  try {
    const points = await request("incident-map/points?" + params, { signal });
    return () => drawPoints(points);
  } catch (err) {
    // Points are for staff; a viewer's token sees what the public sees, so clusters from now on.
    if (!(err instanceof ApiError && err.status === 403)) throw err;
    state.pointsRefused = true;
    const fallback = cells || (await loadCells());
    return () => drawClusters(fallback);
  }
}

async function fillPopup(popup, id) {
  let incident;
  try {
    incident = await request("incidents/" + encodeURIComponent(id));
  } catch (err) {
    popup.setContent(el("div", { class: "incident-popup" }, err.status === 401
      ? "请登录查看详情 Sign in to see the details." : errorText(err)));
    return;
  }
  const history = el("ol", { class: "incident-history" });
  for (const entry of incident.history || []) {
    const step = entry.from ? (STATUS_NAMES[entry.from] || entry.from).split(" ")[0] + " → " : "";
    history.append(el("li", null,
      el("span", { class: "when" }, chinaTime(entry.at)), " ",
      ACTION_NAMES[entry.action] || entry.action, ": ", step + (STATUS_NAMES[entry.to] || entry.to).split(" ")[0],
      " · ", entry.actor,
      entry.note ? el("div", { class: "note" }, entry.note) : null,
      entry.rating ? el("div", { class: "note" }, "评分 Rating: " + entry.rating) : null));
  }
  const box = el("div", { class: "incident-popup", "data-incident-id": incident.id },
    el("div", { class: "kind" }, "事件 Incident ", el("span", { class: "code" }, incident.id)),
    incident.description ? el("p", { class: "description" }, incident.description) : null,
    factsList([
      ["类别 Category", state.categories.get(incident.category) || incident.category],
      ["状态 Status", STATUS_NAMES[incident.status] || incident.status],
      ["上报 Reported", chinaTime(incident.reported_at)],
      ["地址 Address", incident.address || "—"],
      ["网格 Grid", incident.grid || "—"],
      ["网格员 Worker", incident.worker || "—"],
    ]),
    el("h4", null, "处理经过 History"),
    history);
  popup.setContent(box);
  popup.update();
  box.dataset.loaded = "true";
}

/** Open the popup of the incident point `id`; false when it is not drawn. */
export function openIncident(id) {
  const marker = state.points.get(id);
  if (!marker) return false;
  marker.openPopup();
  return true;
}
