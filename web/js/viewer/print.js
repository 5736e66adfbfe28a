/* Printing the viewer (the print button or the browser's own): the print stylesheet (viewer.css, @media print) hides
 * the top bar, the panel's forms and the map's controls, and lays the map beside its legend on an A4 landscape page
 * with the scale bar. This module adds what only the printed page shows — a header with the title, the data version
 * and the date printed, and a north arrow on the map — fills the header just before printing, and fits the map to
 * the page's size and back to the screen's after.
 */
import * as L from "leaflet";

import { el } from "../dom.js";
import { chinaTime } from "../periods.js";
import { map } from "./map.js";
import { mapTitle, versionText } from "./map-export.js";

const title = el("h1", { id: "print-title", class: "print-title" });
const version = el("p", { id: "print-version", class: "print-version" });
const made = el("p", { id: "print-date", class: "print-date" });
document.body.prepend(el("header", { id: "print-header", class: "print-header" }, title, el("div", { class: "print-facts" }, version, made)));

/** Fill the printed header with what the map shows now. */
export function preparePrint() {
  title.textContent = mapTitle();
  version.textContent = versionText();
  made.textContent = "打印日期 Printed " + chinaTime(new Date().toISOString());
  document.body.dataset.printed = "true";
}

// The map's size changes with the page's: Leaflet measures its container again and loads what the new size shows.
window.addEventListener("beforeprint", () => {
  preparePrint();
  map.invalidateSize({ pan: false });
});
window.addEventListener("afterprint", () => map.invalidateSize({ pan: false }));

const northArrow = L.control({ position: "topright" });
northArrow.onAdd = () => el("div", { id: "print-north", class: "print-north", "aria-hidden": "true" }, el("span", { class: "print-north-needle" }), "北 N");
northArrow.addTo(map);

const printControl = L.control({ position: "topleft" });
printControl.onAdd = () => {
  const bar = el("div", { class: "leaflet-bar map-tools" },
    el("button", {
      type: "button", id: "print-map", title: "打印地图 Print the map (A4 landscape)", "aria-label": "打印地图 Print the map",
      onclick: () => window.print(),
    }, "打印 Print"));
  L.DomEvent.disableClickPropagation(bar);
  return bar;
};
printControl.addTo(map);
