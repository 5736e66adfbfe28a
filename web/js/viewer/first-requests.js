/* The first view's first requests, the page's configuration and its boundary sets, started as soon as this small
 * module has loaded: index.html lists it before main.js, whose modules are still on their way then. Only the
 * viewer's first start takes these answers (firstAnswer); later starts (after signing in or out) ask again.
 */
import { request } from "../api.js";

// Quiet, and never an unhandled rejection: a failure is the taker's, who asks again (and that request shows it).
const started = new Map(["config", "boundary-sets"].map((path) => [path, request(path, { quiet: true })]));
for (const answer of started.values()) answer.catch(() => {});

/** The answer to GET `path`: the one asked for with the page, once (asked again when it failed), else a new request. */
export function firstAnswer(path) {
  const answer = started.get(path);
  started.delete(path);
  return answer ? answer.catch(() => request(path)) : request(path);
}
