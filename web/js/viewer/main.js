/* The gridmap boundary viewer: communities, grids and microgrids of one boundary version on a Leaflet map,
 * with thematic maps, household points and incident layers. The page's entry module: it puts the layers in
 * the switcher, wires the parts together and starts.
 *
 * Everything comes from the same origin: /api/v1 for data, /vendor/ for Leaflet (through the page's import
 * map). No request leaves the server the page came from, except base-map tiles when the operator configured a
 * tile URL. When the tiles use GCJ-02 (Amap-style), the page asks the API for geometries already shifted to
 * GCJ-02 (`crs=gcj02`), so that boundaries line up with the tiles.
 *
 * What the first view does not need is imported later, so that the page loads fewer modules before drawing (only
 * the static imports are preloaded): what draws the incident layers, then the map's tools (map-tools.js), once the
 * first view is on screen; the statistics table on first use; leaflet.heat when the heat map is first switched on
 * (incident-state.js). Nor do the first requests wait for this module: first-requests.js starts them
 * while its imports are still on their way, up to what loading the chosen version asks for first.
 */
import { request } from "../api.js";
import { baseMapLayer } from "../base-map.js";
import "../leaflet-global.js"; // window.L, for the console and the benchmarks
import { loadReferenceLayers } from "../reference-layers.js";
import { showSignedIn, wireSignIn } from "./auth.js";
import { layers, select, updateLabels } from "./boundaries.js";
import { firstAnswer } from "./first-requests.js";
import { householdPoints } from "./household-details.js";
import { incidentDrawing, incidentsHook, startIncidents } from "./incidents.js";
import { addOverlays, layerControl, map, mapLatLng } from "./map.js";
import { problemLayer } from "./problems.js";
import "./search.js";
import { LEVELS, state } from "./state.js";
import { chooseSharedVersion, holdShareLink, restoreSharedView, wireShareLink } from "./share.js";
import { run } from "./status.js";
import { facilityLayer, householdToggle, lifecircleToggle, setThematic, thematic, watchThematicSwitches } from "./thematic.js";
import { loadSets, loadVersions } from "./versions.js";
import { loadVersion, loadView, viewLoading, watchLevelLayers } from "./view-loading.js";

function addBaseMap(tiles) {
  if (state.baseMap) return;
  const base = baseMapLayer(tiles);
  if (!base) return;
  base.addTo(map);
  state.baseMap = base;
  layerControl.addOverlay(base, "底图 Base map");
}

// Streets, river and the city's other reference layers, under the grids, each with its switch (once per page).
const referenceLayers = new Map(); // name -> Leaflet layer
async function addReferenceLayers() {
  if (state.referenceLoading) return;
  state.referenceLoading = true;
  for (const { info, layer } of await loadReferenceLayers(map, state.outputCrs)) {
    layer.addTo(map);
    layerControl.addOverlay(layer, info.title);
    referenceLayers.set(info.name, layer);
  }
  document.body.dataset.reference = "loaded";
}

let referenceReady = null;
let opening = true; // the first start takes the answers asked for with the page (first-requests.js)
async function start() {
  const ask = opening ? firstAnswer : request;
  opening = false;
  holdShareLink(); // the view the page opens with is the link's, restored once the version is loaded
  // The configuration and the boundary sets at once: neither waits on the other.
  const [config] = await Promise.all([ask("config"), loadSets(ask)]);
  state.config = config;
  state.outputCrs = state.config.output_crs || "wgs84";
  addBaseMap(state.config.tiles);
  referenceReady = referenceReady || run(addReferenceLayers);
  await loadVersions(ask);
  chooseSharedVersion();
  await loadVersion(ask);
  await restoreSharedView(referenceReady);
}

addOverlays([
  ...LEVELS.map((spec) => [layers[spec.level], spec.title]),
  [householdToggle, "住户数 Household count per grid"],
  [lifecircleToggle, "生活圈覆盖 Life circle"],
  [facilityLayer, "生活圈设施 Facilities"],
]);
watchLevelLayers();
watchThematicSwitches();
wireSignIn(() => run(start));
const statsTable = () => import("./stats-table.js");
document.getElementById("stats-button").addEventListener("click", () => run(async () => (await statsTable()).toggleStats()));
startIncidents();
wireShareLink(referenceLayers);

// The test hook, for tests, the benchmarks and the browser console (the modules share nothing through
// globals): the map, the layer registry, the loaded state and a few actions.
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
  layerControl,
  mapLatLng,
  referenceLayers,
  loadStats: () => run(async () => (await statsTable()).loadStats()),
};
window.gridmapIncidents = incidentsHook;

updateLabels();
showSignedIn();
// After the first view: what draws the incident layers (their switch is on the page from the start), then the tools.
run(start).then(() => window.requestAnimationFrame(() => run(async () => {
  await incidentDrawing();
  await import("./map-tools.js");
})));
