/* The live panels' data: GET .../draft-status (the check report, the diff with geometry, the impact) fetched
 * after every edit, undo and redo, debounced, the previous request aborted. It never holds up editing: edits go
 * through their own queue (edits.js) and a status that comes back after a newer edit is dropped.
 *
 * body[data-status-loaded] counts the statuses shown, body[data-status-seq] is the draft's edit sequence the last
 * one describes. */
import { run } from "../viewer/status.js";
import { draftStatus } from "./draft-api.js";
import { showCheck } from "./check-panel.js";
import { showDiff } from "./diff-panel.js";
import { showImpact } from "./impact-panel.js";
import { state } from "./state.js";

const DEBOUNCE_MS = 400;

let timer = null;
let controller = null;

/** Fetch the status after a short pause (edits in quick succession ask once). */
export function scheduleStatus() {
  window.clearTimeout(timer);
  document.body.dataset.statusPending = "true";
  timer = window.setTimeout(() => run(refreshStatus), DEBOUNCE_MS);
}

/** Fetch the status now and show it in the panels (empty panels without a draft). */
export async function refreshStatus() {
  window.clearTimeout(timer);
  if (controller) controller.abort();
  if (!state.draft) {
    showAll(null);
    delete document.body.dataset.statusPending;
    return;
  }
  const mine = new AbortController();
  controller = mine;
  const draftId = state.draft.id;
  let status;
  try {
    status = await draftStatus(mine.signal);
  } catch (err) {
    if (mine.signal.aborted) return;
    throw err;
  } finally {
    if (controller === mine) {
      controller = null;
      delete document.body.dataset.statusPending;
    }
  }
  if (!state.draft || state.draft.id !== draftId) return; // another draft was chosen meanwhile
  showAll(status);
  document.body.dataset.statusSeq = String(status.draft.edit_seq);
  document.body.dataset.statusLoaded = String(Number(document.body.dataset.statusLoaded || 0) + 1);
}

function showAll(status) {
  showCheck(status && status.check);
  showDiff(status && status.diff);
  showImpact(status && status.impact);
}

document.addEventListener("gridmap:edited", scheduleStatus);
