/* Keeping the queues live: reload them every state.pollMs while the tab is visible (and at once when it becomes
 * visible again), never two loads at a time. */
import { state } from "./state.js";

let timer = null;
let loading = null;
let load = async () => undefined;

/** Reload now, or join the load already running. */
export function refreshNow() {
  if (!loading) loading = load().finally(() => (loading = null));
  return loading;
}

function schedule() {
  window.clearTimeout(timer);
  timer = window.setTimeout(async () => {
    if (document.visibilityState === "visible") await refreshNow().catch(() => null);
    schedule();
  }, state.pollMs);
}

/** Poll with `reload` from now on (replacing any earlier one); `stopPolling` stops. */
export function startPolling(reload) {
  load = reload;
  schedule();
}

/** Stop polling (signed out). */
export function stopPolling() {
  window.clearTimeout(timer);
  load = async () => undefined;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && timer !== null) refreshNow().catch(() => null);
});
