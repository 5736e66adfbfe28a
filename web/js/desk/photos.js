/* An incident's photos: thumbnails, and the full-size photo in an overlay on a click.
 *
 * Photos are personal data behind a staff account, so an <img src> cannot fetch them when the account is a
 * pasted token (a header no image request carries): each is fetched with the tab's credentials and shown from
 * a blob: URL, released when the panel shows another incident.
 */
import { el } from "../dom.js";
import { token } from "../session.js";

let shownUrls = [];

async function photoUrl(path) {
  const bearer = token();
  const response = await fetch(path, {
    headers: bearer ? { Authorization: "Bearer " + bearer } : {},
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error("HTTP " + response.status);
  const url = URL.createObjectURL(await response.blob());
  shownUrls.push(url);
  return url;
}

/** Release the blob: URLs of the photos shown before. */
export function forgetPhotos() {
  for (const url of shownUrls) URL.revokeObjectURL(url);
  shownUrls = [];
}

function showFull(url, caption) {
  const overlay = el("div", { class: "photo-overlay", role: "dialog", "aria-label": caption },
    el("img", { src: url, alt: caption, class: "photo-full" }),
    el("button", { type: "button", class: "photo-close" }, "关闭 Close"));
  const close = () => overlay.remove();
  overlay.addEventListener("click", close);
  document.addEventListener("keydown", (event) => event.key === "Escape" && close(), { once: true });
  document.body.append(overlay);
}

/** A list of thumbnails for the photo paths, each loading on its own; a click shows it full size. */
export function photoStrip(paths) {
  if (!paths.length) return el("p", { class: "hint" }, "无照片 No photos");
  const strip = el("ul", { class: "photo-strip" });
  paths.forEach((path, index) => {
    const caption = "照片 Photo " + (index + 1);
    const button = el("button", { type: "button", class: "photo-thumb", "aria-label": caption, disabled: "" }, "…");
    strip.append(el("li", null, button));
    photoUrl(path).then((url) => {
      button.replaceChildren(el("img", { src: url, alt: caption }));
      button.removeAttribute("disabled");
      button.addEventListener("click", () => showFull(url, caption));
    }, (err) => {
      button.textContent = "无法加载 Not loaded (" + err.message + ")";
    });
  });
  return strip;
}

/** An incident's photos side by side: before (the report's, a verification's) and after the fix, from its
 * `photo_details` (an older server's `photos` all count as before). */
export function beforeAfter(incident) {
  const details = incident.photo_details || (incident.photos || []).map((url) => ({ url, kind: "before" }));
  const column = (kind, title) => el("div", { class: "photo-column", "data-kind": kind }, el("h4", null, title),
    photoStrip(details.filter((photo) => photo.kind === kind).map((photo) => photo.url)));
  return el("div", { class: "before-after", id: "incident-photos" },
    column("before", "处置前 Before"), column("after", "处置后 After"));
}
