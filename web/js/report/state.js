/* What the reporting page holds: the point, where it falls, the photos and the report's keys. */

function randomKey() {
  // crypto.randomUUID needs a secure context (HTTPS or localhost); getRandomValues works everywhere.
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

/** The keys of a new report: its Idempotency-Key, and the reporter key (64 hex digits; the server takes
 * 16 to 200 characters) with which the resident may later rate it. */
export function newDraft() {
  return { idempotencyKey: randomKey(), reporterKey: (randomKey() + randomKey()).replace(/-/g, "") };
}

export const state = {
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
};
