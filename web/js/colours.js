/* Colours the pages share: one calm palette colour per community (its grids take it too). */

const PALETTE = ["#2f7ebc", "#2b8a3e", "#7048e8", "#d9480f", "#0c8599", "#c2255c", "#5c940d", "#e67700",
  "#1864ab", "#862e9c"];
export const NO_DATA = "#ced4da";

/** The palette colour of a boundary code's community (its first 12 digits). */
export function colourFor(code) {
  const community = String(code || "").slice(0, 12);
  let hash = 0;
  for (const ch of community) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}
