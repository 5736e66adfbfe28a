/* The status line under the map, and running a step whose failure is shown there. */
import { errorText } from "../api.js";

let statusTimer = null;

/** Show `message` for a moment (longer for an error). */
export function showStatus(message, isError) {
  const box = document.getElementById("status");
  box.textContent = message;
  box.classList.toggle("error", Boolean(isError));
  box.classList.add("visible");
  window.clearTimeout(statusTimer);
  statusTimer = window.setTimeout(() => box.classList.remove("visible"), isError ? 6000 : 1800);
}

/** Run `step`; a failure is shown and kept in document.body.dataset.error. */
export async function run(step) {
  try {
    await step();
  } catch (err) {
    showStatus(errorText(err), true);
    document.body.dataset.error = errorText(err);
  }
}
