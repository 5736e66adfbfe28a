/* The one fetch wrapper of the pages: JSON in and out, the tab's bearer token, problem+json errors, abort signals.
 *
 * Paths not starting with "/" are under /api/v1. A refused request throws an ApiError carrying the status,
 * the RFC 7807 problem and Retry-After, with a message in Chinese and English (refusalMessage); a 401 also fires
 * `gridmap:unauthorised` on window (the viewer then offers its sign-in box) unless the request is `quiet`. An unsafe request (not GET or HEAD) carries the browser
 * session's CSRF token (session.js). A request that never got an answer rejects with the browser's TypeError, and an
 * aborted one with its AbortError, as fetch does.
 */
import { csrfToken, token } from "./session.js";
import { laterPageOffsets } from "./view-math.js";

export const API = "/api/v1";

/** What a refusal means, in Chinese, by HTTP status (the problem's own title and detail are in English). */
const STATUS_TITLES_ZH = {
  400: "请求有误",
  401: "需要登录",
  403: "无权操作",
  404: "未找到",
  405: "不支持此操作",
  409: "与现有数据冲突",
  410: "已不存在",
  413: "内容过大",
  415: "格式不支持",
  422: "输入有误",
  423: "已锁定",
  429: "请求过于频繁，请稍后再试",
  500: "服务器出错",
  502: "网关出错",
  503: "服务暂不可用",
  504: "服务器超时",
};

/** A refusal's message for the user: the Chinese meaning of its status, then the problem's English detail (or
 * title), e.g. "未找到：No boundary version 9". */
export function refusalMessage(status, problem) {
  const zh = STATUS_TITLES_ZH[status] || (status >= 500 ? "服务器出错" : "请求被拒绝");
  const english = (problem && (problem.detail || problem.title)) || "HTTP " + status;
  return zh + "：" + english;
}

/** Any failure of a request as the pages show it, Chinese first: a refusal (ApiError) as its message, a request
 * that got no answer as a network error. */
export function errorText(err) {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return "网络错误 Network error: " + err.message;
  return "出错 Error: " + err.message;
}

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(refusalMessage(status, problem));
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

/** The features of a paged collection answer, following `next` links until `limit` features (all by default);
 * `ask` makes each request (request by default; the viewer's opening takes answers already asked for). */
export async function fetchFeatures(url, { signal, limit = Infinity, ask = request } = {}) {
  const features = [];
  let next = url;
  while (next && features.length < limit) {
    const page = await ask(next, { signal });
    features.push(...page.features);
    const link = (page.links || []).find((candidate) => candidate.rel === "next");
    next = link ? sameOrigin(link.href) : null;
  }
  return { features, complete: !next };
}

/** The features of a paged collection answer (`url` asks for pages of `pageSize`), the later pages fetched
 * `parallel` at a time once the first has told how many match; none beyond the first page when more than `budget`
 * match (`overBudget`: too many to show, the view should be closer). */
export async function fetchFeaturePages(url, { signal, pageSize, budget = Infinity, parallel = 3 }) {
  const first = await request(url, { signal });
  const matched = first.numberMatched ?? first.features.length;
  if (matched > budget) return { features: [], matched, overBudget: true };
  const pages = [first];
  const offsets = laterPageOffsets(matched, pageSize);
  const fetchNext = async () => {
    while (offsets.length) {
      const next = new URL(url, window.location.href);
      next.searchParams.set("offset", String(offsets.shift()));
      pages.push(await request(next.pathname + next.search, { signal }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, offsets.length) }, fetchNext));
  return { features: pages.flatMap((page) => page.features), matched, overBudget: false };
}
