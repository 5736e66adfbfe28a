/* A view of the viewer as a URL hash and back: centre and zoom, the boundary version, the layers switched on, the
 * incident filters and the choropleth choices. The hash reads like a query string:
 *
 *   #map=15.25/27.460000/119.510000&version=3&layers=community,grid,areas&category=0101&status=reported
 *     &from=2025-01-01&to=2025-03-31&step=month&period=2025-02-01T00:00:00+08:00&measure=complete:15&rate=per1000
 *
 * Decoding keeps only what is well formed: a link edited by hand or cut short restores what it still says.
 */

const ZOOM_RANGE = [0, 24];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const LAYER_ID = /^[a-z][a-z0-9_-]*(:[\w.-]+)?$/;
const CODE = /^[\w.,:+-]{1,200}$/; // category and status codes (a status filter may list several)
const STEPS = ["week", "month"];
const RATES = ["count", "per1000"];
const FILTERS = ["category", "status", "from", "to", "step", "period"];

/** Decimals that place the centre within about a tenth of a pixel at `zoom`. */
export function centreDecimals(zoom) {
  return Math.min(7, Math.max(2, Math.ceil(zoom * Math.log10(2)) + 1));
}

/** The hash (without "#") of a view: { centre: [lat, lng], zoom, version, layers: [id], filters: {…}, measure,
 * rate }; empty filters are left out. */
export function encodeShareState(view) {
  const params = new URLSearchParams();
  const digits = centreDecimals(view.zoom);
  const zoom = Number(view.zoom.toFixed(2));
  params.set("map", zoom + "/" + view.centre[0].toFixed(digits) + "/" + view.centre[1].toFixed(digits));
  if (view.version !== null && view.version !== undefined) params.set("version", String(view.version));
  params.set("layers", (view.layers || []).join(","));
  for (const key of FILTERS) {
    const value = view.filters && view.filters[key];
    if (value) params.set(key, value);
  }
  if (view.measure) params.set("measure", view.measure);
  if (view.rate && view.rate !== "count") params.set("rate", view.rate);
  // Commas and colons read better unescaped, and both are allowed in a fragment.
  return params.toString().replaceAll("%2C", ",").replaceAll("%3A", ":").replaceAll("%2F", "/");
}

function decodeCentre(text) {
  const parts = (text || "").split("/").map(Number);
  if (parts.length !== 3 || !parts.every(Number.isFinite)) return {};
  const [zoom, lat, lng] = parts;
  if (zoom < ZOOM_RANGE[0] || zoom > ZOOM_RANGE[1] || Math.abs(lat) > 90 || Math.abs(lng) > 180) return {};
  return { centre: [lat, lng], zoom };
}

function wellFormed(key, value) {
  if (key === "from" || key === "to") return DATE.test(value);
  if (key === "step") return STEPS.includes(value);
  if (key === "period") return !Number.isNaN(Date.parse(value));
  return CODE.test(value);
}

/** The view a hash describes (with or without its "#"): the same shape as encodeShareState takes, holding only the
 * parts present and well formed (`layers` is null when the hash says nothing of them). */
export function decodeShareState(hash) {
  const params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  const view = { ...decodeCentre(params.get("map")), layers: null, filters: {} };
  const version = Number(params.get("version"));
  if (params.has("version") && Number.isInteger(version) && version > 0) view.version = version;
  if (params.has("layers")) view.layers = params.get("layers").split(",").filter((id) => LAYER_ID.test(id));
  for (const key of FILTERS) {
    const value = params.get(key);
    if (value && wellFormed(key, value)) view.filters[key] = value;
  }
  const measure = params.get("measure");
  if (measure && /^(complete|type):[\w-]+$/.test(measure)) view.measure = measure;
  const rate = params.get("rate");
  if (RATES.includes(rate)) view.rate = rate;
  return view;
}
