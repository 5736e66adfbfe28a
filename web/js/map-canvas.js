/* The map as the browser shows it, redrawn onto a canvas: same-origin tiles, Leaflet's SVG and canvas layers, marker
 * icons and labels, each where the page laid it out, pane by pane in their stacking order. Tiles from another host
 * are left out: drawing them would taint the canvas and forbid saving it.
 */

function paneDepth(node) {
  const pane = node.closest(".leaflet-pane");
  return pane ? Number(window.getComputedStyle(pane).zIndex) || 0 : 0;
}

function sameOrigin(src) {
  return src.startsWith("data:") || src.startsWith("blob:") || new URL(src, window.location.href).origin === window.location.origin;
}

function shown(node) {
  const style = window.getComputedStyle(node);
  return node.getClientRects().length > 0 && style.visibility !== "hidden" && Number(style.opacity) > 0;
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error("image not drawable: " + src.slice(0, 40)));
    image.src = src;
  });
}

async function svgImage(svg) {
  // An SVG layer as an image of its own (its styles are attributes, so nothing is lost on the way).
  const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" }));
  try {
    return await loadImage(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

function roundedBox(context, x, y, width, height, radius) {
  context.beginPath();
  context.roundRect(x, y, width, height, Math.min(radius, width / 2, height / 2));
}

function drawBox(context, node, box) {
  // A marker icon or tooltip's own background and border.
  const style = window.getComputedStyle(node);
  const radius = parseFloat(style.borderTopLeftRadius) || 0;
  const border = parseFloat(style.borderTopWidth) || 0;
  if (style.backgroundColor && !/rgba\(.*, 0\)$/.test(style.backgroundColor)) {
    roundedBox(context, box.x, box.y, box.width, box.height, radius);
    context.fillStyle = style.backgroundColor;
    context.fill();
  }
  if (border > 0 && style.borderTopStyle !== "none") {
    roundedBox(context, box.x, box.y, box.width, box.height, radius);
    context.lineWidth = border;
    context.strokeStyle = style.borderTopColor;
    context.stroke();
  }
}

function drawTexts(context, node, origin) {
  // Every visible piece of text where the browser laid it out, in its element's font and colour, with a white
  // halo where the page gives it one (the labels' text-shadow).
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const value = text.textContent.trim();
    if (!value || !shown(text.parentElement)) continue;
    range.selectNodeContents(text);
    const rect = range.getBoundingClientRect();
    if (!rect.width) continue;
    const style = window.getComputedStyle(text.parentElement);
    context.font = style.fontStyle + " " + style.fontWeight + " " + style.fontSize + " " + style.fontFamily;
    context.textBaseline = "middle";
    context.textAlign = "left";
    const x = rect.left - origin.left;
    const y = rect.top - origin.top + rect.height / 2;
    if (style.textShadow && style.textShadow !== "none") {
      context.lineWidth = 3;
      context.lineJoin = "round";
      context.strokeStyle = "rgba(255, 255, 255, 0.9)";
      context.strokeText(value, x, y);
    }
    context.fillStyle = style.color;
    context.fillText(value, x, y);
  }
}

function placed(node, origin) {
  const rect = node.getBoundingClientRect();
  return { x: rect.left - origin.left, y: rect.top - origin.top, width: rect.width, height: rect.height };
}

/** Draw what `container` (a Leaflet map's element) shows onto `context`, its top left corner at the context's
 * origin (the caller sets any scale and clip). */
export async function drawMap(context, container) {
  const origin = container.getBoundingClientRect();
  const nodes = [...container.querySelectorAll(
    ".leaflet-tile-pane img.leaflet-tile, .leaflet-map-pane svg, .leaflet-map-pane canvas, .leaflet-marker-icon, .leaflet-tooltip",
  )].filter(shown);
  // Pane by pane (stable: within a pane, in the page's order).
  const layered = nodes.map((node, order) => ({ node, order, depth: paneDepth(node) }))
    .sort((a, b) => a.depth - b.depth || a.order - b.order);
  for (const { node } of layered) {
    const box = placed(node, origin);
    if (node instanceof HTMLImageElement) {
      if (node.complete && node.naturalWidth && sameOrigin(node.src)) context.drawImage(node, box.x, box.y, box.width, box.height);
    } else if (node instanceof SVGSVGElement) {
      context.drawImage(await svgImage(node), box.x, box.y, box.width, box.height);
    } else if (node instanceof HTMLCanvasElement) {
      context.drawImage(node, box.x, box.y, box.width, box.height);
    } else {
      drawBox(context, node, box);
      drawTexts(context, node, origin);
    }
  }
}
