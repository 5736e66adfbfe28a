/* The draft's edit history (GET .../edits) in the panel, the undo and redo buttons and their shortcuts. */
import { el } from "../dom.js";
import { listEdits } from "./draft-api.js";
import { historyLine } from "./geometry.js";
import { state } from "./state.js";

/** Reload the history and enable undo/redo as the draft allows. */
export async function refreshHistory() {
  if (!state.draft) {
    showHistory({ edit_seq: 0, can_undo: false, can_redo: false, edits: [] });
    return;
  }
  showHistory(await listEdits());
}

function showHistory(history) {
  state.editSeq = history.edit_seq;
  state.canUndo = Boolean(history.can_undo);
  state.canRedo = Boolean(history.can_redo);
  document.getElementById("undo").disabled = !state.canUndo;
  document.getElementById("redo").disabled = !state.canRedo;
  const edits = (history.edits || []).slice().reverse(); // newest first
  document.getElementById("history-list").replaceChildren(...(edits.length ? edits.map((edit) =>
    el("li", { class: "history-item " + (edit.state || ""), "data-seq": String(edit.seq), title: edit.why || "" },
      historyLine(edit), edit.state === "undone" ? el("span", { class: "undone-tag" }, " 已撤销 undone") : null))
    : [el("li", { class: "hint" }, "尚无编辑 No edits yet")]));
  document.body.dataset.editSeq = String(history.edit_seq);
}
