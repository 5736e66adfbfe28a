/* The conflict dialog: another planner changed a feature this edit was based on (412). It names who changed what,
 * shows their geometry, and offers to reload the features so that the next edit starts from theirs. */
import { el } from "../dom.js";
import { run } from "../viewer/status.js";
import { conflictLine } from "./geometry.js";
import { clearFeatures, loadView } from "./layers.js";
import { refusalLayer } from "./refusal.js";

const dialog = document.getElementById("conflict-dialog");

/** Open the dialog for a 412 problem+json body (its `conflicts`). */
export function showConflict(problem) {
  const conflicts = problem.conflicts || [];
  document.getElementById("conflict-list").replaceChildren(
    ...(conflicts.length ? conflicts.map((c) => el("li", null, conflictLine(c)))
      : [el("li", null, problem.detail || problem.title || "")]));
  refusalLayer.clearLayers();
  const theirs = conflicts.filter((c) => c.geometry).map((c) => ({ type: "Feature", geometry: c.geometry, properties: {} }));
  if (theirs.length) refusalLayer.addData(theirs);
  if (!dialog.open) dialog.showModal();
}

document.getElementById("conflict-reload").addEventListener("click", () => {
  dialog.close();
  refusalLayer.clearLayers();
  clearFeatures();
  run(loadView);
});
document.getElementById("conflict-close").addEventListener("click", () => dialog.close());
