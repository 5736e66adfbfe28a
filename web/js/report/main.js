/* 随手拍: a resident reports an incident from a phone. Pick the point on the map (or use the device's
 * location), choose a category, describe it, attach up to three photos, send once. The page's entry module.
 *
 * Everything comes from this origin: /api/v1 and /open311/v2 for data, /vendor/ for Leaflet (import map).
 * Datums: the map shows what /api/v1/config says the tiles use (`output_crs`: wgs84, or gcj02 for Amap-style
 * tiles), so a point picked on the map is in that datum; a device's position comes in its own (device.js). The
 * page sends the point as it got it, with its datum, and the server converts it to WGS-84.
 */
import { request } from "../api.js";
import { toWgs84 } from "../datums.js";
import { el } from "../dom.js";
import "./device.js";
import { addBaseMap, addReferenceLayers, gridLayer, loadBoundaries, map, onMap, pin } from "./map.js";
import { message } from "./message.js";
import { renderMine } from "./mine.js";
import { renderThumbs } from "./photos.js";
import { setPlace, setPoint } from "./place.js";
import "./send.js";
import { state } from "./state.js";

async function loadCategories() {
  const services = await request("/open311/v2/services.json");
  const picker = document.getElementById("category");
  for (const service of services) {
    state.categories.set(service.service_code, service.service_name);
    const english = String(service.keywords || "").split(",").slice(1).join(",");
    picker.append(el("option", { value: service.service_code }, service.service_name + (english ? " · " + english : "")));
  }
}

async function start() {
  const config = await request("config");
  state.mapDatum = config.output_crs || "wgs84";
  addBaseMap(config.tiles);
  const results = await Promise.allSettled([loadCategories(), loadBoundaries(), addReferenceLayers()]);
  const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
  if (failures.length) {
    message("send-message", ["页面加载不完整，请刷新重试。 The page did not load completely: reload it.", ...failures], "error");
    document.body.dataset.error = failures.join("; ");
  }
  renderMine(); // again, now with the categories' names
  document.body.dataset.ready = "true";
}

// The test hook, for tests and the browser console.
window.gridmapReport = { map, pin, state, gridLayer, setPoint, onMap, toWgs84 };

setPlace("none");
renderThumbs();
renderMine();
start().catch((err) => {
  message("send-message", ["页面加载失败，请刷新重试。 The page failed to load: reload it.", err.message], "error");
  document.body.dataset.error = err.message;
  document.body.dataset.ready = "true";
});
