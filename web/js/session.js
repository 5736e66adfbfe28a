/* Who is signed in, as the pages know it.
 *
 * Signing in with a name and password starts a browser session: its id is in an HttpOnly cookie that no script
 * reads (the browser sends it with every request to this origin), and its CSRF token in the `gridmap_csrf`
 * cookie, which api.js sends back in X-CSRF-Token with every unsafe request. As an advanced option a bearer
 * token may be pasted instead: it is kept in sessionStorage (gone with the tab), never in the URL.
 * `who` is the answer of GET /api/v1/session (name, role, via), set by sign-in.js.
 */

const KEY = "gridmapToken";
const CSRF_COOKIE = "gridmap_csrf";
export const ROLES = ["viewer", "worker", "planner", "admin"];

let who = null;

/** The token of this tab, or "" when none was pasted; one an older page kept in localStorage moves here. */
export function token() {
  const legacy = window.localStorage.getItem(KEY);
  if (legacy) {
    window.sessionStorage.setItem(KEY, legacy);
    window.localStorage.removeItem(KEY);
  }
  return window.sessionStorage.getItem(KEY) || "";
}

/** Keep `value` as this tab's token ("" forgets it). */
export function setToken(value) {
  if (value) window.sessionStorage.setItem(KEY, value);
  else window.sessionStorage.removeItem(KEY);
}

/** The CSRF token of this browser's session, or "" without one. */
export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join("="));
  }
  return "";
}

/** The signed-in user ({ name, role, via }) or null. */
export function currentUser() {
  return who;
}

/** Remember who is signed in (null: nobody). */
export function setCurrentUser(user) {
  who = user || null;
}

/** Whether somebody is signed in: a session or a token the server named, or a pasted token not yet checked. */
export function signedIn() {
  return Boolean(who) || Boolean(token());
}

/** Whether the signed-in user has `role` or a higher one (viewer < worker < planner < admin). */
export function hasRole(role) {
  return Boolean(who) && ROLES.indexOf(who.role) >= ROLES.indexOf(role);
}
