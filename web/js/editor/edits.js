/* Sending an edit and showing what came of it, one edit at a time (a second waits for the first).
 *
 * Accepted: the features the answer holds replace those drawn (a shared vertex moves in every neighbour), the
 * history is reloaded. Refused with 422: the features are drawn again as they are kept, and the refusal is
 * explained on the map (refusal.js). 412: the conflict dialog names who changed what (conflict.js).
 * body[data-edits] counts finished attempts, body[data-last-edit] says how the last one ended. */
import { ApiError } from "../api.js";
import { showStatus } from "../viewer/status.js";
import { showConflict } from "./conflict.js";
import { sendEdit, stepHistory } from "./draft-api.js";
import { ifMatch, OP_NAMES } from "./geometry.js";
import { refreshHistory } from "./history.js";
import { redraw, replaceFeatures } from "./layers.js";
import { clearRefusal, showRefusal } from "./refusal.js";

let queue = Promise.resolve();

/** Send operation `body` ({ op, ... }) based on the revisions of `basedOn` (GeoJSON features as drawn);
 * `restore` lists the ids of features the page changed on screen only, drawn again as kept when refused. */
export function applyEdit(body, basedOn, restore = []) {
  return enqueue(() => sendEdit(body, ifMatch(basedOn)), OP_NAMES[body.op] || body.op, restore);
}

/** Undo ("undo") or redo ("redo") the draft's last edit. */
export function stepEdit(direction) {
  return enqueue(() => stepHistory(direction), direction === "undo" ? "撤销 Undo" : "重做 Redo", []);
}

function enqueue(send, label, restore) {
  const attempt = queue.then(() => settle(send, label, restore));
  queue = attempt.catch(() => undefined);
  return attempt;
}

async function settle(send, label, restore) {
  clearRefusal();
  document.body.dataset.editing = "true";
  let outcome = "error";
  try {
    const answer = await send();
    replaceFeatures(answer.features || [], answer.deleted || []);
    const notes = (answer.notes || []).join("；");
    showStatus(label + " ✓" + (notes ? " · " + notes : ""));
    outcome = "applied";
    document.dispatchEvent(new CustomEvent("gridmap:edited", { detail: answer }));
  } catch (err) {
    redraw(restore);
    if (!(err instanceof ApiError) || ![409, 412, 422].includes(err.status)) {
      showStatus("出错 Error: " + err.message, true);
      throw err;
    }
    if (err.status === 412) {
      showConflict(err.problem || {});
      outcome = "conflict";
    } else {
      showRefusal(label, err.problem || {});
      outcome = "refused";
    }
  } finally {
    delete document.body.dataset.editing;
    document.body.dataset.lastEdit = outcome;
    document.body.dataset.edits = String(Number(document.body.dataset.edits || 0) + 1);
  }
  await refreshHistory();
}
