/* The page's messages: a line or several in a box, with its kind (error) and the HTTP status behind it. */
import { el } from "../dom.js";

/** Show or hide the element `id`. */
export function show(id, visible) {
  document.getElementById(id).hidden = !visible;
}

/** Put `text` (a string or lines) in the box `id`, hidden when there is nothing to say. */
export function message(id, text, kind, status) {
  const box = document.getElementById(id);
  box.replaceChildren(...(Array.isArray(text) ? text.map((line) => el("span", null, line)) : [text || ""]));
  box.className = "message " + (kind || "");
  box.hidden = !text || (Array.isArray(text) && !text.length);
  if (status) box.dataset.status = String(status);
  else delete box.dataset.status;
}
