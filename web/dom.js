/* The one DOM helper the pages share (viewer, incident layer, report page). Exposed as window.gridmapDom. */
(function () {
  "use strict";

  /** An element: `attrs` set as attributes (`class` as the class name, `on…` as event listeners, `style`
   * through the CSSOM, which the Content-Security-Policy allows where a style attribute is refused), then the
   * children appended, strings as text; null and undefined children are skipped. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "style") node.style.cssText = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  window.gridmapDom = { el };
})();
