/* Page content as DOM nodes, never HTML strings: the one element builder the pages share. */

/** An element: `attrs` set as attributes (`class` as the class name, `on…` as event listeners, `style`
 * through the CSSOM, which the Content-Security-Policy allows where a style attribute is refused), then the
 * children appended (arrays flattened), strings as text; null and undefined children are skipped. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style") node.style.cssText = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A definition list of [term, value] rows (values as text or nodes). */
export function factsList(rows, attrs) {
  const dl = el("dl", attrs);
  for (const [term, value] of rows) dl.append(el("dt", null, term), el("dd", null, value));
  return dl;
}

/** A legend row: a colour swatch (or `kind` "dot") and its label. */
export function swatchRow(colour, label, kind) {
  return el("li", null, el("span", { class: kind || "swatch", style: "background:" + colour }), label);
}
