/* The current map as a PNG or PDF file, for printing and reports: the map as shown (map-canvas.js) framed by a title,
 * the data version (set, version number and status, publication date), the date made, the legend of the side panel,
 * a scale bar and a north arrow. The PDF is the same picture on an A4 landscape page (pdf-image.js). Everything is
 * drawn in the page, offline: no server render, no library.
 */
import * as L from "leaflet";

import { el } from "../dom.js";
import { saveBlob } from "../downloads.js";
import { drawMap } from "../map-canvas.js";
import { scaleBarLabel, scaleBarMetres } from "../measure-units.js";
import { jpegPdf } from "../pdf-image.js";
import { chinaTime } from "../periods.js";
import { map } from "./map.js";
import { state } from "./state.js";
import { run, showStatus } from "./status.js";

const PIXEL_RATIO = 2; // the file holds twice the screen's pixels, for print
const MARGIN = 16;
const HEADER = 62;
const LEGEND_WIDTH = 250;
const FOOTER = 24;
const FONT = window.getComputedStyle(document.body).fontFamily;
const INK = "#1d2733";
const MUTED = "#5e6b78";

function text(context, value, x, y, { size = 12, weight = 400, colour = INK, align = "left", maxWidth } = {}) {
  context.font = weight + " " + size + "px " + FONT;
  context.fillStyle = colour;
  context.textAlign = align;
  context.textBaseline = "middle";
  context.fillText(value, x, y, maxWidth);
}

/** The map's title: the product and the boundary set shown. */
export function mapTitle() {
  return "网格地图 Gridmap" + (state.set ? " · " + (state.set.title || state.set.name) : "");
}

/** The data version shown: set, version and its publication date. */
export function versionText() {
  const picker = document.getElementById("version-picker");
  const chosen = picker.selectedOptions[0];
  const set = state.set ? state.set.title || state.set.name : "";
  const published = state.version && state.version.published_at ? " · 发布于 published " + state.version.published_at.slice(0, 10) : "";
  return "数据版本 Data version: " + [set, chosen ? chosen.textContent : "—"].filter(Boolean).join(" · ") + published;
}

function drawHeader(context, width, made) {
  text(context, mapTitle(), MARGIN, MARGIN + 14, { size: 20, weight: 700 });
  text(context, versionText(), MARGIN, MARGIN + 42, { size: 12, colour: MUTED, maxWidth: width - 2 * MARGIN - 220 });
  text(context, "制图日期 Made " + made, width - MARGIN, MARGIN + 42, { size: 12, colour: MUTED, align: "right" });
}

function drawNorthArrow(context, x, y) {
  // A compass needle: the north half dark, the south half light, 北 N above it.
  context.save();
  context.fillStyle = "rgba(255, 255, 255, 0.85)";
  context.beginPath();
  context.roundRect(x - 18, y - 4, 36, 62, 6);
  context.fill();
  context.lineWidth = 1;
  context.strokeStyle = INK;
  for (const [fill, tipY] of [[INK, y + 20], ["#ffffff", y + 52]]) {
    context.beginPath();
    context.moveTo(x, tipY);
    context.lineTo(x - 8, y + 36);
    context.lineTo(x + 8, y + 36);
    context.closePath();
    context.fillStyle = fill;
    context.fill();
    context.stroke();
  }
  context.restore();
  text(context, "北 N", x, y + 8, { size: 12, weight: 700, align: "center" });
}

function drawScaleBar(context, x, y) {
  // A bar of a round length near 120 pixels, measured across the middle of the map.
  const middle = map.getSize().y / 2;
  const metresPerPixel = map.distance(map.containerPointToLatLng([0, middle]), map.containerPointToLatLng([100, middle])) / 100;
  const metres = scaleBarMetres(metresPerPixel * 120);
  const length = metres / metresPerPixel;
  context.fillStyle = "rgba(255, 255, 255, 0.85)";
  context.fillRect(x - 6, y - 22, length + 12, 30);
  context.fillStyle = INK;
  context.fillRect(x, y, length / 2, 5);
  context.strokeStyle = INK;
  context.lineWidth = 1;
  context.strokeRect(x, y, length, 5);
  text(context, "0", x, y - 10, { size: 11, align: "center" });
  text(context, scaleBarLabel(metres), x + length, y - 10, { size: 11, align: "right" });
}

function legendSections() {
  // The legends the side panel shows now: the main one, a thematic map's and the incidents per grid.
  const sections = [];
  for (const section of document.querySelectorAll("#panel .legend, #incident-areas-legend")) {
    if (section.closest("[hidden]")) continue;
    const subtitle = section.querySelector(".thematic-title");
    const heading = (subtitle && subtitle.textContent.trim()) || section.querySelector(".panel-title").textContent.trim();
    const rows = [...section.querySelectorAll("li")]
      .filter((row) => !row.closest("[hidden]") && window.getComputedStyle(row).display !== "none")
      .map((row) => ({ key: row.querySelector(".swatch, .dot"), label: row.textContent.replace(/\s+/g, " ").trim() }));
    if (rows.length) sections.push({ heading: heading.replace(/\s+/g, " "), rows });
  }
  return sections;
}

