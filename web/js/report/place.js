/* The point of the report and the grid it falls in (GET /api/v1/locate), shown under the map. */
import { request } from "../api.js";
import { el, factsList } from "../dom.js";
import { accuracyCircle, highlightGrid, map, onMap, pin } from "./map.js";
import { state } from "./state.js";

let locateSeq = 0;

/** Put the pin at `point` ({ lon, lat, datum, source }) and look up its grid. */
export function setPoint(point) {
  state.point = point;
  state.located = null;
  pin.setLatLng(onMap(point));
  if (!map.hasLayer(pin)) pin.addTo(map);
  document.body.dataset.pointSource = point.source;
  lookUp(point);
}

async function lookUp(point) {
  const seq = ++locateSeq;
  setPlace("pending");
  const params = new URLSearchParams({ lon: String(point.lon), lat: String(point.lat), crs: point.datum });
  let answer;
  try {
    answer = await request("locate?" + params);
  } catch (err) {
    if (seq !== locateSeq) return;
    if (err.status === 400 || err.status === 422) setPlace("outside", null, err.message);
    else setPlace("unknown", null, err.message);
    return;
  }
  if (seq !== locateSeq) return; // the pin moved meanwhile
  state.located = answer;
  setPlace(answer.grid ? "inside" : "outside", answer);
}

/** Show where the point falls: "none", "pending", "inside" (with the /locate answer), "outside" or "unknown". */
export function setPlace(place, answer, detail) {
  state.place = place;
  const box = document.getElementById("place");
  box.dataset.state = place;
  delete box.dataset.grid;
  const source = state.point && state.point.source === "device" ? "本机定位 Device location" : "地图选点 Picked on the map";
  if (place === "pending") {
    box.replaceChildren(el("p", { class: "hint" }, "正在查询所属网格… ", el("small", null, "Finding the grid…")));
  } else if (place === "inside") {
    const grid = answer.grid;
    box.dataset.grid = grid.code;
    highlightGrid(String(grid.code));
    const rows = [
      ["网格 Grid", grid.name + "（" + grid.code + "）"],
      ["网格员 Worker", grid.worker || "待指派 to be assigned"],
    ];
    if (answer.community) rows.unshift(["社区 Community", answer.community.name]);
    if (answer.microgrid) rows.push(["微网格 Microgrid", answer.microgrid.name]);
    rows.push(["来源 Source", source]);
    box.replaceChildren(el("p", { class: "ok" }, "✓ 将由本网格处理 ", el("small", null, "This grid will handle it")),
      factsList(rows, { class: "facts" }));
  } else if (place === "outside") {
    highlightGrid(null);
    const lines = [el("p", { class: "refusal" }, "✗ 此位置不在任何网格内，无法提交。请把图钉移到社区网格内。",
      el("br"), el("small", null, "This point is outside every grid, so it cannot be sent: move the pin into a grid."))];
    if (detail) lines.push(el("p", { class: "hint" }, detail));
    if (answer && answer.community) {
      lines.push(el("p", { class: "hint" }, "位于" + answer.community.name + "，但不在其任何网格内。 In the community, in none of its grids."));
    }
    if (answer && answer.nearest) {
      const near = answer.nearest;
      lines.push(el("p", { class: "hint" }, "最近的网格 Nearest grid: " + near.feature.name + "，约 " +
        Math.round(near.distance_m) + " 米 m"));
    }
    box.replaceChildren(...lines);
  } else if (place === "unknown") {
    highlightGrid(null);
    box.replaceChildren(el("p", { class: "hint" }, "暂时无法查询所属网格，提交时由服务器判断。 ",
      el("small", null, "The grid could not be looked up now; the server decides on sending. " + (detail || ""))));
  } else {
    box.replaceChildren(el("p", { class: "hint" }, "尚未选择位置 ", el("small", null, "No point chosen yet")));
  }
  updateSend();
}

/** The send button: off while sending, while the grid is looked up, and for a point outside every grid. */
export function updateSend() {
  const button = document.getElementById("send-button");
  button.disabled = state.sending || state.place === "outside" || state.place === "pending";
  button.replaceChildren(...(state.sending ? ["提交中… ", el("small", null, "Sending")] : ["提交 ", el("small", null, "Send")]));
}

map.on("click", (event) => {
  const latlng = event.latlng.wrap();
  accuracyCircle.remove();
  setPoint({ lon: latlng.lng, lat: latlng.lat, datum: state.mapDatum, source: "map" });
});
pin.on("dragend", () => {
  const latlng = pin.getLatLng().wrap();
  accuracyCircle.remove();
  setPoint({ lon: latlng.lng, lat: latlng.lat, datum: state.mapDatum, source: "map" });
});
