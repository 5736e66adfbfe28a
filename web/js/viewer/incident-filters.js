/* The incident filters (category, status, dates) and the time slider that can play the periods in turn. */
import { request } from "../api.js";
import { el } from "../dom.js";
import { addDays, chinaStart, clipPeriods, periodsBetween } from "../periods.js";
import { FINISHED_STATUSES, incidentState as state, OPEN_STATUSES, STATUS_NAMES } from "./incident-state.js";

const PLAY_MS = 1200; // how long each period stays on screen while playing
let playTimer = null;
let refresh = () => undefined; // draws the layers again: set by wireFilters

const field = (id) => document.getElementById(id);

/** The filters as URL parameters: the period on the slider, or else the dates chosen. */
export function filterParams() {
  const params = new URLSearchParams();
  const category = field("incident-category").value;
  const status = field("incident-status").value;
  if (category) params.set("category", category);
  if (status) params.set("status", status);
  const period = currentPeriod();
  const from = field("incident-from").value;
  const to = field("incident-to").value;
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
  return state.periods.length ? state.periods[Number(field("incident-slider").value)] || null : null;
}

/** The slider's periods for the filters (from the extent of the incidents they match, cut to the dates chosen so
 * that the frames add up to the filter's count), keeping the one shown. */
export async function loadPeriods() {
  const step = field("incident-step").value;
  const slider = field("incident-slider");
  const previous = currentPeriod();
  stopPlaying();
  state.periods = [];
  if (step) {
    const params = new URLSearchParams(filterParams());
    const extent = await request("incident-map/extent?" + params);
    if (extent.first) {
      const periods = periodsBetween(Date.parse(extent.first), Date.parse(extent.last), step);
      state.periods = clipPeriods(periods, field("incident-from").value, field("incident-to").value);
    }
  }
  slider.max = String(Math.max(0, state.periods.length - 1));
  const kept = previous ? state.periods.findIndex((p) => p.since === previous.since) : -1;
  slider.value = String(kept >= 0 ? kept : 0);
  slider.disabled = state.periods.length < 2;
  field("incident-play").disabled = state.periods.length < 2;
  showPeriod();
}

function showPeriod() {
  const period = currentPeriod();
  field("incident-period-label").textContent = period ? period.label : field("incident-step").value
    ? "无事件 No incidents" : "全部时间 All time";
  document.body.dataset.incidentsPeriod = period ? period.since + "/" + period.before : "";
}

function startPlaying() {
  if (state.periods.length < 2) return;
  const slider = field("incident-slider");
  if (Number(slider.value) >= state.periods.length - 1) slider.value = "0";
  state.playing = true;
  field("incident-play").textContent = "⏸ 暂停 Pause";
  showPeriod();
  refresh();
}

/** Stop playing the periods. */
export function stopPlaying() {
  state.playing = false;
  window.clearTimeout(playTimer);
  field("incident-play").textContent = "▶ 播放 Play";
}

/** Called after each render while playing: the next period after a pause, stopping after the last. */
export function nextFrame() {
  window.clearTimeout(playTimer);
  playTimer = window.setTimeout(() => {
    if (!state.playing) return;
    const slider = field("incident-slider");
    const next = Number(slider.value) + 1;
    if (next >= state.periods.length) {
      stopPlaying();
      return;
    }
    slider.value = String(next);
    showPeriod();
    refresh();
  }, PLAY_MS);
}

/** Fill the category picker from the Open311 services. */
export async function loadCategories() {
  const services = await request("/open311/v2/services.json");
  const picker = field("incident-category");
  for (const s of services) {
    state.categories.set(String(s.service_code), s.service_name);
    picker.append(el("option", { value: s.service_code }, s.service_name));
  }
}

/** Wire the filters: `changed` on a filter change (the periods depend on it), `moved` on the slider, and
 * `draw` to draw the layers for the next period while playing. */
export function wireFilters({ changed, moved, draw }) {
  refresh = draw;
  field("incident-status").replaceChildren(
    el("option", { value: "" }, "全部 All"),
    el("option", { value: OPEN_STATUSES.join(",") }, "未办结 Open"),
    el("option", { value: FINISHED_STATUSES.join(",") }, "已办结 Finished"),
    ...Object.entries(STATUS_NAMES).map(([value, name]) => el("option", { value }, name)),
  );
  for (const id of ["incident-category", "incident-status", "incident-from", "incident-to", "incident-step"]) {
    field(id).addEventListener("change", changed);
  }
  field("incident-slider").addEventListener("input", () => {
    stopPlaying();
    showPeriod();
    moved();
  });
  field("incident-play").addEventListener("click", () => (state.playing ? stopPlaying() : startPlaying()));
}
