/* The signed-in user's bearer token: kept in sessionStorage (gone with the tab), never in the URL. */

const KEY = "gridmapToken";

/** The token of this tab, or "" when nobody is signed in; one an older page kept in localStorage moves here. */
export function token() {
  const legacy = window.localStorage.getItem(KEY);
  if (legacy) {
    window.sessionStorage.setItem(KEY, legacy);
    window.localStorage.removeItem(KEY);
  }
  return window.sessionStorage.getItem(KEY) || "";
}

/** Keep `value` as this tab's token ("" signs out). */
export function setToken(value) {
  if (value) window.sessionStorage.setItem(KEY, value);
  else window.sessionStorage.removeItem(KEY);
}
