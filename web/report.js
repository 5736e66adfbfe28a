/* 随手拍: a resident reports an incident from a phone. Pick the point on the map (or use the device's
 * location), choose a category, describe it, attach up to three photos, send once.
 *
 * Everything comes from this origin: /api/v1 and /open311/v2 for data, /vendor/leaflet for Leaflet.
 * Datums: the map shows what /api/v1/config says the tiles use (`output_crs`: wgs84, or gcj02 for Amap-style
 * tiles), so a point picked on the map is in that datum. WeChat's wx.getLocation gives GCJ-02, a browser's
 * geolocation WGS-84 (a WebView known to give GCJ-02 is named with ?device_datum=gcj02). The page sends the
 * point as it got it, with its datum, and the server converts it to WGS-84.
 *
 * One Idempotency-Key per report, made when the report starts and reused for every retry, so that a double
 * tap or a resend after a lost answer creates one incident; a new key only after a success. With it goes a
 * reporter key, a random secret kept on this device with the incident's number, with which the resident
 * may later rate the closed incident.
 */
(function () {
  "use strict";

  const { el } = window.gridmapDom; // web/dom.js

  const API = "/api/v1";
  const PAGE_SIZE = 1000;
  const MAX_PHOTOS = 3;
  const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
  const PHOTO_TYPES = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP" };
  const PHOTO_EXTENSIONS = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };
  const DATUMS = ["wgs84", "gcj02", "bd09"];
  const MINE_KEY = "gridmapMyReports";
  const MINE_KEPT = 20;
  const PALETTE = ["#2f7ebc", "#2b8a3e", "#7048e8", "#d9480f", "#0c8599", "#c2255c", "#5c940d", "#e67700",
    "#1864ab", "#862e9c"];

  const options = new URLSearchParams(window.location.search);
  const state = {
    mapDatum: "wgs84",
    categories: new Map(), // code -> name
    grids: new Map(), // code -> { feature, layer }
    point: null, // { lon, lat, datum, source: "map" | "device" }
    place: "none", // none, pending, inside, outside, unknown
    located: null, // the /locate answer for the point
    highlighted: null,
    photos: [], // { file, url }
    draft: newDraft(),
    sending: false,
    token: window.sessionStorage.getItem("gridmapToken") || "",
  };

  // ---- small helpers ------------------------------------------------------------------------------------

  function randomKey() {
    // crypto.randomUUID needs a secure context (HTTPS or localhost); getRandomValues works everywhere.
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function newDraft() {
    // The reporter key is a secret of 64 hex digits (the server takes 16 to 200 characters).
    return { idempotencyKey: randomKey(), reporterKey: (randomKey() + randomKey()).replace(/-/g, "") };
  }

  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem;
      this.retryAfter = retryAfter;
    }
  }

  async function getJson(path) {
    const headers = { Accept: "application/json" };
    // Reading the map needs a token only where public reading is off; a signed-in tab has one.
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const response = await fetch(path, { headers });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body, response.headers.get("Retry-After"));
    return body;
  }

  function show(id, visible) {
    document.getElementById(id).hidden = !visible;
  }

  function message(id, text, kind, status) {
    const box = document.getElementById(id);
    box.replaceChildren(...(Array.isArray(text) ? text.map((line) => el("span", null, line)) : [text || ""]));
    box.className = "message " + (kind || "");
    box.hidden = !text || (Array.isArray(text) && !text.length);
    if (status) box.dataset.status = String(status);
    else delete box.dataset.status;
  }

  function colourFor(code) {
    const community = String(code || "").slice(0, 12);
    let hash = 0;
    for (const ch of community) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return PALETTE[hash % PALETTE.length];
  }

  function waitText(seconds) {
    const s = Math.max(1, Math.ceil(Number(seconds) || 60));
    if (s < 90) return { zh: s + " 秒", en: s + " s" };
    const minutes = Math.ceil(s / 60);
    return { zh: minutes + " 分钟", en: minutes + " min" };
  }

  // ---- datums (web/datums.js) ---------------------------------------------------------------------------

  const { toWgs84, fromWgs84 } = window.gridmapDatums;

  /** Where a point (in any datum) sits on this map, as a Leaflet [lat, lng]. */
  function onMap(point) {
    if (point.datum === state.mapDatum) return [point.lat, point.lon];
    const [lon, lat] = toWgs84(point.lon, point.lat, point.datum);
    const [x, y] = fromWgs84(lon, lat, state.mapDatum);
    return [y, x];
  }

  // ---- the map --------------------------------------------------------------------------------------------

  const map = L.map("map", { zoomControl: true, maxZoom: 20, minZoom: 3, zoomSnap: 0.5 });
  map.attributionControl.setPrefix("Leaflet");
  map.setView([27.46, 119.51], 14);
  map.createPane("gridPane").style.zIndex = "410";
  map.createPane("communityPane").style.zIndex = "420";

  // Boundaries are not interactive: a tap anywhere, inside a grid or not, reaches the map and drops the pin.
  const gridLayer = L.geoJSON(null, {
    pane: "gridPane",
    interactive: false,
    style: (f) => gridStyle(f, false),
    onEachFeature: (f, layer) => {
      state.grids.set(String(f.properties.code), { feature: f, layer });
      layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "grid-label", interactive: false });
    },
  }).addTo(map);
  const communityLayer = L.geoJSON(null, {
    pane: "communityPane",
    interactive: false,
    style: () => ({ color: "#16324f", weight: 2.5, fill: false, opacity: 0.9 }),
  }).addTo(map);

  const pin = L.marker([0, 0], {
    draggable: true,
    autoPan: true,
    keyboard: true,
    title: "事件位置 Incident point",
    icon: L.divIcon({ className: "pin", html: '<span class="pin-head"></span>', iconSize: [34, 36], iconAnchor: [17, 34] }),
  });
  const accuracyCircle = L.circle([0, 0], { radius: 1, interactive: false, color: "#1971c2", weight: 1, fillOpacity: 0.08 });

  function gridStyle(feature, chosen) {
    const colour = colourFor(feature.properties.code);
    return chosen
      ? { color: "#e8590c", weight: 3.5, opacity: 1, fillColor: "#ffa94d", fillOpacity: 0.3 }
      : { color: colour, weight: 1.5, opacity: 0.9, fillColor: colour, fillOpacity: 0.12 };
  }

  function highlightGrid(code) {
    if (state.highlighted) {
      state.highlighted.layer.setStyle(gridStyle(state.highlighted.feature, false));
    }
    state.highlighted = code ? state.grids.get(code) || null : null;
    if (state.highlighted) state.highlighted.layer.setStyle(gridStyle(state.highlighted.feature, true));
  }

  function updateLabels() {
    map.getContainer().classList.toggle("show-grid-labels", map.getZoom() >= 15);
  }
  map.on("zoomend", updateLabels);

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

  async function fetchAll(collection) {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), crs: state.mapDatum });
    let url = API + "/collections/" + collection + "/items?" + params;
    const features = [];
    while (url) {
      const page = await getJson(url);
      features.push(...page.features);
      const next = (page.links || []).find((link) => link.rel === "next");
      const link = next ? new URL(next.href, window.location.href) : null;
      url = link ? link.pathname + link.search : null; // same origin, whatever host name the server saw
    }
    return features;
  }

  function addBaseMap(tiles) {
    if (!tiles || !tiles.url) return;
    L.tileLayer(tiles.url, { attribution: tiles.attribution || "", maxZoom: 20, maxNativeZoom: 18, subdomains: tiles.subdomains || "abc" })
      .addTo(map);
  }

  // ---- the point and where it falls -------------------------------------------------------------------------

  let locateSeq = 0;

  function setPoint(point) {
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
      answer = await getJson(API + "/locate?" + params);
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

  function placeRows(rows) {
    const dl = el("dl", { class: "facts" });
    for (const [term, value] of rows) dl.append(el("dt", null, term), el("dd", null, value));
    return dl;
  }

  function setPlace(place, answer, detail) {
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
      box.replaceChildren(el("p", { class: "ok" }, "✓ 将由本网格处理 ", el("small", null, "This grid will handle it")), placeRows(rows));
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

  function updateSend() {
    const button = document.getElementById("send-button");
    button.disabled = state.sending || state.place === "outside" || state.place === "pending";
    button.replaceChildren(...(state.sending ? ["提交中… ", el("small", null, "Sending")] : ["提交 ", el("small", null, "Send")]));
  }

  // ---- device location ------------------------------------------------------------------------------------

  function deviceDatum() {
    const named = (options.get("device_datum") || "").toLowerCase();
    return DATUMS.includes(named) ? named : "wgs84";
  }

  function useDeviceLocation(lon, lat, datum, accuracy) {
    const button = document.getElementById("locate-button");
    button.disabled = false;
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
      message("send-message", "定位结果无效，请在地图上点选。 The device gave no usable position: tap the map.", "error");
      return;
    }
    setPoint({ lon, lat, datum, source: "device" });
    const where = onMap(state.point);
    map.setView(where, Math.max(map.getZoom(), 17), { animate: false });
    if (Number(accuracy) > 0) accuracyCircle.setLatLng(where).setRadius(Number(accuracy)).addTo(map);
  }

  function locationFailed(text) {
    document.getElementById("locate-button").disabled = false;
    message("send-message", ["定位失败，请在地图上点选位置。 Location failed: tap the map instead.", text || ""], "error");
  }

  function locateDevice() {
    const button = document.getElementById("locate-button");
    button.disabled = true;
    message("send-message", "");
    if (window.wx && typeof window.wx.getLocation === "function") {
      // WeChat gives GCJ-02 when asked for it; the page sends it as such.
      window.wx.getLocation({
        type: "gcj02",
        success: (res) => useDeviceLocation(Number(res.longitude), Number(res.latitude), "gcj02", res.accuracy),
        fail: (res) => locationFailed(res && res.errMsg),
        cancel: () => locationFailed("已取消 cancelled"),
      });
      return;
    }
    if (!navigator.geolocation) {
      locationFailed("此浏览器不支持定位（或页面不是 HTTPS）。 No geolocation here (it needs HTTPS).");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => useDeviceLocation(position.coords.longitude, position.coords.latitude, deviceDatum(), position.coords.accuracy),
      (error) => locationFailed(error.code === 1 ? "未获得定位权限 Permission denied" : error.message),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  }

  document.getElementById("locate-button").addEventListener("click", (event) => {
    event.preventDefault();
    locateDevice();
  });

  // ---- photos -------------------------------------------------------------------------------------------

  function photoType(file) {
    if (file.type) return PHOTO_TYPES[file.type] ? file.type : null;
    const extension = String(file.name || "").split(".").pop().toLowerCase();
    return PHOTO_EXTENSIONS[extension] || null;
  }

  function megabytes(bytes) {
    return (bytes / 1024 / 1024).toFixed(1);
  }

  function addPhotos(files) {
    const problems = [];
    let skipped = 0;
    for (const file of files) {
      if (!photoType(file)) {
        problems.push(file.name + "：只接受 JPEG、PNG、WebP 图片。 Only JPEG, PNG or WebP.");
      } else if (file.size > MAX_PHOTO_BYTES) {
        problems.push(file.name + "：" + megabytes(file.size) + " MB，超过 8 MB。 Larger than 8 MB.");
      } else if (file.size === 0) {
        problems.push(file.name + "：文件为空。 The file is empty.");
      } else if (state.photos.length >= MAX_PHOTOS) {
        skipped++;
      } else {
        state.photos.push({ file, url: URL.createObjectURL(file) });
      }
    }
    if (skipped) {
      problems.unshift("最多 " + MAX_PHOTOS + " 张照片，有 " + skipped + " 张未添加。 At most " + MAX_PHOTOS +
        " photos: " + skipped + " not added.");
    }
    message("photo-message", problems, "error");
    renderThumbs();
  }

  function removePhoto(index) {
    const [removed] = state.photos.splice(index, 1);
    if (removed) URL.revokeObjectURL(removed.url);
    message("photo-message", "");
    renderThumbs();
  }

  function clearPhotos() {
    for (const photo of state.photos) URL.revokeObjectURL(photo.url);
    state.photos = [];
    message("photo-message", "");
    renderThumbs();
  }

  function renderThumbs() {
    const list = document.getElementById("thumbs");
    list.replaceChildren(...state.photos.map((photo, index) => el("li", { class: "thumb" },
      el("img", { src: photo.url, alt: photo.file.name }),
      el("button", { type: "button", class: "thumb-remove", "aria-label": "移除照片 Remove " + photo.file.name,
        onclick: () => removePhoto(index) }, "×"))));
    list.dataset.count = String(state.photos.length);
    document.getElementById("photo-pick").hidden = state.photos.length >= MAX_PHOTOS;
  }

  for (const photoInput of [document.getElementById("photos"), document.getElementById("photos-album")]) {
    photoInput.addEventListener("change", () => {
      addPhotos(Array.from(photoInput.files || []));
      photoInput.value = ""; // the same file may be chosen again after removing it
    });
  }

  // ---- sending ------------------------------------------------------------------------------------------

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
      const response = await fetch(API + "/incidents/reports", {
        method: "POST",
        headers: { Accept: "application/json", "Idempotency-Key": state.draft.idempotencyKey },
        body: reportForm(),
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body && body.id) reported(body);
      else refused(response.status, body, response.headers.get("Retry-After"));
    } catch (err) {
      // The answer was lost, not necessarily the report: the same key is sent again, so a retry cannot double it.
      message("send-message", ["网络异常，请稍后再点“提交”，不会重复上报。", "Network problem: press Send again; it will not be reported twice."], "error", "network");
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
    const facts = document.getElementById("result-facts");
    const rows = [
      ["事件编号 Number", el("span", { class: "code", id: "result-id" }, incident.id)],
      ["类别 Category", state.categories.get(incident.category) || incident.category],
      ["网格 Grid", el("span", { id: "result-grid" }, gridName)],
      ["网格员 Worker", el("span", { id: "result-worker" }, incident.worker || "待指派 to be assigned")],
      ["状态 Status", "已上报 reported"],
    ];
    if (Array.isArray(incident.photos)) rows.push(["照片 Photos", String(incident.photos.length)]);
    facts.replaceChildren(...rows.flatMap(([term, value]) => [el("dt", null, term), el("dd", null, value)]));
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

  // ---- my reports: kept on this device with their reporter keys; closed ones may be rated once -----------

  function mine() {
    try {
      const stored = JSON.parse(window.localStorage.getItem(MINE_KEY) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch (err) {
      return [];
    }
  }

  function keepMine(reports) {
    window.localStorage.setItem(MINE_KEY, JSON.stringify(reports.slice(0, MINE_KEPT)));
  }

  function remember(incident) {
    const reports = mine().filter((r) => r.id !== incident.id);
    reports.unshift({
      id: incident.id,
      key: state.draft.reporterKey,
      category: incident.category,
      grid: incident.grid,
      reportedAt: incident.reported_at || new Date().toISOString(),
      rated: false,
    });
    keepMine(reports);
  }

  async function renderMine() {
    const reports = mine();
    const list = document.getElementById("mine-list");
    show("mine", reports.length > 0);
    list.replaceChildren(...reports.map((report) => el("li", { class: "mine-item", "data-id": report.id },
      el("div", { class: "mine-head" },
        el("span", { class: "code" }, report.id),
        el("span", null, state.categories.get(report.category) || report.category)),
      el("div", { class: "mine-status hint" }, new Date(report.reportedAt).toLocaleString("zh-CN")))));
    for (const report of reports) {
      const item = list.querySelector('[data-id="' + CSS.escape(report.id) + '"]');
      getJson("/open311/v2/requests/" + encodeURIComponent(report.id) + ".json")
        .then((found) => showMineStatus(item, report, found[0]))
        .catch(() => null); // the status is a courtesy: the list works without it
    }
  }

  function showMineStatus(item, report, request) {
    if (!item || !request) return;
    const closed = String(request.status_notes || "").startsWith("closed");
    const status = item.querySelector(".mine-status");
    status.textContent = (request.status === "open" ? "处理中 open" : "已结束 " + request.status_notes) +
      " · " + new Date(report.reportedAt).toLocaleString("zh-CN");
    if (closed && !report.rated) item.append(ratingForm(report));
    if (report.rated) item.append(el("p", { class: "ok" }, "已评价，谢谢 Rated, thank you"));
  }

  function ratingForm(report) {
    let chosen = 0;
    const stars = [1, 2, 3, 4, 5].map((n) => el("button", { type: "button", class: "star", "data-rating": String(n),
      "aria-label": n + " 星 stars", onclick: () => {
        chosen = n;
        stars.forEach((star, i) => star.classList.toggle("on", i < n));
      } }, "★"));
    const note = el("input", { type: "text", maxlength: "500", placeholder: "意见（可选） Comment (optional)", "aria-label": "Comment" });
    const feedback = el("p", { class: "message", hidden: "" });
    const form = el("form", { class: "rating", onsubmit: async (event) => {
      event.preventDefault();
      if (!chosen) {
        feedback.hidden = false;
        feedback.textContent = "请选择 1-5 星。 Choose 1 to 5 stars.";
        return;
      }
      const response = await fetch(API + "/incidents/" + encodeURIComponent(report.id) + "/rating", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-Reporter-Key": report.key },
        body: JSON.stringify({ rating: chosen, note: note.value.trim() }),
      }).catch(() => null);
      const body = response ? await response.json().catch(() => null) : null;
      if (response && response.ok) {
        keepMine(mine().map((r) => (r.id === report.id ? { ...r, rated: true } : r)));
        form.replaceWith(el("p", { class: "ok" }, "已评价，谢谢 Rated, thank you"));
        return;
      }
      feedback.hidden = false;
      feedback.className = "message error";
      feedback.textContent = "评价失败 Rating failed: " + ((body && (body.detail || body.title)) || "network");
    } }, el("span", { class: "hint" }, "评价 Rate: "), ...stars, note, el("button", { type: "submit", class: "button small" }, "提交 Send"), feedback);
    return form;
  }

  // ---- start --------------------------------------------------------------------------------------------

  async function loadCategories() {
    const services = await getJson("/open311/v2/services.json");
    const picker = document.getElementById("category");
    for (const service of services) {
      state.categories.set(service.service_code, service.service_name);
      const english = String(service.keywords || "").split(",").slice(1).join(",");
      picker.append(el("option", { value: service.service_code }, service.service_name + (english ? " · " + english : "")));
    }
  }

  async function loadBoundaries() {
    const [communities, grids] = await Promise.all([fetchAll("communities"), fetchAll("grids")]);
    communityLayer.addData(communities);
    gridLayer.addData(grids);
    const bounds = communityLayer.getBounds().isValid() ? communityLayer.getBounds() : gridLayer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10], animate: false });
    updateLabels();
  }

  async function start() {
    const config = await getJson(API + "/config");
    state.mapDatum = config.output_crs || "wgs84";
    addBaseMap(config.tiles);
    const results = await Promise.allSettled([loadCategories(), loadBoundaries()]);
    const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
    if (failures.length) {
      message("send-message", ["页面加载不完整，请刷新重试。 The page did not load completely: reload it.", ...failures], "error");
      document.body.dataset.error = failures.join("; ");
    }
    renderMine(); // again, now with the categories' names
    document.body.dataset.ready = "true";
  }

  // Exposed for tests and the browser console.
  window.gridmapReport = { map, pin, state, gridLayer, setPoint, onMap, toWgs84 };

  setPlace("none");
  renderThumbs();
  renderMine();
  start().catch((err) => {
    message("send-message", ["页面加载失败，请刷新重试。 The page failed to load: reload it.", err.message], "error");
    document.body.dataset.error = err.message;
    document.body.dataset.ready = "true";
  });
})();
