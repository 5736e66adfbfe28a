/* Incident layers of the viewer: clusters (or points, for a signed-in user close in), a heat map and counts per
 * grid, with filters by category, status and date, and a time slider that can play the periods in turn.
 *
 * The server aggregates (/api/v1/incident-map/): the page receives a few hundred cells, never every incident.
 * Points need a staff token (a viewer's is refused with 403, and the layer stays with clusters); their popup
 * reads the incident and its history from /api/v1/incidents/{id}. The public's clusters hold at least k
 * incidents at generalised places; the ones left out are counted in the summary (`withheld`).
 * Requests follow the map after a short pause (debounced); an answer that arrives after a newer request was
 * made is dropped, and the older request is aborted. Each finished render sets
 * `document.body.dataset.incidentsRendered` to a growing counter and fires `gridmap:incidents-rendered` on
 * window, so that tests and the benchmark can wait for it.
 */
(function () {
  "use strict";

  const { el } = window.gridmapDom; // web/dom.js

  const viewer = window.gridmapViewer;
  const map = viewer.map;
  const API = "/api/v1";
  const DEBOUNCE_MS = 120;
  const POINT_LIMIT = 2000; // at most this many incidents in view: real points instead of clusters
  const POINT_ZOOM = 17; // from this zoom always points (the newest POINT_LIMIT of them)
  const HEAT_CELL_PX = 16;
  const PLAY_MS = 1200; // how long each period stays on screen while playing
  const CHINA_OFFSET_MS = 8 * 3600 * 1000; // dates in the filters are China dates (UTC+8, no daylight saving)
  const STATUS_NAMES = {
    reported: "已上报 Reported",
    accepted: "已受理 Accepted",
    dispatched: "已派遣 Dispatched",
    in_progress: "处置中 In progress",
    resolved: "已处置 Resolved",
    closed: "已结案 Closed",
    rejected: "不予受理 Rejected",
    duplicate: "重复 Duplicate",
  };
  const OPEN_STATUSES = ["reported", "accepted", "dispatched", "in_progress"];
  const FINISHED_STATUSES = ["resolved", "closed", "rejected", "duplicate"];
  const ACTION_NAMES = { report: "上报 report", transition: "流转 step", rate: "评价 rating", move: "改位置 move" };
  const AREA_RAMP = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];
  const NO_DATA = "#ced4da";

  for (const [name, z] of Object.entries({ incidentAreaPane: 415, incidentPointPane: 445 })) {
    map.createPane(name).style.zIndex = String(z);
  }

  const incidentLayer = L.layerGroup(); // clusters or points
  const heatLayer = L.heatLayer([], { radius: 22, blur: 18, minOpacity: 0.25, max: 1 });
  const areaLayer = L.layerGroup();
  const layers = { incidents: incidentLayer, heat: heatLayer, areas: areaLayer };
  viewer.layerControl.addOverlay(incidentLayer, "事件 Incidents (聚合/点 clusters/points)");
  viewer.layerControl.addOverlay(heatLayer, "事件热力 Incident heatmap");
  viewer.layerControl.addOverlay(areaLayer, "每网格事件 Incidents per grid");

  const state = {
    mode: "", // what the incident layer shows: "clusters", "points" or "" (off)
    total: null, // incidents in view (clusters) or matched (points)
    shown: 0, // clusters or points drawn
    cells: null, // the last cells answer
    points: new Map(), // id -> circle marker
    areaCounts: null, // code -> count, for the drawn choropleth
    areaValues: null, // code -> the shown value (count or per 1,000 households)
    periods: [], // [{ since, before, label }] for the slider
    playing: false,
    categories: new Map(), // code -> name
    rendered: 0,
    pointLimit: POINT_LIMIT, // tests lower it to see the switch from clusters to points with few incidents
    pointsRefused: false, // a viewer's token: points are for staff, so clusters as for the public
    withheld: 0, // incidents in view the public answer counts but shows in no cluster (fewer than k)
  };
  let requestSeq = 0;
  let controller = null;
  let debounceTimer = null;
  let playTimer = null;
  const householdCache = new Map(); // version id -> Map(code -> households)
  let areaShapes = { key: null, polygons: new Map() };

  // ---- small helpers ------------------------------------------------------------------------------------

  class RequestFailed extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
    }
  }

  async function getJson(path, signal) {
    const headers = { Accept: "application/json" };
    if (viewer.state.token) headers.Authorization = "Bearer " + viewer.state.token;
    const response = await fetch(path.startsWith("/") ? path : API + "/" + path, { headers, signal });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new RequestFailed(response.status, body);
    return body;
  }

  function anyOn() {
    return map.hasLayer(incidentLayer) || map.hasLayer(heatLayer) || map.hasLayer(areaLayer);
  }

  // Incidents are WGS-84; the map may be in GCJ-02 (viewer.mapLatLng shifts). The view goes back by one
  // reversed shift, which is within centimetres of exact for a bbox.
  function toMap(lat, lon) {
    return viewer.mapLatLng(lat, lon);
  }

  function toWgs84(lat, lon) {
    const [shiftedLat, shiftedLon] = viewer.mapLatLng(lat, lon);
    return [2 * lat - shiftedLat, 2 * lon - shiftedLon];
  }

  function viewBbox() {
    const bounds = map.getBounds().pad(0.05);
    const [south, west] = toWgs84(bounds.getSouth(), bounds.getWest());
    const [north, east] = toWgs84(bounds.getNorth(), bounds.getEast());
    const clamp = (v, limit) => Math.max(-limit, Math.min(limit, v));
    return [clamp(west, 180), clamp(south, 90), clamp(east, 180), clamp(north, 90)].map((v) => v.toFixed(6)).join(",");
  }

  // ---- filters and periods (China dates) ------------------------------------------------------------------

  function chinaStart(day) {
    return day + "T00:00:00+08:00";
  }

  function chinaDay(ms) {
    return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
  }

  function addDays(day, days) {
    return chinaDay(Date.parse(chinaStart(day)) + days * 86400000);
  }

  function filterParams() {
    const params = new URLSearchParams();
    const category = document.getElementById("incident-category").value;
    const status = document.getElementById("incident-status").value;
    if (category) params.set("category", category);
    if (status) params.set("status", status);
    const period = currentPeriod();
    const from = document.getElementById("incident-from").value;
    const to = document.getElementById("incident-to").value;
    if (period) {
      params.set("since", period.since);
      params.set("before", period.before);
    } else {
      if (from) params.set("since", chinaStart(from));
      if (to) params.set("before", chinaStart(addDays(to, 1)));
    }
    return params;
  }

  function currentPeriod() {
    const slider = document.getElementById("incident-slider");
    return state.periods.length ? state.periods[Number(slider.value)] || null : null;
  }

  function periodsBetween(first, last, step) {
    // Weeks start on Monday, months on the 1st, in China time; the last period holds the last report.
    const periods = [];
    let day = chinaDay(first);
    if (step === "week") {
      const sinceMonday = (new Date(day + "T00:00:00Z").getUTCDay() + 6) % 7; // the calendar weekday of the date
      day = addDays(day, -sinceMonday);
    } else {
      day = day.slice(0, 8) + "01";
    }
    while (Date.parse(chinaStart(day)) <= last && periods.length < 1000) {
      let next;
      let label;
      if (step === "week") {
        next = addDays(day, 7);
        label = day + " – " + addDays(next, -1);
      } else {
        const [y, m] = day.split("-").map(Number);
        next = (m === 12 ? y + 1 + "-01" : y + "-" + String(m + 1).padStart(2, "0")) + "-01";
        label = y + "年" + m + "月 " + day.slice(0, 7);
      }
      periods.push({ since: chinaStart(day), before: chinaStart(next), label });
      day = next;
    }
    return periods;
  }

  async function loadPeriods() {
    const step = document.getElementById("incident-step").value;
    const slider = document.getElementById("incident-slider");
    const previous = currentPeriod();
    stopPlaying();
    state.periods = [];
    if (step) {
      const params = new URLSearchParams(filterParams());
      const extent = await getJson("incident-map/extent?" + params);
      if (extent.first) state.periods = periodsBetween(Date.parse(extent.first), Date.parse(extent.last), step);
    }
    slider.max = String(Math.max(0, state.periods.length - 1));
    const kept = previous ? state.periods.findIndex((p) => p.since === previous.since) : -1;
    slider.value = String(kept >= 0 ? kept : 0);
    slider.disabled = state.periods.length < 2;
    document.getElementById("incident-play").disabled = state.periods.length < 2;
    showPeriod();
  }

  function showPeriod() {
    const period = currentPeriod();
    const label = document.getElementById("incident-period-label");
    label.textContent = period ? period.label : document.getElementById("incident-step").value
      ? "无事件 No incidents" : "全部时间 All time";
    document.body.dataset.incidentsPeriod = period ? period.since + "/" + period.before : "";
  }

  function startPlaying() {
    if (state.periods.length < 2) return;
    const slider = document.getElementById("incident-slider");
    if (Number(slider.value) >= state.periods.length - 1) slider.value = "0";
    state.playing = true;
    document.getElementById("incident-play").textContent = "⏸ 暂停 Pause";
    showPeriod();
    refreshNow();
  }

  function stopPlaying() {
    state.playing = false;
    window.clearTimeout(playTimer);
    document.getElementById("incident-play").textContent = "▶ 播放 Play";
  }

  function nextFrame() {
    // Called after each render while playing: the next period after a pause, stopping after the last.
    window.clearTimeout(playTimer);
    playTimer = window.setTimeout(() => {
      if (!state.playing) return;
      const slider = document.getElementById("incident-slider");
      const next = Number(slider.value) + 1;
      if (next >= state.periods.length) {
        stopPlaying();
        return;
      }
      slider.value = String(next);
      showPeriod();
      refreshNow();
    }, PLAY_MS);
  }

  // ---- clusters and points --------------------------------------------------------------------------------

  function clusterIcon(count) {
    const size = count < 10 ? 26 : count < 100 ? 32 : count < 1000 ? 40 : count < 10000 ? 48 : 56;
    const tier = count < 10 ? "s" : count < 100 ? "m" : count < 1000 ? "l" : "xl";
    const text = count < 10000 ? String(count) : Math.round(count / 1000) + "k";
    return L.divIcon({
      className: "incident-cluster incident-cluster-" + tier,
      html: "<span>" + text + "</span>",
      iconSize: [size, size],
    });
  }

  function drawClusters(body) {
    incidentLayer.clearLayers();
    state.points.clear();
    for (const cell of body.cells) {
      const marker = L.marker(toMap(cell.lat, cell.lon), {
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

  function drawPoints(body) {
    incidentLayer.clearLayers();
    state.points.clear();
    for (const feature of body.features) {
      const [lon, lat] = feature.geometry.coordinates;
      const p = feature.properties;
      const marker = L.circleMarker(toMap(lat, lon), {
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
    state.mode = "points";
    state.total = body.matched;
    state.shown = body.features.length;
  }

  async function loadIncidents(filters, signal) {
    const zoom = map.getZoom();
    const signedIn = Boolean(viewer.state.token) && !state.pointsRefused;
    const bbox = viewBbox();
    const loadCells = () => {
      const params = new URLSearchParams(filters);
      params.set("bbox", bbox);
      params.set("zoom", String(zoom));
      return getJson("incident-map/cells?" + params, signal);
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
      const points = await getJson("incident-map/points?" + params, signal);
      return () => drawPoints(points);
    } catch (err) {
      // Points are for staff; a viewer's token sees what the public sees, so clusters from now on.
      if (!(err instanceof RequestFailed && err.status === 403)) throw err;
      state.pointsRefused = true;
      const fallback = cells || (await loadCells());
      return () => drawClusters(fallback);
    }
  }

  // ---- the popup: details and history (needs a token) ---------------------------------------------------

  function time(iso) {
    return iso ? chinaDay(Date.parse(iso)) + " " + new Date(Date.parse(iso) + CHINA_OFFSET_MS).toISOString().slice(11, 16) : "—";
  }

  async function fillPopup(popup, id) {
    let incident;
    try {
      incident = await getJson("incidents/" + encodeURIComponent(id));
    } catch (err) {
      popup.setContent(el("div", { class: "incident-popup" }, err.status === 401
        ? "请登录查看详情 Sign in to see the details." : "出错 Error: " + err.message));
      return;
    }
    const rows = [
      ["类别 Category", state.categories.get(incident.category) || incident.category],
      ["状态 Status", STATUS_NAMES[incident.status] || incident.status],
      ["上报 Reported", time(incident.reported_at)],
      ["地址 Address", incident.address || "—"],
      ["网格 Grid", incident.grid || "—"],
      ["网格员 Worker", incident.worker || "—"],
    ];
    const dl = el("dl");
    for (const [term, value] of rows) dl.append(el("dt", null, term), el("dd", null, value));
    const history = el("ol", { class: "incident-history" });
    for (const entry of incident.history || []) {
      const step = entry.from ? (STATUS_NAMES[entry.from] || entry.from).split(" ")[0] + " → " : "";
      history.append(el("li", null,
        el("span", { class: "when" }, time(entry.at)), " ",
        ACTION_NAMES[entry.action] || entry.action, ": ", step + (STATUS_NAMES[entry.to] || entry.to).split(" ")[0],
        " · ", entry.actor,
        entry.note ? el("div", { class: "note" }, entry.note) : null,
        entry.rating ? el("div", { class: "note" }, "评分 Rating: " + entry.rating) : null));
    }
    const box = el("div", { class: "incident-popup", "data-incident-id": incident.id },
      el("div", { class: "kind" }, "事件 Incident ", el("span", { class: "code" }, incident.id)),
      incident.description ? el("p", { class: "description" }, incident.description) : null,
      dl,
      el("h4", null, "处理经过 History"),
      history);
    popup.setContent(box);
    popup.update();
    box.dataset.loaded = "true";
  }

  function openIncident(id) {
    const marker = state.points.get(id);
    if (!marker) return false;
    marker.openPopup();
    return true;
  }

  // ---- heat map ---------------------------------------------------------------------------------------------

  async function loadHeat(filters, signal) {
    const params = new URLSearchParams(filters);
    params.set("bbox", viewBbox());
    params.set("zoom", String(map.getZoom()));
    params.set("cell_px", String(HEAT_CELL_PX));
    const body = await getJson("incident-map/cells?" + params, signal);
    return () => {
      // Weighted by count, against a high quantile rather than the one busiest cell, so that it does not
      // wash out everything else.
      const counts = body.cells.map((c) => c.count).sort((a, b) => a - b);
      const top = counts.length ? counts[Math.floor((counts.length - 1) * 0.95)] : 1;
      // leaflet.heat weakens every point by 2^(zoom - max zoom); the same factor on `max` undoes it.
      const weakened = 1 / 2 ** Math.max(0, Math.min(map.getMaxZoom() - map.getZoom(), 12));
      heatLayer.setOptions({ max: Math.max(1, top) * weakened });
      heatLayer.setLatLngs(body.cells.map((c) => [...toMap(c.lat, c.lon), c.count]));
    };
  }

  // ---- counts per grid ------------------------------------------------------------------------------------

  function niceStep(value) {
    if (!(value > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= value);
  }

  async function householdsPerGrid(signal) {
    const version = viewer.state.version ? viewer.state.version.id : "";
    if (!householdCache.has(version)) {
      const params = new URLSearchParams({ level: "grid" });
      if (version) params.set("version", String(version));
      const body = await getJson("household-counts?" + params, signal);
      householdCache.set(version, new Map(body.counts.map((c) => [String(c.code), c.households])));
    }
    return householdCache.get(version);
  }

  function gridShapes() {
    // One polygon per grid of the loaded version, copied from the viewer's grid layer (same datum as the map).
    const key = (viewer.state.version ? viewer.state.version.id : "") + ":" + viewer.state.byCode.size;
    if (areaShapes.key === key) return areaShapes.polygons;
    const polygons = new Map();
    for (const [code, entry] of viewer.state.byCode) {
      if (entry.level !== "grid") continue;
      polygons.set(code, L.polygon(entry.layer.getLatLngs(), {
        pane: "incidentAreaPane", interactive: false, color: "#ffffff", weight: 1, opacity: 0.9, fillOpacity: 0.75,
      }));
    }
    areaLayer.clearLayers();
    areaShapes = { key, polygons };
    return polygons;
  }

  async function loadAreas(filters, signal) {
    const params = new URLSearchParams(filters);
    params.set("level", "grid");
    const perThousand = document.getElementById("incident-rate").value === "per1000";
    const [body, households] = await Promise.all([
      getJson("incident-map/areas?" + params, signal),
      perThousand ? householdsPerGrid(signal) : Promise.resolve(null),
    ]);
    return () => drawAreas(body.counts, households);
  }

  function drawAreas(counts, households) {
    const polygons = gridShapes();
    const values = new Map();
    for (const code of polygons.keys()) {
      const count = counts[code] || 0;
      if (!households) values.set(code, count);
      else if (households.get(code)) values.set(code, (count * 1000) / households.get(code));
    }
    const largest = Math.max(0, ...values.values());
    const step = households ? niceStep(largest / AREA_RAMP.length) : Math.max(1, Math.ceil(niceStep(largest / AREA_RAMP.length)));
    for (const [code, polygon] of polygons) {
      const value = values.get(code);
      const colour = value === undefined ? NO_DATA : AREA_RAMP[Math.min(AREA_RAMP.length - 1, Math.floor(value / step))];
      polygon.setStyle({ fillColor: colour });
      if (!areaLayer.hasLayer(polygon)) areaLayer.addLayer(polygon);
      const node = polygon.getElement();
      if (node) {
        node.dataset.code = code;
        node.dataset.value = value === undefined ? "" : String(value);
      }
    }
    state.areaCounts = new Map(Object.entries(counts));
    state.areaValues = values;
    renderAreaLegend(step, Boolean(households));
  }

  function renderAreaLegend(step, perThousand) {
    const format = (v) => (perThousand ? (Math.round(v * 10) / 10).toString() : String(v));
    const labels = AREA_RAMP.map((_, i) => (i === AREA_RAMP.length - 1 ? "≥ " + format(i * step)
      : format(i * step) + "–" + (perThousand ? format((i + 1) * step) : format((i + 1) * step - 1))));
    document.getElementById("incident-legend-title").textContent = perThousand
      ? "每千户事件数 Incidents per 1,000 households" : "每网格事件数 Incidents per grid";
    const rows = AREA_RAMP.map((colour, i) => el("li", null, el("span", { class: "swatch", style: "background:" + colour }), labels[i]));
    if (perThousand) rows.push(el("li", null, el("span", { class: "swatch", style: "background:" + NO_DATA }), "无住户 No households"));
    document.getElementById("incident-legend").replaceChildren(...rows);
  }

  // ---- refreshing -----------------------------------------------------------------------------------------

  function schedule(delay) {
    window.clearTimeout(debounceTimer);
    debounceTimer = window.setTimeout(refreshNow, delay === undefined ? DEBOUNCE_MS : delay);
  }

  async function refreshNow() {
    window.clearTimeout(debounceTimer);
    const seq = ++requestSeq;
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    const filters = filterParams();
    const wanted = [];
    if (map.hasLayer(incidentLayer)) wanted.push(loadIncidents(filters, signal));
    if (map.hasLayer(heatLayer)) wanted.push(loadHeat(filters, signal));
    if (map.hasLayer(areaLayer)) wanted.push(loadAreas(filters, signal));
    if (!wanted.length) return;
    let draws;
    try {
      draws = await Promise.all(wanted);
    } catch (err) {
      if (seq !== requestSeq || err.name === "AbortError") return; // a newer request took over
      document.getElementById("incidents-summary").textContent = "出错 Error: " + err.message;
      document.body.dataset.incidentsError = err.message;
      stopPlaying();
      return;
    }
    if (seq !== requestSeq) return; // stale: a newer request is on its way
    for (const draw of draws) draw();
    if (!map.hasLayer(incidentLayer)) {
      incidentLayer.clearLayers();
      state.mode = "";
    }
    showSummary();
    // Marked after the browser has laid out the new markers.
    window.requestAnimationFrame(() => {
      if (seq !== requestSeq) return;
      state.rendered += 1;
      document.body.dataset.incidentsRendered = String(state.rendered);
      document.body.dataset.incidentsMode = state.mode;
      document.body.dataset.incidentsTotal = state.total === null ? "" : String(state.total);
      window.dispatchEvent(new CustomEvent("gridmap:incidents-rendered", {
        detail: { count: state.rendered, mode: state.mode, total: state.total, shown: state.shown },
      }));
      if (state.playing) nextFrame();
    });
  }

  function showSummary() {
    const parts = [];
    if (state.mode === "clusters") parts.push("视野内 " + state.total + " 起事件 incidents in view");
    if (state.mode === "clusters" && state.withheld) {
      // The public sees no group of fewer than k incidents, nor any incident's exact place.
      parts.push(state.withheld + " 起因保护隐私未显示 not shown, to protect privacy");
    }
    if (state.mode === "points") {
      parts.push(state.shown < state.total ? "显示最新 " + state.shown + " / " + state.total + " 起 newest shown"
        : state.total + " 起事件 incidents");
    }
    if (map.hasLayer(areaLayer) && state.areaCounts) {
      let sum = 0;
      for (const n of state.areaCounts.values()) sum += n;
      parts.push("各网格合计 " + sum + " 起 in all grids");
    }
    if (map.hasLayer(incidentLayer) && !viewer.state.token) parts.push("登录后可看单个事件 Sign in for single incidents");
    document.getElementById("incidents-summary").textContent = parts.join(" · ");
  }

  function filtersChanged() {
    // The periods depend on the filters (their extent); load them, then draw.
    run(async () => {
      await loadPeriods();
      await refreshNow();
    });
  }

  async function run(step) {
    try {
      await step();
    } catch (err) {
      if (err.name === "AbortError") return;
      document.getElementById("incidents-summary").textContent = "出错 Error: " + err.message;
      document.body.dataset.incidentsError = err.message;
    }
  }

  // ---- wiring ---------------------------------------------------------------------------------------------

  async function loadCategories() {
    const services = await getJson("/open311/v2/services.json");
    const picker = document.getElementById("incident-category");
    for (const s of services) {
      state.categories.set(String(s.service_code), s.service_name);
      picker.append(el("option", { value: s.service_code }, s.service_name));
    }
  }

  function fillStatuses() {
    const picker = document.getElementById("incident-status");
    picker.replaceChildren(
      el("option", { value: "" }, "全部 All"),
      el("option", { value: OPEN_STATUSES.join(",") }, "未办结 Open"),
      el("option", { value: FINISHED_STATUSES.join(",") }, "已办结 Finished"),
      ...Object.entries(STATUS_NAMES).map(([value, name]) => el("option", { value }, name)),
    );
  }

  let categoriesLoaded = false;
  function layersChanged(event) {
    if (![incidentLayer, heatLayer, areaLayer].includes(event.layer)) return;
    const on = anyOn();
    document.getElementById("incidents").hidden = !on;
    document.getElementById("incident-areas-legend").hidden = !map.hasLayer(areaLayer);
    if (!map.hasLayer(incidentLayer)) {
      incidentLayer.clearLayers();
      state.points.clear();
      state.mode = "";
    }
    if (event.type === "layeradd" && event.layer === areaLayer && viewer.thematic.mode) {
      // One choropleth on the grids at a time.
      viewer.setThematic(null);
    }
    if (!on) {
      requestSeq += 1; // an answer still on its way has nowhere to go
      stopPlaying();
      return;
    }
    if (!categoriesLoaded) {
      categoriesLoaded = true;
      run(loadCategories);
    }
    schedule(0);
  }

  map.on("layeradd layerremove", layersChanged);
  map.on("moveend", () => {
    if (map.hasLayer(incidentLayer) || map.hasLayer(heatLayer)) schedule();
  });
  for (const id of ["incident-category", "incident-status", "incident-from", "incident-to", "incident-step"]) {
    document.getElementById(id).addEventListener("change", filtersChanged);
  }
  document.getElementById("incident-rate").addEventListener("change", () => schedule(0));
  document.getElementById("incident-slider").addEventListener("input", () => {
    stopPlaying();
    showPeriod();
    schedule();
  });
  document.getElementById("incident-play").addEventListener("click", () => (state.playing ? stopPlaying() : startPlaying()));
  // Signing in or out changes what the incident layer may show (points need a token); so does a new version
  // for the per-grid counts.
  new MutationObserver((changes) => {
    if (changes.some((change) => change.attributeName === "data-signed-in")) state.pointsRefused = false;
    if (anyOn()) schedule(0);
  }).observe(document.body, { attributes: true, attributeFilter: ["data-signed-in", "data-features"] });
  fillStatuses();

  // For tests, the benchmark and the console.
  window.gridmapIncidents = {
    layers,
    state,
    show(name, on) {
      const layer = layers[name];
      if (on === false) map.removeLayer(layer);
      else map.addLayer(layer);
    },
    refresh: refreshNow,
    openIncident,
    pointIds: () => [...state.points.keys()],
  };
})();
