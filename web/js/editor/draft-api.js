/* The API calls of the editor: sets, versions and drafts, features by view, edits, undo/redo, the draft's status
 * (check, diff, impact), publish.
 *
 * Every edit answers the same way (200 with the features it changed), and is refused in one of three ways the
 * page explains: 422 (the edit would break the coverage, or cannot be applied), 412 (someone else changed a
 * feature first) and 428 (no If-Match: a page bug). Those arrive as the ApiError of ../api.js, with the problem. */
import { API, fetchFeaturePages, fetchFeatures, request } from "../api.js";
import { draftPath, state } from "./state.js";

const PAGE_SIZE = 1000;
const COLLECTIONS = { community: "communities", grid: "grids", microgrid: "microgrids" };

/** The boundary sets. */
export async function listSets() {
  return (await request("boundary-sets")).boundary_sets || [];
}

/** The versions of the chosen set, newest first. */
export async function listVersions() {
  const body = await request("boundary-sets/" + encodeURIComponent(state.set.name) + "/versions");
  return (body.versions || []).slice().sort((a, b) => b.id - a.id);
}

/** Start a draft from version `baseId` (the published one): the new draft's JSON. */
export async function startDraft(baseId, reason) {
  const path = "boundary-sets/" + encodeURIComponent(state.set.name) + "/versions/" + baseId + "/drafts";
  return request(path, { method: "POST", json: { reason } });
}

/** The features of `level` of the draft, in WGS-84: those meeting `bbox` (the API's "w,s,e,n" WGS-84
 * parameter; null: all of them), with outlines simplified within `simplify` metres for display (null: full
 * resolution, as edited). */
export async function featuresOf(level, { bbox = null, simplify = null, signal } = {}) {
  return fetchFeatures(featuresUrl(level, bbox, simplify), { signal });
}

/** As featuresOf for a view: the pages fetched a few at a time, and none when more than `budget` features meet
 * `bbox` (then `overBudget` is true). */
export async function viewFeaturesOf(level, { bbox, simplify = null, budget, signal }) {
  return fetchFeaturePages(featuresUrl(level, bbox, simplify), { signal, pageSize: PAGE_SIZE, budget });
}

function featuresUrl(level, bbox, simplify) {
  const params = new URLSearchParams({ version: String(state.draft.id), limit: String(PAGE_SIZE) });
  if (bbox) params.set("bbox", bbox);
  if (simplify) params.set("simplify", String(simplify));
  return API + "/collections/" + COLLECTIONS[level] + "/items?" + params;
}

/** The draft's edit history: { edit_seq, can_undo, can_redo, edits }. */
export async function listEdits() {
  return request(draftPath("/edits"));
}

/** Apply one operation (`body`: { op, ... }) based on the revisions in `ifMatchHeader`. */
export async function sendEdit(body, ifMatchHeader) {
  return request(draftPath("/edits"), { method: "POST", json: body, headers: { "If-Match": ifMatchHeader } });
}

/** Undo ("undo") or redo ("redo") the draft's last edit. */
export async function stepHistory(direction) {
  return request(draftPath("/edits/" + direction), { method: "POST", json: {} });
}

/** The live panels' data: the draft's check report, its diff (with geometry) and its impact. */
export async function draftStatus(signal) {
  return request(draftPath("/draft-status"), { signal });
}

/** Publish the draft with `reason`: the published version's JSON (422 with the check report when it fails). */
export async function publishDraft(reason) {
  return request(draftPath("/publish"), { method: "POST", json: { reason } });
}
