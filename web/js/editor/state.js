/* What the editor holds: the set and draft being edited, the features drawn (by id), the selection and the tool. */

export const state = {
  config: null,
  outputCrs: "wgs84", // the map's datum (the base map's); features are kept in WGS-84 and shifted to it for display
  sets: [],
  set: null,
  versions: [],
  draft: null, // the draft version being edited (JSON of GET .../versions/{id})
  level: "grid", // the level whose features are selected and edited
  byId: new Map(), // feature id -> { feature (WGS-84 GeoJSON, as the API gave it), layer, level }
  selected: [], // feature ids, in the order they were picked (at most two)
  tool: "select", // select, split, reshape or transfer
  editSeq: 0,
  canUndo: false,
  canRedo: false,
  busy: false, // an edit is under way: further edits wait
};

/** The path of the draft under /api/v1 (`suffix` appended), or null without a draft. */
export function draftPath(suffix = "") {
  if (!state.set || !state.draft) return null;
  return "boundary-sets/" + encodeURIComponent(state.set.name) + "/versions/" + state.draft.id + suffix;
}

/** The selected features' entries ({ feature, layer, level }), in the order picked. */
export function selectedEntries() {
  return state.selected.map((id) => state.byId.get(id)).filter(Boolean);
}