function drawKey(context, key, x, y) {
  const style = window.getComputedStyle(key);
  const border = parseFloat(style.borderTopWidth) || 0;
  context.beginPath();
  if (key.classList.contains("dot")) context.arc(x + 11, y, 6, 0, 2 * Math.PI);
  else context.rect(x, y - 7, 22, 14);
  context.fillStyle = style.backgroundColor;
  context.fill();
  if (border > 0 && style.borderTopStyle !== "none") {
    context.setLineDash(style.borderTopStyle === "dashed" ? [3, 2] : []);
    context.lineWidth = border;
    context.strokeStyle = style.borderTopColor;
    context.stroke();
    context.setLineDash([]);
  }
}

function drawLegend(context, x, y, bottom) {
  const width = LEGEND_WIDTH - MARGIN;
  for (const section of legendSections()) {
    if (y + 40 > bottom) return;
    text(context, section.heading, x, y + 8, { size: 13, weight: 700, maxWidth: width });
    y += 26;
    for (const row of section.rows) {
      if (y + 10 > bottom) return;
      if (row.key) drawKey(context, row.key, x, y);
      text(context, row.label, x + (row.key ? 30 : 0), y, { size: 12, maxWidth: width - 30 });
      y += 22;
    }
    y += 10;
  }
}

function footerText() {
  const centre = map.getCenter();
  const attribution = map.getContainer().querySelector(".leaflet-control-attribution");
  return "中心 Centre " + centre.lat.toFixed(5) + ", " + centre.lng.toFixed(5) + " · 缩放 Zoom " + map.getZoom()
    + (attribution ? " · " + attribution.textContent.trim() : "");
}

/** The current map with its title, version, date, legend, scale bar and north arrow, on a new canvas. */
export async function composeMap() {
  const size = map.getSize();
  const width = MARGIN + size.x + MARGIN + LEGEND_WIDTH;
  const height = MARGIN + HEADER + size.y + FOOTER + MARGIN;
  const canvas = el("canvas", { width: String(width * PIXEL_RATIO), height: String(height * PIXEL_RATIO) });
  const context = canvas.getContext("2d");
  context.scale(PIXEL_RATIO, PIXEL_RATIO);
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  drawHeader(context, width, chinaTime(new Date().toISOString()));

  const top = MARGIN + HEADER;
  context.save();
  context.translate(MARGIN, top);
  context.beginPath();
  context.rect(0, 0, size.x, size.y);
  context.clip();
  context.fillStyle = window.getComputedStyle(map.getContainer()).backgroundColor;
  context.fillRect(0, 0, size.x, size.y);
  await drawMap(context, map.getContainer());
  drawNorthArrow(context, size.x - 30, 12);
  drawScaleBar(context, 14, size.y - 14);
  context.restore();
  context.strokeStyle = "#9aa5b1";
  context.lineWidth = 1;
  context.strokeRect(MARGIN + 0.5, top + 0.5, size.x - 1, size.y - 1);

  drawLegend(context, MARGIN + size.x + MARGIN, top, top + size.y);
  text(context, footerText(), MARGIN, top + size.y + FOOTER / 2 + 2, { size: 11, colour: MUTED, maxWidth: width - 2 * MARGIN });
  return canvas;
}

function fileName(extension) {
  const made = chinaTime(new Date().toISOString()).replace(/[-: ]/g, "");
  return "gridmap" + (state.version ? "-v" + state.version.id : "") + "-" + made + "." + extension;
}

function canvasBlob(canvas, type, quality) {
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("canvas not saved"))), type, quality));
}

/** Save the current map as "png" or "pdf". */
export async function exportMap(kind) {
  showStatus("正在生成 Making the " + kind.toUpperCase() + "…");
  const canvas = await composeMap();
  if (kind === "png") {
    saveBlob(await canvasBlob(canvas, "image/png"), fileName("png"));
  } else {
    const jpeg = new Uint8Array(await (await canvasBlob(canvas, "image/jpeg", 0.92)).arrayBuffer());
    const pdf = jpegPdf(jpeg, { width: canvas.width, height: canvas.height, title: "网格地图 Gridmap · " + versionText(), created: new Date() });
    saveBlob(new Blob([pdf], { type: "application/pdf" }), fileName("pdf"));
  }
  showStatus("已导出 Saved " + kind.toUpperCase());
  document.body.dataset.exported = kind;
}

const exportControl = L.control({ position: "topleft" });
exportControl.onAdd = () => {
  const button = (kind, label, title) => el("button", {
    type: "button", id: "export-" + kind, title, "aria-label": title,
    onclick: (event) => {
      const pressed = event.currentTarget;
      pressed.disabled = true;
      run(() => exportMap(kind)).finally(() => (pressed.disabled = false));
    },
  }, label);
  const bar = el("div", { class: "leaflet-bar map-tools" },
    button("png", "图片 PNG", "导出图片 Save the map as PNG"),
    button("pdf", "打印 PDF", "导出 PDF 打印 Save the map as PDF for printing"));
  L.DomEvent.disableClickPropagation(bar);
  return bar;
};
exportControl.addTo(map);
