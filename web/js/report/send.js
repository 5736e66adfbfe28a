/* Sending the report: once, with one Idempotency-Key per report reused for every retry, so that a double tap or
 * a resend after a lost answer creates one incident; a new key only after a success (or a 409). */
import { ApiError, request } from "../api.js";
import { el, factsList } from "../dom.js";
import { accuracyCircle, highlightGrid, map, pin } from "./map.js";
import { message, show } from "./message.js";
import { remember, renderMine } from "./mine.js";
import { clearPhotos } from "./photos.js";
import { setPlace, updateSend } from "./place.js";
import { newDraft, state } from "./state.js";

function waitText(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 60));
  if (s < 90) return { zh: s + " 秒", en: s + " s" };
  const minutes = Math.ceil(s / 60);
  return { zh: minutes + " 分钟", en: minutes + " min" };
}

function missingBeforeSend() {
  if (!state.point) return "请先在地图上选择位置，或使用“我的位置”。 Choose the point first: tap the map or use your location.";
  if (state.place === "outside") return "此位置不在任何网格内，无法提交。 The point is outside every grid.";
  if (!document.getElementById("category").value) return "请选择事件类别。 Choose a category.";
  return null;
}

function reportForm() {
  const body = new FormData();
  const value = (id) => document.getElementById(id).value.trim();
  body.append("category", value("category"));
  body.append("lon", String(state.point.lon));
  body.append("lat", String(state.point.lat));
  body.append("datum", state.point.datum);
  body.append("description", value("description"));
  body.append("address", value("address"));
  body.append("channel", "app");
  if (value("reporter")) body.append("reporter", value("reporter"));
  body.append("reporter_key", state.draft.reporterKey);
  for (const photo of state.photos) body.append("photos", photo.file, photo.file.name);
  return body;
}

async function send() {
  if (state.sending) return; // a second tap while the first is on its way
  const missing = missingBeforeSend();
  if (missing) {
    message("send-message", missing, "error");
    return;
  }
  state.sending = true;
  updateSend();
  message("send-message", "");
  try {
    const incident = await request("incidents/reports", {
      method: "POST",
      anonymous: true,
      headers: { "Idempotency-Key": state.draft.idempotencyKey },
      body: reportForm(),
    });
    if (incident && incident.id) reported(incident);
    else refused(200, null, null);
  } catch (err) {
    if (err instanceof ApiError) refused(err.status, err.problem, err.retryAfter);
    // The answer was lost, not necessarily the report: the same key is sent again, so a retry cannot double it.
    else message("send-message", ["网络异常，请稍后再点“提交”，不会重复上报。", "Network problem: press Send again; it will not be reported twice."], "error", "network");
  } finally {
    state.sending = false;
    updateSend();
  }
}

function refused(status, problem, retryAfter) {
  const detail = (problem && (problem.detail || problem.title)) || "HTTP " + status;
  if (status === 429) {
    const wait = waitText(retryAfter);
    message("send-message", ["提交太频繁，请 " + wait.zh + "后再试。", "Too many reports from this network: please try again in " + wait.en + ".", detail], "error", status);
    return;
  }
  if (status === 409) {
    // The key was used before with other content: that earlier report went through. A new key makes this one new.
    state.draft = newDraft();
    message("send-message", ["此前的一次提交已经成功（内容不同）；再点“提交”将作为新事件上报。", "An earlier send already went through; press Send again to report this as a new incident.", detail], "error", status);
    return;
  }
  const heading = {
    413: "照片太大，无法提交。 The photos are too large.",
    415: "照片格式不支持。 A photo's format is not accepted.",
    422: "无法提交。 The report was not accepted.",
    400: "无法提交。 The report was not accepted.",
  }[status] || "提交失败。 Sending failed.";
  message("send-message", [heading, detail], "error", status);
}

function reported(incident) {
  remember(incident);
  state.draft = newDraft(); // only now: any retry before this reused the same key
  const grid = state.grids.get(String(incident.grid));
  const gridName = grid ? grid.feature.properties.name + "（" + incident.grid + "）" : incident.grid || "—";
  const rows = [
    ["事件编号 Number", el("span", { class: "code", id: "result-id" }, incident.id)],
    ["类别 Category", state.categories.get(incident.category) || incident.category],
    ["网格 Grid", el("span", { id: "result-grid" }, gridName)],
    ["网格员 Worker", el("span", { id: "result-worker" }, incident.worker || "待指派 to be assigned")],
    ["状态 Status", "已上报 reported"],
  ];
  if (Array.isArray(incident.photos)) rows.push(["照片 Photos", String(incident.photos.length)]);
  document.getElementById("result-facts").replaceChildren(...factsList(rows).childNodes);
  document.getElementById("result-boundary").hidden = !incident.near_boundary;
  document.getElementById("result").dataset.id = incident.id;
  show("report-form", false);
  show("result", true);
  resetForm();
  renderMine();
  window.scrollTo(0, 0);
}

function resetForm() {
  for (const id of ["description", "address"]) document.getElementById(id).value = "";
  document.getElementById("category").value = "";
  clearPhotos();
  state.point = null;
  state.located = null;
  pin.remove();
  accuracyCircle.remove();
  highlightGrid(null);
  setPlace("none");
}

document.getElementById("report-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
document.getElementById("new-report").addEventListener("click", () => {
  show("result", false);
  show("report-form", true);
  message("send-message", "");
  map.invalidateSize();
});
