/* What the viewer opens and what it asks for first: the boundary set and version it chooses, and the requests that
 * loading a version starts with (a level's count and extent, or its first page). Pure choices and paths, shared by
 * the viewer (versions.js, view-loading.js) and by first-requests.js, which makes the same requests before the
 * viewer's modules have arrived: the same functions, so the same paths. Paths are under /api/v1 (as api.js's
 * request takes a path without a leading "/").
 */
import { loadPlan } from "../view-math.js";

export const PAGE_SIZE = 1000; // a level loaded whole comes in pages of this many features

/** How the page was asked to load versions (its `?load=`): "all" whole, "view" by view, else "auto" (by size). */
export function loadMode(search) {
  return new URLSearchParams(search).get("load") || "auto";
}

/** The set the viewer opens: the first with a published version, else the first; null when there is none. */
export function openedSet(sets) {
  return sets.find((s) => s.published_version !== null && s.published_version !== undefined) || sets[0] || null;
}

/** The path listing the versions of `set`. */
export function versionsPath(set) {
  return "boundary-sets/" + encodeURIComponent(set.name) + "/versions";
}

/** The versions of a set, newest first. */
export function newestFirst(versions) {
  return versions.slice().sort((a, b) => b.id - a.id);
}

/** The version the viewer opens among `versions` (newest first): the one a link names (`linked`, an id) when the
 * set has it, else the published one, else the newest; null when there is none. */
export function openedVersion(versions, linked) {
  return versions.find((v) => v.id === linked) || versions.find((v) => v.status === "published") || versions[0] || null;
}

/** URL parameters of a collection request for `version` (none: the published one), geometries in datum `crs`. */
export function collectionParams(extra, crs, version) {
  const params = new URLSearchParams({ ...extra, crs });
  if (version) params.set("version", String(version.id));
  return params;
}

/** The path of a collection's description: its number of features and their extent. */
export function describePath(collection, params) {
  return "collections/" + collection + "?" + params;
}

/** The path of a collection's features. */
export function itemsPath(collection, params) {
  return "collections/" + collection + "/items?" + params;
}

/** The path of the first page of a level loaded whole. */
export function firstPagePath(collection, crs, version) {
  return itemsPath(collection, collectionParams({ limit: String(PAGE_SIZE) }, crs, version));
}

/** Whether loading `version` counts a level first (its size then decides whether it loads by view) rather than
 * fetching it whole at once (`mode`: loadMode's; `viewZoom`: the level's, see state.js's LEVELS). */
export function countsFirst({ mode, viewZoom, version }) {
  return loadPlan({ mode, viewZoom, versionFeatures: version ? version.feature_count : undefined }) === "count";
}
