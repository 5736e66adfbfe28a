/* What the viewer has loaded: the boundary set and version, and every drawn feature by code. */
import { collectionParams } from "./opening.js";

/** The levels of a boundary version. viewZoom: in a version loaded by view, the lowest zoom from which the
 * level is fetched (higher where the features are dense: see view-loading.js); cacheLimit: how many stay
 * loaded before the far ones are dropped. Communities are loaded by view only in a province (more than
 * VIEW_LOAD_THRESHOLD of them); a city's load whole. */
export const LEVELS = [
  { level: "community", collection: "communities", title: "社区 Communities", labelZoom: 14, viewZoom: 10, cacheLimit: 4000 },
  { level: "grid", collection: "grids", title: "网格 Grids", labelZoom: 16, viewZoom: 14, cacheLimit: 8000 },
  { level: "microgrid", collection: "microgrids", title: "微网格 Microgrids", labelZoom: 18, viewZoom: 15, cacheLimit: 12000 },
];
export const LEVEL_NAMES = { community: "社区 Community", grid: "网格 Grid", microgrid: "微网格 Microgrid" };

export const state = {
  config: null,
  sets: [],
  set: null,
  versions: [],
  version: null,
  outputCrs: "wgs84",
  byCode: new Map(), // code -> { feature, layer, level }
  highlighted: null,
  baseMap: null,
  referenceLoading: false, // the reference layers are asked for once per page
};

/** URL parameters of a collection request for the loaded version, in the map's datum. */
export function versionParams(extra) {
  return collectionParams(extra, state.outputCrs, state.version);
}
