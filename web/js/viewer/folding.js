/* What folds, so that the map keeps the screen on a phone: the layer list (a button in the layer switcher, folded
 * at first on a phone), the side panel (on a phone a sheet over the bottom of the map, folded at first, unfolding
 * when it has something to show: a tapped grid's details, the incident filters, the sign-in box) and the top bar's
 * page links (on a phone a menu behind one button). What counts as a phone is the stylesheet's: (width <= 800px).
 */
import { el } from "../dom.js";
import { layerControl, map } from "./map.js";

const phone = window.matchMedia("(width <= 800px)");
const PANEL_SECTIONS = ["incidents", "token-box", "check"]; // sections that unfold the panel when they appear
const PAN_MARGIN_PX = 24; // a kept-in-view point stays this far from the panel's edge and the map's

/** Fold (true) or unfold (false) something whose button says so through aria-expanded. */
function setFolded(target, button, folded) {
  target.classList.toggle("folded", folded);
  button.setAttribute("aria-expanded", String(!folded));
}

function foldingButton(button, target, startFolded) {
  setFolded(target, button, startFolded);
  button.addEventListener("click", () => setFolded(target, button, !target.classList.contains("folded")));
}

// The layer list: a button at the top of the switcher folds it to that button.
const layerBox = layerControl.getContainer();
const layersButton = el("button", { id: "layers-fold", class: "layers-fold", type: "button", "aria-label": "Fold the layer list" },
  "图层 Layers");
layerBox.prepend(layersButton);
foldingButton(layersButton, layerBox, phone.matches);

const panel = document.getElementById("panel");
const panelButton = document.getElementById("panel-fold");
foldingButton(panelButton, panel, phone.matches);

/** Unfold the panel (on a phone) and scroll it to `section`. */
function showInPanel(section) {
  if (!phone.matches) return;
  setFolded(panel, panelButton, false);
  panel.scrollTop = section.offsetTop - panelButton.offsetHeight;
}

new MutationObserver((changes) => {
  const shown = changes.map((change) => change.target).find((node) => PANEL_SECTIONS.includes(node.id) && !node.hidden);
  if (shown) showInPanel(shown);
}).observe(panel, { attributes: true, attributeFilter: ["hidden"], subtree: true });

/** A feature tapped at `latlng` has its details in the panel: on a phone the panel unfolds over the map, and the
 * map pans (if need be) so that the tapped place stays in sight above it. */
export function keepTappedInView(latlng) {
  if (!phone.matches) return;
  showInPanel(document.getElementById("details"));
  const covered = map.getContainer().getBoundingClientRect().bottom - panel.getBoundingClientRect().top;
  map.panInside(latlng, {
    paddingTopLeft: [PAN_MARGIN_PX, PAN_MARGIN_PX],
    paddingBottomRight: [PAN_MARGIN_PX, Math.max(0, covered) + PAN_MARGIN_PX],
  });
}

// The page links: on a phone behind the menu button, closing again on the next tap (on a link, a button or elsewhere).
const menu = document.getElementById("page-menu");
const menuButton = document.getElementById("menu-button");
const openMenu = (open) => {
  menu.classList.toggle("open", open);
  menuButton.setAttribute("aria-expanded", String(open));
};
menuButton.addEventListener("click", () => openMenu(!menu.classList.contains("open")));
document.addEventListener("click", (event) => {
  if (!menuButton.contains(event.target)) openMenu(false);
});
