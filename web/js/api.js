/* The one fetch wrapper of the pages: JSON in and out, the tab's bearer token, problem+json errors, abort signals.
 *
 * Paths not starting with "/" are under /api/v1. A refused request throws an ApiError carrying the status,
 * the RFC 7807 problem and Retry-After; a 401 also fires `gridmap:unauthorised` on window (the viewer then
 * offers its sign-in box) unless the request is `quiet`. An unsafe request (not GET or HEAD) carries the browser
 * session's CSRF token (session.js). A request that never got an answer rejects with the browser's TypeError, and an
 * aborted one with its AbortError, as fetch does.
 */
import { csrfToken, token } from "./session.js";

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && (problem.detail || problem.title)) || "HTTP " + status);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

/** The answer's JSON body. `anonymous` sends neither token nor cookies (public forms whose answer must not depend
 * on them); `json` is sent as a JSON body, `body` (FormData) as it is; `quiet` fires no `gridmap:unauthorised`. */
export async function request(path, { method = "GET", signal, headers, json, body, anonymous = false, quiet = false } = {}) {
  const sent = { Accept: "application/json", ...headers };
  const bearer = anonymous ? "" : token();
  if (bearer) sent.Authorization = "Bearer " + bearer;
  const csrf = anonymous || method === "GET" || method === "HEAD" ? "" : csrfToken();
  if (csrf) sent["X-CSRF-Token"] = csrf;
  if (json !== undefined) sent["Content-Type"] = "application/json";
  const response = await fetch(path.startsWith("/") ? path : API + "/" + path, {
    method, headers: sent, signal, body: json !== undefined ? JSON.stringify(json) : body,
    credentials: anonymous ? "omit" : "same-origin",
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && !quiet) window.dispatchEvent(new CustomEvent("gridmap:unauthorised"));
    throw new ApiError(response.status, answer, response.headers.get("Retry-After"));
  }
  return answer;
}

/** A link the API made (with whatever host name the server saw) as a path on this origin. */
export function sameOrigin(href) {
  const url = new URL(href, window.location.href);
  return url.pathname + url.search;
}

/** The features of a paged collection answer, following `next` links until `limit` features (all by default). */
export async function fetchFeatures(url, { signal, limit = Infinity } = {}) {
  const features = [];
  let next = url;
  while (next && features.length < limit) {
    const page = await request(next, { signal });
    features.push(...page.features);
    const link = (page.links || []).find((candidate) => candidate.rel === "next");
    next = link ? sameOrigin(link.href) : null;
  }
  return { features, complete: !next };
}
