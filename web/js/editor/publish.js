/* Publishing the draft (with a reason; a draft failing the full check is refused with its report, shown in the
 * dialog). The live panels before it are draft-status.js's; "刷新 Refresh" asks for them at once. */
import { ApiError } from "../api.js";
import { el } from "../dom.js";
import { run, showStatus } from "../viewer/status.js";
import { publishDraft } from "./draft-api.js";
import { refreshStatus } from "./draft-status.js";
import { problemText } from "./geometry.js";
import { state } from "./state.js";

const dialog = document.getElementById("publish-dialog");
const listeners = [];

/** Call `handler(version)` once a draft is published. */
export function onPublished(handler) {
  listeners.push(handler);
}

function reportList(report) {
  const problems = (report && report.problems) || [];
  return el("ul", { class: "report-list" }, problems.map((p) => el("li", { class: p.severity }, problemText(p))));
}

document.getElementById("publish").addEventListener("click", () => {
  if (!state.draft) return;
  document.getElementById("publish-report").replaceChildren();
  document.getElementById("publish-reason").value = "";
  dialog.showModal();
});
document.getElementById("publish-cancel").addEventListener("click", () => dialog.close());
document.getElementById("publish-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const reason = document.getElementById("publish-reason").value.trim();
  run(async () => {
    try {
      const published = await publishDraft(reason);
      dialog.close();
      showStatus("已发布 Published v" + published.id);
      document.body.dataset.published = String(published.id);
      for (const handler of listeners) await handler(published);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.problem) throw err;
      document.getElementById("publish-report").replaceChildren(
        el("p", { class: "refusal-title" }, "未发布 Not published: " + err.message),
        reportList(err.problem.report || err.problem));
    }
  });
});
document.getElementById("diff-refresh").addEventListener("click", () => run(refreshStatus));
