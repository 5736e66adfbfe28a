/* Reference layers to orient by (streets, the river, any layer a city imports: buildings, red stations), drawn
 * under the grids from GET /api/v1/reference-layers. Labels (street names) are DOM-built permanent tooltips,
 * shown only from LABEL_ZOOM (the page's container gets `show-reference-labels`). Small layers load whole once;
 * a layer of more than VIEW_LOAD_FEATURES features loads by view from VIEW_LOAD_ZOOM.
 */
import * as L from "leaflet";

import { request } from "./api.js";
import { el } from "./dom.js";
import { bboxParam, padBox } from "./view-math.js";

export const LABEL_ZOOM = 16;
const VIEW_LOAD_FEATURES = 5000;
const VIEW_LOAD_ZOOM = 15;
const PANE = "referencePane";

function labelFeature(info, feature, layer) {
  const label = feature.properties && feature.properties.label;
  if (!label) return;
  layer.bindTooltip(el("span", null, label), {
    permanent: true,
    direction: "center",
    className: "reference-label reference-label-" + info.kind,
    interactive: false,
  });
}

function mapBox(map) {
  const bounds = map.getBounds();
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
}

/** One reference layer as a Leaflet GeoJSON layer, loaded in the map's `datum` (now, or by view when large). */
function referenceLayer(map, info, datum) {
  const layer = L.geoJSON(null, {
    pane: PANE,
    interactive: false,
    style: () => info.style,
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, { ...info.style, pane: PANE, interactive: false }),
    onEachFeature: (feature, featureLayer) => labelFeature(info, feature, featureLayer),
  });
  const byView = info.feature_count > VIEW_LOAD_FEATURES;
  let loading = null;
  const load = async () => {
    const params = new URLSearchParams({ crs: datum });
    if (byView) {
      if (map.getZoom() < VIEW_LOAD_ZOOM) return layer.clearLayers();
      params.set("bbox", bboxParam(padBox(mapBox(map), 0.25), datum));
    }
    loading?.abort();
    loading = new AbortController();
    const answer = await request("reference-layers/" + encodeURIComponent(info.name) + "?" + params, { signal: loading.signal });
    layer.clearLayers();
    layer.addData(answer);
  };
  if (byView) map.on("moveend", () => map.hasLayer(layer) && load().catch(() => {}));
  layer.on("add", () => { if (byView) load().catch(() => {}); });
  return { info, layer, ready: byView ? Promise.resolve() : load() };
}

/** Every stored reference layer (in import order) as { info, layer }, each loaded; the caller adds them to the
 * map. They sit in a pane under the grids, and their labels show from LABEL_ZOOM. */
export async function loadReferenceLayers(map, datum) {
  if (!map.getPane(PANE)) map.createPane(PANE).style.zIndex = "405"; // above tiles (200), under the grids (410)
  const showLabels = () => map.getContainer().classList.toggle("show-reference-labels", map.getZoom() >= LABEL_ZOOM);
  map.on("zoomend", showLabels);
  showLabels();
  const { layers } = await request("reference-layers");
  const loaded = layers.map((info) => referenceLayer(map, info, datum));
  await Promise.all(loaded.map((entry) => entry.ready));
  return loaded.map(({ info, layer }) => ({ info, layer }));
}
