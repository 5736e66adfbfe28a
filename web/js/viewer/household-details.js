/* Households of the grid just clicked: counts for everyone, points (names, phones) for a signed-in user.
 *
 * The points are shown only to planners, admins and the grid's own worker (the API refuses anyone else), for
 * the grid (or microgrid) just clicked; nobody else asks for them.
 */
import * as L from "leaflet";

import { ApiError, request } from "../api.js";
import { el, factsList } from "../dom.js";
import { signedIn } from "../session.js";
import { map, mapLatLng } from "./map.js";
import { state } from "./state.js";
import { LIFE_CIRCLE_MINUTES, thematic } from "./thematic.js";

const CARE_FIELDS = [
  ["households", "户数 Households"],
  ["people", "人口 People"],
  ["elderly_alone", "独居老人 Elderly alone"],
  ["disabled", "残疾人 Disabled"],
  ["left_behind_children", "留守儿童 Left-behind children"],
];

export const householdPoints = L.layerGroup();
let householdSeq = 0;

/** Remove the drawn household points (and forget any answer still on its way). */
export function clearHouseholdPoints() {
  householdSeq++;
  householdPoints.clearLayers();
  delete document.getElementById("details").dataset.householdPoints;
}
map.on("overlayremove", (event) => {
  if (event.layer === householdPoints) clearHouseholdPoints();
});

function maskPhone(phone) {
  const text = String(phone || "");
  if (!text || text.includes("*")) return text;
  if (text.length <= 7) return text.replace(/\d/g, "*");
  return text.slice(0, 3) + text.slice(3, -4).replace(/\d/g, "*") + text.slice(-4);
}

function householdPopup(h) {
  const flags = [];
  if (h.elderly_alone) flags.push("独居老人 Elderly alone");
  if (h.disabled) flags.push("残疾人 Disabled");
  if (h.left_behind_children) flags.push("留守儿童 Left-behind children: " + h.left_behind_children);
  const care = flags.length ? flags.flatMap((flag, i) => (i ? [el("br"), flag] : [flag])) : "—";
  return el("div", null,
    el("span", { class: "kind" }, h.household_id), " " + (h.address || ""),
    factsList([
      ["户主 Name", h.head_name || "—"],
      ["人口 People", h.people],
      ["电话 Phone", maskPhone(h.phone) || "—"],
      ["关爱 Care", care],
    ], { class: "household-popup" }));
}

function householdColour(h) {
  return h.elderly_alone || h.disabled || h.left_behind_children ? "#c2255c" : "#1971c2";
}

/** Draw the household points of grid or microgrid `p` (properties) when signed in and the layer is on. */
export async function showHouseholdPoints(p) {
  clearHouseholdPoints();
  const seq = householdSeq;
  const box = document.getElementById("details");
  const target = document.getElementById("details-household-points");
  if (!signedIn() || !target || !map.hasLayer(householdPoints)) return;
  if (p.level !== "grid" && p.level !== "microgrid") return;
  target.replaceChildren(el("p", { class: "hint" }, "加载住户 Loading households…"));
  const params = state.version ? "?version=" + state.version.id : "";
  let body;
  try {
    body = await request("grids/" + encodeURIComponent(p.code) + "/households" + params);
  } catch (err) {
    if (seq !== householdSeq) return;
    if (!(err instanceof ApiError) || (err.status !== 403 && err.status !== 401)) throw err;
    target.replaceChildren(el("p", { class: "notice" }, err.status === 403
      ? "无权查看本网格住户：仅限规划员、管理员和本网格网格员。 Only planners, admins and this grid's worker see its households."
      : "登录已失效，请重新登录。 The token is not valid: sign in again."));
    box.dataset.householdPoints = err.status === 403 ? "forbidden" : "unauthorised";
    return;
  }
  if (seq !== householdSeq) return; // another feature was chosen meanwhile
  let drawn = 0;
  for (const h of body.households) {
    if (h.lat === null || h.lat === undefined || h.lon === null || h.lon === undefined) continue;
    L.circleMarker(mapLatLng(Number(h.lat), Number(h.lon)), {
      pane: "householdPane", radius: 4.5, color: "#ffffff", weight: 1, fillColor: householdColour(h), fillOpacity: 0.95,
    }).bindPopup(() => householdPopup(h)).addTo(householdPoints);
    drawn++;
  }
  const missing = body.count - drawn;
  target.replaceChildren(el("p", { class: "hint" }, "住户点 Household points: " + drawn +
    (missing > 0 ? "（" + missing + " 户无坐标 without a point）" : "")));
  box.dataset.householdPoints = String(drawn);
}

/** Show the household counts (and life-circle completeness, when analysed) of the feature with `code`. */
export async function showHouseholds(code) {
  const box = document.getElementById("details");
  let counts = thematic.households && thematic.households.get(code);
  if (!counts) {
    const params = state.version ? "?version=" + state.version.id : "";
    counts = await request("grids/" + encodeURIComponent(code) + "/household-counts" + params);
  }
  const target = document.getElementById("details-households");
  if (box.dataset.code !== code || !target) return; // another feature was chosen meanwhile
  const parts = [el("h4", null, "户情 Households"), factsList(CARE_FIELDS.map(([key, term]) => [term, counts[key]]))];
  const area = thematic.coverage && thematic.coverage.areas.get(code);
  if (area) {
    const rows = LIFE_CIRCLE_MINUTES.map((m) => [m + " 分钟完整度 " + m + "-min", Math.round(area.completeness[m] * 100) + "%"]);
    parts.push(el("h4", null, "生活圈 Life circle"), factsList(rows));
  }
  target.replaceChildren(...parts);
  box.dataset.households = "loaded";
}
