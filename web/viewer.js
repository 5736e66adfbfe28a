/* The gridmap boundary viewer: communities, grids and microgrids of one boundary version on a Leaflet map.
 *
 * Everything comes from the same origin: /api/v1 for data, /vendor/leaflet for Leaflet. No request leaves
 * the server the page came from, except base-map tiles when the operator configured a tile URL.
 * When the tiles use GCJ-02 (Amap-style), the page asks the API for geometries already shifted to GCJ-02
 * (`crs=gcj02`), so that boundaries line up with the tiles.
 *
 * A small version (a county town: a few hundred features) is loaded whole and the map fits it. In a large one
 * (a city: 10,000 grids, 100,000 microgrids) a level with more than VIEW_LOAD_THRESHOLD features is loaded by
 * view instead: only the features meeting the visible area (padded by half its size on each side), from the
 * zoom where the level is worth drawing, merged by code into the layers, the far ones dropped again when a
 * level holds more than its cache limit. Communities always load whole. `?load=all` forces the whole load,
 * `?load=view` view loading whatever the size. Each finished view load sets `document.body.dataset.viewLoaded`
 * to a growing counter and fires `gridmap:view-loaded` on window.
 */
(function () {
  "use strict";

  const { el } = window.gridmapDom; // web/dom.js

  const API = "/api/v1";
  const PAGE_SIZE = 1000;
  // viewZoom: in a version loaded by view, the lowest zoom from which the level is fetched (higher where the
  // features are dense: see viewZoomFor); cacheLimit: how many stay loaded before the far ones are dropped.
  const LEVELS = [
    { level: "community", collection: "communities", title: "社区 Communities", labelZoom: 14 },
    { level: "grid", collection: "grids", title: "网格 Grids", labelZoom: 16, viewZoom: 14, cacheLimit: 8000 },
    { level: "microgrid", collection: "microgrids", title: "微网格 Microgrids", labelZoom: 18, viewZoom: 15, cacheLimit: 12000 },
  ];
  const VIEW_LOAD_THRESHOLD = 3000; // a level with more features than this is loaded by view
  const VIEW_PAD = 0.5; // the box asked for: the view grown by this share of its size on each side
  const KEEP_PAD = 2; // on eviction, features meeting the view grown by this much on each side stay
  const VIEW_DEBOUNCE_MS = 150;
  const VIEW_BUDGET = 2000; // about this many features of a level per view load, at the zoom it starts
  const LOAD_MODE = new URLSearchParams(window.location.search).get("load") || "auto"; // auto, all or view
  const LEVEL_NAMES = { community: "社区 Community", grid: "网格 Grid", microgrid: "微网格 Microgrid" };
  const STATUS_NAMES = { published: "已发布 published", draft: "草稿 draft", retired: "已停用 retired" };
  // A calm palette; each community and its grids get one colour, chosen from the community code.
  const PALETTE = ["#2f7ebc", "#2b8a3e", "#7048e8", "#d9480f", "#0c8599", "#c2255c", "#5c940d", "#e67700",
    "#1864ab", "#862e9c"];

  const state = {
    config: null,
    sets: [],
    set: null,
    versions: [],
    version: null,
    outputCrs: "wgs84",
    byCode: new Map(), // code -> { feature, layer, level }
    highlighted: null,
    baseMap: null,
    token: storedToken(),
  };

  const map = L.map("map", { zoomControl: true, maxZoom: 20, minZoom: 3, zoomSnap: 0.25, zoomDelta: 0.5 });
  map.attributionControl.setPrefix('<a href="/docs">API</a> · Leaflet');
  map.setView([27.46, 119.51], 14);

  // One pane per level: grids below, microgrids above them, community outlines on top without fill so that
  // a click inside a grid reaches the grid; problems above everything.
  const panes = { grid: 410, microgrid: 420, community: 430, facility: 435, household: 437, problem: 440 };
  for (const [name, z] of Object.entries(panes)) {
    map.createPane(name + "Pane").style.zIndex = String(z);
  }

  const layers = {};
  for (const spec of LEVELS) {
    layers[spec.level] = L.geoJSON(null, {
      pane: spec.level + "Pane",
      style: (feature) => styleFor(spec.level, feature),
      onEachFeature: (feature, layer) => bindFeature(spec.level, feature, layer),
    });
  }
  const problemLayer = L.geoJSON(null, {
    pane: "problemPane",
    style: (f) => problemStyle(f.properties.severity),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 7, pane: "problemPane", ...problemStyle(f.properties.severity) }),
    onEachFeature: (f, layer) => layer.bindPopup(problemPopup(f.properties)),
  });

  layers.community.addTo(map);
  layers.grid.addTo(map);
  const layerControl = L.control.layers(null, {
    [LEVELS[0].title]: layers.community,
    [LEVELS[1].title]: layers.grid,
    [LEVELS[2].title]: layers.microgrid,
  }, { collapsed: false, position: "topright" }).addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

  // ---- helpers ------------------------------------------------------------------------------------------

  function storedToken() {
    // The token lives in sessionStorage (gone with the tab), never in the URL; one an older page kept in
    // localStorage moves there.
    const legacy = window.localStorage.getItem("gridmapToken");
    if (legacy) {
      window.sessionStorage.setItem("gridmapToken", legacy);
      window.localStorage.removeItem("gridmapToken");
    }
    return window.sessionStorage.getItem("gridmapToken") || "";
  }


  let statusTimer = null;
  function showStatus(message, isError) {
    const box = document.getElementById("status");
    box.textContent = message;
    box.classList.toggle("error", Boolean(isError));
    box.classList.add("visible");
    window.clearTimeout(statusTimer);
    statusTimer = window.setTimeout(() => box.classList.remove("visible"), isError ? 6000 : 1800);
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem;
    }
  }

  async function api(path, signal) {
    const headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const response = await fetch(path.startsWith("/") ? path : API + "/" + path, { headers, signal });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      if (response.status === 401) document.getElementById("token-box").hidden = false;
      throw new ApiError(response.status, body);
    }
    return body;
  }

  function colourFor(code) {
    const community = String(code || "").slice(0, 12);
    let hash = 0;
    for (const ch of community) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return PALETTE[hash % PALETTE.length];
  }

  function styleFor(level, feature) {
    const p = feature.properties || {};
    if (level === "community") return { color: "#16324f", weight: 3, fill: false, opacity: 0.9 };
    if (level === "grid" && thematic.mode) {
      return { color: "#ffffff", weight: 1.2, opacity: 1, fillColor: thematicColour(String(p.code)), fillOpacity: 0.78 };
    }
    if (level === "grid") {
      return { color: colourFor(p.code), weight: 1.5, opacity: 0.9, fillColor: colourFor(p.code), fillOpacity: 0.16 };
    }
    return { color: "#7b8a99", weight: 0.8, dashArray: "3 3", opacity: 0.9, fillColor: "#ffffff", fillOpacity: 0.01 };
  }

  function problemStyle(severity) {
    const colour = severity === "error" ? "#d62728" : "#f08c00";
    return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.45 };
  }

  function labelHtml(level, p) {
    const name = escapeHtml(p.name || "");
    const code = escapeHtml(p.code || "");
    return name + '<span class="code">' + code + "</span>";
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // ---- features ---------------------------------------------------------------------------------------

  function bindFeature(level, feature, layer) {
    const p = feature.properties || {};
    state.byCode.set(String(p.code), { feature, layer, level });
    layer.bindTooltip(labelHtml(level, p), {
      permanent: true,
      direction: "center",
      className: "label label-" + level,
      interactive: false,
    });
    layer.on("click", (event) => {
      L.DomEvent.stopPropagation(event);
      select(String(p.code), false);
    });
  }

  function updateLabelClasses() {
    const zoom = map.getZoom();
    const container = map.getContainer();
    for (const spec of LEVELS) {
      container.classList.toggle("show-" + spec.level + "-labels", zoom >= spec.labelZoom);
    }
    // Microgrid labels, where shown, take the place of their grid's (which would sit on one of them).
    container.classList.toggle("microgrids-on", map.hasLayer(layers.microgrid));
  }
  map.on("zoomend overlayadd overlayremove", updateLabelClasses);

  function chainOf(code) {
    const chain = [];
    let entry = state.byCode.get(code);
    const seen = new Set();
    while (entry && !seen.has(entry.feature.properties.code)) {
      seen.add(entry.feature.properties.code);
      chain.unshift(entry.feature.properties);
      const parent = entry.feature.properties.parent;
      entry = parent ? state.byCode.get(String(parent)) : null;
    }
    return chain;
  }

  function highlight(entry) {
    if (state.highlighted) {
      const old = state.highlighted;
      old.layer.setStyle(styleFor(old.level, old.feature));
    }
    state.highlighted = entry;
    if (!entry) return;
    const outline = { color: "#e8590c", weight: 4, opacity: 1, dashArray: null };
    // On a choropleth the selected grid keeps its colour, so that the map still reads; only its outline changes.
    entry.layer.setStyle(thematic.mode && entry.level === "grid" ? { ...styleFor(entry.level, entry.feature), ...outline }
      : { ...outline, fill: true, fillColor: "#ffa94d", fillOpacity: 0.35 });
    entry.layer.bringToFront();
  }

  function select(code, zoomTo) {
    const entry = state.byCode.get(code);
    if (!entry && viewLoading.levels.size) {
      // Loaded by view: a feature outside what was seen so far is fetched by code (with its parents) first.
      run(() => fetchAndSelect(code, zoomTo));
      return;
    }
    if (!entry) {
      showStatus("未找到 Not found: " + code, true);
      return;
    }
    if (!map.hasLayer(layers[entry.level])) {
      map.addLayer(layers[entry.level]);
      updateLabelClasses();
    }
    highlight(entry);
    if (zoomTo) map.fitBounds(entry.layer.getBounds(), { maxZoom: 17, padding: [80, 80] });
    showDetails(entry.feature.properties);
  }

  function showDetails(p) {
    const box = document.getElementById("details");
    const rows = [
      ["编码 Code", el("span", { class: "code" }, p.code)],
      ["名称 Name", p.name],
      ["层级 Level", LEVEL_NAMES[p.level] || p.level],
      ["网格员 Worker", p.worker || "—"],
      ["目标户数 Households", p.households_target ?? "—"],
      ["上级 Parent", p.parent ? el("span", { class: "code" }, p.parent) : "—"],
    ];
    const dl = el("dl");
    for (const [term, value] of rows) dl.append(el("dt", null, term), el("dd", null, value));
    const chain = el("ol", { class: "chain", "aria-label": "Parent chain" });
    for (const link of chainOf(String(p.code))) {
      const isCurrent = String(link.code) === String(p.code);
      const label = (LEVEL_NAMES[link.level] || link.level).split(" ")[0] + " · " + link.name;
      chain.append(el("li", { class: isCurrent ? "current" : "" },
        isCurrent ? label : el("a", { "data-code": link.code, onclick: () => select(String(link.code), true) }, label)));
    }
    box.replaceChildren(
      el("h2", { class: "panel-title" }, "要素信息 ", el("small", null, "Details")),
      el("h3", { id: "details-name" }, p.name),
      el("span", { class: "level-tag " + p.level }, LEVEL_NAMES[p.level] || p.level),
      dl,
      el("h4", { class: "chain-title" }, "隶属关系 Parent chain"),
      chain,
      el("div", { id: "details-households", class: "facts" }),
      el("div", { id: "details-household-points", class: "facts" }),
    );
    box.dataset.code = p.code;
    delete box.dataset.households;
    run(() => showHouseholds(String(p.code)));
    run(() => showHouseholdPoints(p));
  }

  async function fetchAll(collection) {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), crs: state.outputCrs });
    if (state.version) params.set("version", String(state.version.id));
    let url = API + "/collections/" + collection + "/items?" + params;
    const features = [];
    // Follow `next` links; the API bounds each page, so a large version arrives in a few requests.
    while (url) {
      const page = await api(url);
      features.push(...page.features);
      const next = (page.links || []).find((link) => link.rel === "next");
      url = next ? sameOrigin(next.href) : null;
    }
    return features;
  }

  function sameOrigin(href) {
    const url = new URL(href, window.location.href);
    return url.pathname + url.search;
  }

  // ---- loading a version: whole, or by view when a level is large ----------------------------------------

  const viewLoading = {
    levels: new Set(), // levels of the loaded version that are loaded by view
    totals: {}, // level -> how many features the level has in the version
    minZoom: {}, // level -> the zoom from which it is loaded and drawn
    covered: {}, // level -> boxes (map datum) loaded in full, still held in the layers
    controller: null, // the view request under way, aborted when a newer one starts
    timer: null,
    generation: 0, // grows with each version loaded: answers meant for an older one are dropped
    renders: 0,
  };

  const viewExtent = L.control({ position: "bottomleft" });
  viewExtent.onAdd = () => {
    const box = L.DomUtil.create("div", "view-extent");
    box.hidden = true;
    return box;
  };
  viewExtent.addTo(map);

  async function countOf(collection) {
    const params = new URLSearchParams({ limit: "1", crs: state.outputCrs });
    if (state.version) params.set("version", String(state.version.id));
    const page = await api("collections/" + collection + "/items?" + params);
    return Number(page.numberMatched);
  }

  async function planLevel(spec) {
    // { features } for a level loaded whole, { total } for one loaded by view.
    const whole = async () => ({ features: await fetchAll(spec.collection) });
    if (spec.viewZoom === undefined || LOAD_MODE === "all") return whole();
    // A version with few features in all needs no count per level: it loads whole, as it always did.
    if (LOAD_MODE !== "view" && state.version && state.version.feature_count <= VIEW_LOAD_THRESHOLD) return whole();
    const total = await countOf(spec.collection);
    if (LOAD_MODE !== "view" && total <= VIEW_LOAD_THRESHOLD) return whole();
    return { total };
  }

  function resetViewLoading() {
    window.clearTimeout(viewLoading.timer);
    if (viewLoading.controller) viewLoading.controller.abort();
    viewLoading.controller = null;
    viewLoading.generation++;
    viewLoading.levels.clear();
    viewLoading.totals = {};
    viewLoading.minZoom = {};
    viewLoading.covered = {};
  }

  async function loadVersion() {
    highlight(null);
    state.byCode.clear();
    for (const spec of LEVELS) layers[spec.level].clearLayers();
    problemLayer.clearLayers();
    clearHouseholdPoints();
    resetViewLoading();
    const generation = viewLoading.generation;
    showStatus("加载中 Loading…");
    const plans = await Promise.all(LEVELS.map(planLevel));
    if (generation !== viewLoading.generation) return; // another version was chosen meanwhile
    LEVELS.forEach((spec, i) => {
      if (plans[i].features) {
        layers[spec.level].addData(plans[i].features);
        return;
      }
      viewLoading.levels.add(spec.level);
      viewLoading.totals[spec.level] = plans[i].total;
      viewLoading.covered[spec.level] = [];
    });
    const bounds = layers.community.getBounds().isValid() ? layers.community.getBounds() : layers.grid.getBounds();
    // Not animated: a zoom animation still running would swallow the next one (a quick search, say).
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], animate: false });
    for (const spec of LEVELS) {
      if (viewLoading.levels.has(spec.level)) viewLoading.minZoom[spec.level] = viewZoomFor(spec, bounds);
    }
    const gridZoom = viewLoading.minZoom.grid;
    if (gridZoom !== undefined && map.getZoom() < gridZoom) {
      // A city seen whole is too far out to draw its grids: start at its centre, close enough to see them.
      map.setView(map.getCenter(), gridZoom, { animate: false });
    }
    updateLabelClasses();
    thematic.households = null;
    if (viewLoading.levels.size) await loadView();
    if (generation !== viewLoading.generation) return;
    showViewExtent();
    document.body.dataset.loadedBy = viewLoading.levels.size ? "view" : "all";
    document.body.dataset.loaded = "true";
    document.body.dataset.features = String(state.byCode.size);
    const counts = LEVELS.map((spec, i) => (plans[i].features ? plans[i].features.length : "—"));
    showStatus("已加载 " + counts.join(" / ") + " 个要素 features" + (viewLoading.levels.size ? " · " + viewExtentText() : ""));
    await loadProblems();
    await refreshThematic();
  }

  function viewZoomFor(spec, extent) {
    // The lowest zoom (not below spec.viewZoom) at which the padded view would hold about VIEW_BUDGET of the
    // level's features, were they spread evenly over `extent`: areas in pixels grow 4 times per zoom level.
    const total = viewLoading.totals[spec.level];
    if (!extent.isValid() || !(total > 0)) return spec.viewZoom;
    const corner = map.project(extent.getNorthWest(), 0);
    const across = map.project(extent.getSouthEast(), 0).subtract(corner);
    const extentAtZoom0 = Math.max(Math.abs(across.x * across.y), 1e-12);
    const size = map.getSize();
    const viewArea = size.x * size.y * (1 + 2 * VIEW_PAD) ** 2;
    const zoom = Math.ceil(Math.log((total * viewArea) / (extentAtZoom0 * VIEW_BUDGET)) / Math.log(4));
    return Math.max(spec.viewZoom, Math.min(map.getMaxZoom() - 2, zoom));
  }

  function viewExtentText() {
    // "显示视野内 1,234 / 10,100 网格 Grids in view" per level loaded by view and switched on.
    const parts = [];
    for (const spec of LEVELS) {
      if (!viewLoading.levels.has(spec.level) || !map.hasLayer(layers[spec.level])) continue;
      const name = spec.title.split(" ");
      const from = viewLoading.minZoom[spec.level];
      if (map.getZoom() < from) {
        parts.push("放大至 " + from + " 级显示" + name[0] + " Zoom to " + from + " for " + name[1].toLowerCase());
        continue;
      }
      const shown = layers[spec.level].getLayers().length.toLocaleString("en");
      const total = Number(viewLoading.totals[spec.level]).toLocaleString("en");
      parts.push("显示视野内 " + shown + " / " + total + " " + name[0] + " " + name[1] + " in view");
    }
    return parts.join(" · ");
  }

  function showViewExtent() {
    const box = viewExtent.getContainer();
    const text = viewLoading.levels.size ? viewExtentText() : "";
    box.textContent = text;
    box.hidden = !text;
  }

  function scheduleViewLoad() {
    if (!viewLoading.levels.size) return;
    window.clearTimeout(viewLoading.timer);
    viewLoading.timer = window.setTimeout(() => run(loadView), VIEW_DEBOUNCE_MS);
  }
  map.on("moveend", scheduleViewLoad);
  layers.grid.on("add", scheduleViewLoad);
  layers.microgrid.on("add", scheduleViewLoad);
  layers.microgrid.on("remove", showViewExtent);

  async function loadView() {
    window.clearTimeout(viewLoading.timer);
    if (!viewLoading.levels.size) return;
    if (viewLoading.controller) viewLoading.controller.abort();
    const controller = new AbortController();
    viewLoading.controller = controller;
    const generation = viewLoading.generation;
    const view = map.getBounds();
    const box = view.pad(VIEW_PAD);
    // A level is asked for when it is on, close enough, and the view is not inside a box already loaded.
    const wanted = LEVELS.filter((spec) => viewLoading.levels.has(spec.level) && map.hasLayer(layers[spec.level]) &&
      map.getZoom() >= viewLoading.minZoom[spec.level] && !viewLoading.covered[spec.level].some((loaded) => loaded.contains(view)));
    let answers;
    try {
      answers = await Promise.all(wanted.map((spec) => fetchBox(spec, box, controller.signal)));
    } catch (err) {
      if (controller.signal.aborted) return; // a newer view took over
      throw err;
    }
    if (controller !== viewLoading.controller || generation !== viewLoading.generation) return;
    viewLoading.controller = null;
    wanted.forEach((spec, i) => {
      mergeFeatures(spec, answers[i].features);
      if (answers[i].complete) viewLoading.covered[spec.level].push(box);
      evictFar(spec);
    });
    viewLoading.renders++;
    document.body.dataset.features = String(state.byCode.size);
    document.body.dataset.viewLoaded = String(viewLoading.renders);
    showViewExtent();
    const drawn = Object.fromEntries(LEVELS.map((spec) => [spec.level, layers[spec.level].getLayers().length]));
    window.dispatchEvent(new CustomEvent("gridmap:view-loaded", { detail: { requested: wanted.map((s) => s.level), drawn } }));
  }

  async function fetchBox(spec, box, signal) {
    // The features of a level meeting `box` (map datum; the API takes WGS-84), up to the level's cache limit.
    const datums = window.gridmapDatums;
    const [west, south] = datums.toWgs84(box.getWest(), box.getSouth(), state.outputCrs);
    const [east, north] = datums.toWgs84(box.getEast(), box.getNorth(), state.outputCrs);
    const bbox = [west, south, east, north].map((v) => v.toFixed(6)).join(",");
    const params = new URLSearchParams({ bbox, limit: String(PAGE_SIZE), crs: state.outputCrs });
    if (state.version) params.set("version", String(state.version.id));
    let url = API + "/collections/" + spec.collection + "/items?" + params;
    const features = [];
    while (url && features.length < spec.cacheLimit) {
      const page = await api(url, signal);
      features.push(...page.features);
      const next = (page.links || []).find((link) => link.rel === "next");
      url = next ? sameOrigin(next.href) : null;
    }
    return { features, complete: !url };
  }

  function mergeFeatures(spec, features) {
    // Keyed by code: a feature already on the map (from an earlier view or a search) is never drawn twice.
    const fresh = new Map();
    for (const feature of features) {
      const code = String(feature.properties.code);
      if (!state.byCode.has(code)) fresh.set(code, feature);
    }
    if (fresh.size) layers[spec.level].addData([...fresh.values()]);
  }

  function evictFar(spec) {
    const layer = layers[spec.level];
    if (layer.getLayers().length <= spec.cacheLimit) return;
    const keep = map.getBounds().pad(KEEP_PAD);
    const selected = state.highlighted ? state.highlighted.layer : null;
    for (const shape of layer.getLayers()) {
      if (shape === selected || keep.intersects(shape.getBounds())) continue;
      layer.removeLayer(shape);
      state.byCode.delete(String(shape.feature.properties.code));
    }
    // A box wholly inside `keep` lost nothing: every feature meeting it meets `keep` too.
    viewLoading.covered[spec.level] = viewLoading.covered[spec.level].filter((loaded) => keep.contains(loaded));
  }

  async function fetchAndSelect(code, zoomTo) {
    // A feature (and the parents its chain needs) not loaded yet, fetched by code, then selected as usual.
    const generation = viewLoading.generation;
    let wanted = code;
    while (wanted && !state.byCode.has(wanted)) {
      const params = new URLSearchParams({ code: wanted, limit: "1", crs: state.outputCrs });
      if (state.version) params.set("version", String(state.version.id));
      const page = await api("collections/boundaries/items?" + params);
      if (generation !== viewLoading.generation) return;
      const feature = (page.features || [])[0];
      if (!feature || !layers[feature.properties.level]) break;
      if (!state.byCode.has(wanted)) layers[feature.properties.level].addData([feature]);
      wanted = feature.properties.parent ? String(feature.properties.parent) : null;
    }
    if (!state.byCode.has(code)) {
      showStatus("未找到 Not found: " + code, true);
      return;
    }
    document.body.dataset.features = String(state.byCode.size);
    select(code, zoomTo);
  }

  async function loadProblems() {
    const box = document.getElementById("check");
    const version = state.version;
    if (!version || version.status !== "draft" || !state.set) {
      map.removeLayer(problemLayer);
      layerControl.removeLayer(problemLayer);
      box.hidden = true;
      return;
    }
    const report = await api("boundary-sets/" + encodeURIComponent(state.set.name) + "/versions/" + version.id +
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

  function problemPopup(p) {
    const codes = (p.codes || []).map(escapeHtml).join(", ");
    const area = p.area_m2 ? "<br>面积 Area: " + Number(p.area_m2).toFixed(1) + " m²" : "";
    return '<span class="kind">' + escapeHtml(p.kind) + "</span> (" + escapeHtml(p.severity) + ")<br>" +
      escapeHtml(p.message) + (codes ? "<br>编码 Codes: " + codes : "") + area;
  }

  // ---- thematic layers: household counts and life-circle coverage per grid ------------------------------
  // Both colour the grid layer itself (so that clicks, labels and the highlight keep working) and are turned
  // on from the layer switcher; their data is fetched once, when first shown, in one request for all grids.

  const HOUSEHOLD_RAMP = ["#fff1e0", "#fdc98f", "#fb8d3d", "#e6550d", "#7f2704"];
  const COVERAGE_RAMP = ["#c92a2a", "#f08c00", "#fcc419", "#82c91e", "#2b8a3e"];
  const NO_DATA = "#ced4da";
  const LIFE_CIRCLE_MINUTES = [5, 10, 15];
  const FACILITY_COLOURS = { 5: "#c2255c", 10: "#1864ab", 15: "#5f3dc4" };
  const CARE_FIELDS = [
    ["households", "户数 Households"],
    ["people", "人口 People"],
    ["elderly_alone", "独居老人 Elderly alone"],
    ["disabled", "残疾人 Disabled"],
    ["left_behind_children", "留守儿童 Left-behind children"],
  ];

  const thematic = {
    mode: null, // "households", "lifecircle" or null (the plain boundary colours)
    households: null, // code -> counts, for the loaded version
    step: 1, // households per colour class
    coverage: null, // { types, areas: code -> area }, from the sample region's life-circle analysis
    measure: "complete:15", // "complete:<minutes>" or "type:<facility type>"
  };
  const householdToggle = L.layerGroup();
  const lifecircleToggle = L.layerGroup();
  const facilityLayer = L.geoJSON(null, {
    pane: "facilityPane",
    filter: (f) => facilityShown(f.properties),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, {
      pane: "facilityPane", radius: 5.5, color: "#fff", weight: 1.5, fillOpacity: 1,
      fillColor: FACILITY_COLOURS[f.properties.minutes] || "#495057",
    }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      escapeHtml(f.properties.name) + "<br><small>" + escapeHtml(f.properties.name_zh) + " · " +
      f.properties.minutes + " 分钟 min</small>", { direction: "top", offset: [0, -4] }),
  });
  let facilityFeatures = null;
  layerControl.addOverlay(householdToggle, "户数分布 Households");
  layerControl.addOverlay(lifecircleToggle, "生活圈覆盖 Life circle");
  layerControl.addOverlay(facilityLayer, "生活圈设施 Facilities");

  function niceStep(value) {
    // The smallest of 1, 2, 2.5, 5 x 10^n at least `value`: class limits a reader takes in at a glance.
    if (!(value > 1)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= value);
  }

  function coverageValue(area) {
    const [kind, key] = thematic.measure.split(":");
    return kind === "complete" ? area.completeness[key] : area.households_covered[key];
  }

  function thematicColour(code) {
    if (thematic.mode === "households") {
      const counts = thematic.households && thematic.households.get(code);
      if (!counts) return NO_DATA;
      return HOUSEHOLD_RAMP[Math.min(HOUSEHOLD_RAMP.length - 1, Math.floor(counts.households / thematic.step))];
    }
    const area = thematic.coverage && thematic.coverage.areas.get(code);
    if (!area || !area.households) return NO_DATA;
    return COVERAGE_RAMP[Math.min(COVERAGE_RAMP.length - 1, Math.floor(coverageValue(area) * COVERAGE_RAMP.length))];
  }

  function facilityShown(p) {
    const [kind, key] = thematic.measure.split(":");
    return kind === "complete" ? p.minutes <= Number(key) : p.type === key;
  }

  async function loadHouseholdCounts() {
    if (thematic.households) return;
    const params = new URLSearchParams({ level: "grid" });
    if (state.version) params.set("version", String(state.version.id));
    const body = await api("household-counts?" + params);
    thematic.households = new Map(body.counts.map((c) => [String(c.code), c]));
    thematic.step = niceStep(Math.max(0, ...body.counts.map((c) => c.households)) / HOUSEHOLD_RAMP.length);
  }

  let coverageRequest = null;
  function loadCoverage() {
    // The first analysis takes the server a moment: every caller meanwhile waits on the same request.
    coverageRequest = coverageRequest || fetchCoverage().catch((err) => {
      coverageRequest = null;
      throw err;
    });
    return coverageRequest;
  }

  async function fetchCoverage() {
    showStatus("生活圈分析中 Analysing walking access…");
    const body = await api("lifecircle/coverage?level=grid");
    thematic.coverage = { types: body.types, areas: new Map(body.areas.map((a) => [String(a.code), a])) };
    const picker = document.getElementById("lifecircle-measure");
    picker.replaceChildren(
      el("optgroup", { label: "完整度 Completeness" }, ...LIFE_CIRCLE_MINUTES.map((m) =>
        el("option", { value: "complete:" + m }, m + " 分钟生活圈 " + m + "-min"))),
      el("optgroup", { label: "设施类型 Facility type" }, ...Object.entries(body.types).map(([key, t]) =>
        el("option", { value: "type:" + key }, t.name_zh + " · " + t.minutes + " 分钟"))),
    );
    picker.value = thematic.measure;
    facilityFeatures = facilityFeatures || (await api("lifecircle/facilities")).features;
  }

  async function setThematic(mode) {
    thematic.mode = mode;
    // One choropleth at a time: the other's switch goes off (its overlayremove sees the mode has changed).
    if (mode !== "households" && map.hasLayer(householdToggle)) map.removeLayer(householdToggle);
    if (mode !== "lifecircle" && map.hasLayer(lifecircleToggle)) map.removeLayer(lifecircleToggle);
    if (mode && !map.hasLayer(layers.grid)) map.addLayer(layers.grid);
    if (mode === "lifecircle" && !map.hasLayer(facilityLayer)) map.addLayer(facilityLayer);
    await refreshThematic();
  }

  async function refreshThematic() {
    if (thematic.mode === "households") await loadHouseholdCounts();
    if (thematic.mode === "lifecircle") await loadCoverage();
    if (map.hasLayer(facilityLayer) && !facilityFeatures) facilityFeatures = (await api("lifecircle/facilities")).features;
    facilityLayer.clearLayers();
    if (facilityFeatures) facilityLayer.addData(facilityFeatures);
    layers.grid.setStyle((feature) => styleFor("grid", feature));
    if (state.highlighted) highlight(state.highlighted);
    renderThematicLegend();
    document.body.dataset.thematic = thematic.mode || "";
  }

  function rampRows(ramp, labels) {
    return ramp.map((colour, i) => el("li", null, el("span", { class: "swatch", style: "background:" + colour }), labels[i]));
  }

  function renderThematicLegend() {
    const box = document.getElementById("thematic");
    box.hidden = !thematic.mode;
    document.getElementById("lifecircle-control").hidden = thematic.mode !== "lifecircle";
    const list = document.getElementById("thematic-ramp");
    if (thematic.mode === "households") {
      const step = thematic.step;
      const labels = HOUSEHOLD_RAMP.map((_, i) => (i === HOUSEHOLD_RAMP.length - 1 ? "≥ " + i * step
        : i * step + "–" + ((i + 1) * step - 1)) + " 户");
      document.getElementById("thematic-title").textContent = "每网格户数 Households per grid";
      list.replaceChildren(...rampRows(HOUSEHOLD_RAMP, labels), el("li", null, el("span", { class: "swatch", style: "background:" + NO_DATA }), "无数据 No data"));
    } else if (thematic.mode === "lifecircle") {
      const labels = COVERAGE_RAMP.map((_, i) => i * 20 + "–" + (i + 1) * 20 + "%");
      document.getElementById("thematic-title").textContent = "步行可达住户占比 Households within reach";
      list.replaceChildren(...rampRows(COVERAGE_RAMP, labels),
        el("li", null, el("span", { class: "swatch", style: "background:" + NO_DATA }), "无住户 No households"),
        ...LIFE_CIRCLE_MINUTES.map((m) => el("li", null, el("span", { class: "dot", style: "background:" + FACILITY_COLOURS[m] }), m + " 分钟设施 " + m + "-min facility")));
    }
  }

  function factsList(rows) {
    const dl = el("dl");
    for (const [term, value] of rows) dl.append(el("dt", null, term), el("dd", null, value));
    return dl;
  }

  async function showHouseholds(code) {
    const box = document.getElementById("details");
    let counts = thematic.households && thematic.households.get(code);
    if (!counts) {
      const params = state.version ? "?version=" + state.version.id : "";
      counts = await api("grids/" + encodeURIComponent(code) + "/household-counts" + params);
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

  // ---- household points: names and phones, for planners, admins and the grid's own worker only ----------
  // Shown only to a signed-in user, for the grid (or microgrid) just clicked; nobody else asks for them.

  const householdPoints = L.layerGroup();
  let householdSeq = 0;

  function clearHouseholdPoints() {
    householdSeq++;
    householdPoints.clearLayers();
    delete document.getElementById("details").dataset.householdPoints;
  }

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
    const rows = [
      ["户主 Name", h.head_name || "—"],
      ["人口 People", h.people],
      ["电话 Phone", maskPhone(h.phone) || "—"],
      ["关爱 Care", flags.length ? flags.map(escapeHtml).join("<br>") : "—"],
    ];
    return '<span class="kind">' + escapeHtml(h.household_id) + "</span> " + escapeHtml(h.address || "") +
      '<dl class="household-popup">' + rows.map(([term, value]) => "<dt>" + escapeHtml(term) + "</dt><dd>" +
        (term.startsWith("关爱") ? value : escapeHtml(value)) + "</dd>").join("") + "</dl>";
  }

  function householdColour(h) {
    return h.elderly_alone || h.disabled || h.left_behind_children ? "#c2255c" : "#1971c2";
  }

  // The register holds WGS-84 points; on GCJ-02 tiles they take the same shift as the boundaries.
  function mapLatLng(lat, lon) {
    const [x, y] = window.gridmapDatums.fromWgs84(lon, lat, state.outputCrs);
    return [y, x];
  }

  async function showHouseholdPoints(p) {
    clearHouseholdPoints();
    const seq = householdSeq;
    const box = document.getElementById("details");
    const target = document.getElementById("details-household-points");
    if (!state.token || !target || !map.hasLayer(householdPoints)) return;
    if (p.level !== "grid" && p.level !== "microgrid") return;
    target.replaceChildren(el("p", { class: "hint" }, "加载住户 Loading households…"));
    const params = state.version ? "?version=" + state.version.id : "";
    let body;
    try {
      body = await api("grids/" + encodeURIComponent(p.code) + "/households" + params);
    } catch (err) {
      if (seq !== householdSeq) return;
      if (err.status !== 403 && err.status !== 401) throw err;
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
      }).bindPopup(householdPopup(h)).addTo(householdPoints);
      drawn++;
    }
    const missing = body.count - drawn;
    target.replaceChildren(el("p", { class: "hint" }, "住户点 Household points: " + drawn +
      (missing > 0 ? "（" + missing + " 户无坐标 without a point）" : "")));
    box.dataset.householdPoints = String(drawn);
  }

  function showSignedIn() {
    const button = document.getElementById("signin-button");
    button.textContent = state.token ? "退出 Sign out" : "登录 Sign in";
    button.classList.toggle("signed-in", Boolean(state.token));
    document.body.dataset.signedIn = state.token ? "true" : "false";
    if (state.token) {
      layerControl.removeLayer(householdPoints);
      layerControl.addOverlay(householdPoints, "住户 Households");
      if (!map.hasLayer(householdPoints)) map.addLayer(householdPoints);
    } else {
      clearHouseholdPoints();
      map.removeLayer(householdPoints);
      layerControl.removeLayer(householdPoints);
    }
  }

  map.on("overlayremove", (event) => {
    if (event.layer === householdPoints) clearHouseholdPoints();
  });

  map.on("overlayadd", (event) => {
    // After the layer switcher has finished its click: switching the other choropleth off while it still
    // walks its checkboxes would have it switched straight back on.
    const mode = event.layer === householdToggle ? "households" : event.layer === lifecircleToggle ? "lifecircle" : null;
    if (mode) window.setTimeout(() => run(() => setThematic(mode)), 0);
    if (event.layer === facilityLayer) run(refreshThematic);
  });
  map.on("overlayremove", (event) => {
    const off = (event.layer === householdToggle && thematic.mode === "households") ||
      (event.layer === lifecircleToggle && thematic.mode === "lifecircle");
    if (off) run(() => setThematic(null));
  });
  document.getElementById("lifecircle-measure").addEventListener("change", (event) => {
    thematic.measure = event.target.value;
    run(refreshThematic);
  });

  // ---- versions and sets --------------------------------------------------------------------------------

  function versionLabel(v) {
    return "v" + v.id + " · " + (STATUS_NAMES[v.status] || v.status) + " · " + v.feature_count + " 个要素";
  }

  async function loadSets() {
    const body = await api("boundary-sets");
    state.sets = body.boundary_sets || [];
    const picker = document.getElementById("set-picker");
    picker.replaceChildren(...state.sets.map((s) => el("option", { value: s.name }, s.title || s.name)));
    document.getElementById("set-control").hidden = state.sets.length < 2;
    const preferred = state.sets.find((s) => s.published_version !== null && s.published_version !== undefined);
    state.set = preferred || state.sets[0] || null;
    if (state.set) picker.value = state.set.name;
  }

  async function loadVersions() {
    const picker = document.getElementById("version-picker");
    if (!state.set) {
      state.versions = [];
      picker.replaceChildren(el("option", { value: "" }, "—"));
      return;
    }
    const body = await api("boundary-sets/" + encodeURIComponent(state.set.name) + "/versions");
    state.versions = (body.versions || []).slice().sort((a, b) => b.id - a.id);
    picker.replaceChildren(...state.versions.map((v) => el("option", { value: String(v.id) }, versionLabel(v))));
    state.version = state.versions.find((v) => v.status === "published") || state.versions[0] || null;
    if (state.version) picker.value = String(state.version.id);
    showVersionBadge();
  }

  function showVersionBadge() {
    const badge = document.getElementById("version-status");
    if (!state.version) {
      badge.hidden = true;
      return;
    }
    badge.hidden = false;
    badge.className = "badge " + state.version.status;
    badge.textContent = STATUS_NAMES[state.version.status] || state.version.status;
  }

  // ---- search -------------------------------------------------------------------------------------------

  const searchInput = document.getElementById("search-input");
  const resultsBox = document.getElementById("search-results");
  let searchSeq = 0;

  async function search(text) {
    const query = text.trim();
    if (!query) return [];
    const params = new URLSearchParams({ q: query, limit: "10", crs: state.outputCrs });
    if (state.version) params.set("version", String(state.version.id));
    const page = await api("collections/boundaries/items?" + params);
    const features = page.features || [];
    // An exact code match first, then names that start with the text, then the rest in server order.
    const rank = (f) => (f.properties.code === query ? 0 : String(f.properties.name).startsWith(query) ? 1 : 2);
    return features.slice().sort((a, b) => rank(a) - rank(b));
  }

  function showResults(features) {
    resultsBox.replaceChildren();
    if (!features.length) {
      resultsBox.append(el("li", { class: "empty" }, "无结果 No match"));
    }
    for (const f of features) {
      const p = f.properties;
      resultsBox.append(el("li", {
        "data-code": p.code,
        onmousedown: (event) => {
          event.preventDefault();
          choose(String(p.code));
        },
      }, p.name + " ", el("span", { class: "code" }, (LEVEL_NAMES[p.level] || p.level).split(" ")[0] + " " + p.code)));
    }
    resultsBox.hidden = false;
  }

  function choose(code) {
    resultsBox.hidden = true;
    select(code, true);
  }

  searchInput.addEventListener("input", async () => {
    const seq = ++searchSeq;
    if (!searchInput.value.trim()) {
      resultsBox.hidden = true;
      return;
    }
    try {
      const features = await search(searchInput.value);
      if (seq === searchSeq) showResults(features);
    } catch (err) {
      showStatus("搜索失败 Search failed: " + err.message, true);
    }
  });
  searchInput.addEventListener("blur", () => window.setTimeout(() => { resultsBox.hidden = true; }, 150));
  document.getElementById("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    searchSeq++;
    try {
      const features = await search(searchInput.value);
      if (features.length) choose(String(features[0].properties.code));
      else showStatus("未找到 No match: " + searchInput.value, true);
    } catch (err) {
      showStatus("搜索失败 Search failed: " + err.message, true);
    }
  });

  // ---- start --------------------------------------------------------------------------------------------

  document.getElementById("set-picker").addEventListener("change", async (event) => {
    state.set = state.sets.find((s) => s.name === event.target.value) || null;
    await run(async () => {
      await loadVersions();
      await loadVersion();
    });
  });
  document.getElementById("version-picker").addEventListener("change", async (event) => {
    state.version = state.versions.find((v) => String(v.id) === event.target.value) || null;
    showVersionBadge();
    await run(loadVersion);
  });
  document.getElementById("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("token-input");
    state.token = input.value.trim();
    input.value = "";
    if (state.token) window.sessionStorage.setItem("gridmapToken", state.token);
    else window.sessionStorage.removeItem("gridmapToken");
    document.getElementById("token-box").hidden = true;
    showSignedIn();
    await run(start);
  });
  document.getElementById("signin-button").addEventListener("click", async () => {
    const box = document.getElementById("token-box");
    if (!state.token) {
      box.hidden = !box.hidden;
      if (!box.hidden) document.getElementById("token-input").focus();
      return;
    }
    state.token = "";
    window.sessionStorage.removeItem("gridmapToken");
    showSignedIn();
    await run(start);
  });

  async function run(step) {
    try {
      await step();
    } catch (err) {
      showStatus("出错 Error: " + err.message, true);
      document.body.dataset.error = err.message;
    }
  }

  function addBaseMap(tiles) {
    if (!tiles || !tiles.url || state.baseMap) return;
    const base = L.tileLayer(tiles.url, {
      attribution: tiles.attribution || "",
      maxZoom: 20,
      maxNativeZoom: 18,
      subdomains: tiles.subdomains || "abc",
    });
    base.addTo(map);
    state.baseMap = base;
    layerControl.addOverlay(base, "底图 Base map");
  }

  async function start() {
    state.config = await api("config");
    state.outputCrs = state.config.output_crs || "wgs84";
    addBaseMap(state.config.tiles);
    await loadSets();
    await loadVersions();
    await loadVersion();
  }

  // Exposed for tests and the browser console: the loaded layers and the code index.
  window.gridmapViewer = {
    map,
    layers,
    problemLayer,
    facilityLayer,
    householdPoints,
    thematic,
    setThematic,
    state,
    select,
    count: (level) => layers[level].getLayers().length,
    // Loading by view: which levels, their totals in the version, and a way to load the current view now.
    viewLoading,
    loadView: () => run(loadView),
    // For the layers other scripts add (incidents.js): the layer switcher, and WGS-84 to the map's datum.
    layerControl,
    mapLatLng,
  };

  updateLabelClasses();
  showSignedIn();
  run(start);
})();
