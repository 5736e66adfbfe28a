/* What the desk knows: the server's capabilities, the signed-in role's queues and their latest answers, the
 * filters, and the incident open in the panel. Shared by the desk's modules; changed only through them. */

export const state = {
  caps: { params: new Set(), routes: new Map() },
  mapDatum: "wgs84", // the datum of the map's tiles (config.output_crs)
  tiles: null, // the configured base map (config.tiles)
  categories: new Map(), // code -> name
  grids: new Map(), // code -> { name, feature } in the map's datum
  queues: [], // the role's queues (queues.js)
  selected: "", // the id of the queue listed
  results: new Map(), // queue id -> { incidents, count, partial }
  filters: { category: "", status: "", grid: "", channel: "", since: "", before: "", sort: "newest", q: "" },
  open: null, // the incident in the panel (with its history)
  refreshes: 0, // how many times the queues were loaded (tests wait for it)
  pollMs: 15000,
};
