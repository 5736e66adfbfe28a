/* Downloads of tables the API makes (CSV, XLSX) from a link: with a pasted bearer token the file is fetched with
 * it, since a link carries none (a browser session's cookie goes with the link by itself). And files a page makes
 * itself (the map as PNG or PDF), saved the same way. */
import { el } from "./dom.js";
import { token } from "./session.js";

/** A click handler for a download link (`href` to the API, `download` the file's name). */
export async function downloadWithToken(event) {
  const bearer = token();
  if (!bearer) return;
  event.preventDefault();
  const link = event.currentTarget;
  const response = await fetch(link.href, { headers: { Authorization: "Bearer " + bearer } });
  if (!response.ok) throw new Error("HTTP " + response.status);
  saveBlob(await response.blob(), link.getAttribute("download"));
}

/** Save `blob` as a file called `name`, as a download link would. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const saved = el("a", { href: url, download: name });
  document.body.append(saved);
  saved.click();
  saved.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
