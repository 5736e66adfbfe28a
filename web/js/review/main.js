/* The address review page (/review): a planner uploads a CSV of addresses; the page geocodes its address column
 * (POST /api/v1/geocode/review, in batches), lists those needing review with their candidates (queue.js) on a
 * small map (map.js), and downloads the table with each row's answer or pick (cleaned.js, csv.js). The file is
 * read in the browser; only the addresses are sent. */
import { request } from "../api.js";
import { el } from "../dom.js";
import { hasRole } from "../session.js";
import { showSignInButton, wireSignIn } from "../sign-in.js";
import { run, showStatus } from "../viewer/status.js";
import { cleanedTable } from "./cleaned.js";
import { addressColumn, decodeText, formatCsv, readTable } from "./csv.js";
import { makeMap } from "./map.js";
import { showQueue } from "./queue.js";

const BATCH = 2000; // the most addresses /geocode/review takes at once
const MAX_ADDRESS = 200;

const table = { name: "", header: [], records: [], column: "", answers: new Map(), picks: new Map() };
let mapMade = false;

async function readFile() {
  const file = document.getElementById("review-file").files[0];
  if (!file) return;
  const read = readTable(decodeText(new Uint8Array(await file.arrayBuffer())));
  Object.assign(table, { name: file.name, header: read.header, records: read.records });
  const select = document.getElementById("review-column");
  select.replaceChildren(...read.header.map((name) => el("option", { value: name }, name)));
  select.value = addressColumn(read.header);
}

function summarise(counts) {
  const byStatus = { matched: 0, needs_review: 0, unmatched: 0 };
  for (const [text, rows] of counts) byStatus[table.answers.get(text).status] += rows;
  const said = document.getElementById("review-summary");
  said.textContent = "共 " + table.records.length + " 行：可用 " + byStatus.matched + "，待核对 " + byStatus.needs_review +
    "，未匹配 " + byStatus.unmatched + " · " + table.records.length + " rows: " + byStatus.matched + " matched, " +
    byStatus.needs_review + " need review, " + byStatus.unmatched + " unmatched";
  said.hidden = false;
}

async function geocode() {
  if (!table.records.length) await readFile();
  table.column = document.getElementById("review-column").value;
  const counts = new Map();
  for (const record of table.records) {
    const text = (record[table.column] || "").trim();
    if (text && text.length <= MAX_ADDRESS) counts.set(text, (counts.get(text) || 0) + 1);
  }
  const texts = [...counts.keys()];
  table.answers = new Map();
  table.picks = new Map();
  for (let start = 0; start < texts.length; start += BATCH) {
    const batch = texts.slice(start, start + BATCH);
    const answer = await request("geocode/review", { method: "POST", json: { addresses: batch } });
    answer.results.forEach((result, i) => table.answers.set(batch[i], result));
  }
  summarise(counts);
  document.getElementById("review-work").hidden = false;
  if (!mapMade) {
    makeMap(await request("config"));
    mapMade = true;
  }
  const waiting = showQueue(table.answers, counts, table.picks, () => showStatus("已记录 Recorded"));
  document.body.dataset.reviewed = String(waiting);
}

function download() {
  const cleaned = cleanedTable(table.header, table.records, table.column, table.answers, table.picks);
  const blob = new Blob([formatCsv(cleaned.header, cleaned.records)], { type: "text/csv;charset=utf-8" });
  const link = el("a", { href: URL.createObjectURL(blob), download: table.name.replace(/\.csv$/i, "") + ".cleaned.csv" });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(link.href);
}

function shown() {
  showSignInButton();
  const planner = hasRole("planner");
  document.getElementById("review-needed").hidden = planner;
  document.getElementById("review-upload").hidden = !planner;
  if (!planner) {
    document.getElementById("review-work").hidden = true;
    document.getElementById("token-box").hidden = false;
  }
  document.body.dataset.ready = "true";
}

document.getElementById("review-file").addEventListener("change", () => run(async () => {
  table.records = [];
  await readFile();
}));
document.getElementById("review-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(geocode);
});
document.getElementById("review-download").addEventListener("click", download);
wireSignIn(async () => {}, shown);
showSignInButton();
