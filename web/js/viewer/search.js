/* Search a community, grid or microgrid by code or name; the best match is selected and zoomed to. */
import { API, request } from "../api.js";
import { el } from "../dom.js";
import { select } from "./boundaries.js";
import { LEVEL_NAMES, versionParams } from "./state.js";
import { showStatus } from "./status.js";

const searchInput = document.getElementById("search-input");
const resultsBox = document.getElementById("search-results");
let searchSeq = 0;

async function search(text) {
  const query = text.trim();
  if (!query) return [];
  const page = await request(API + "/collections/boundaries/items?" + versionParams({ q: query, limit: "10" }));
  const features = page.features || [];
  // An exact code match first, then names that start with the text, then the rest in server order.
  const rank = (f) => (f.properties.code === query ? 0 : String(f.properties.name).startsWith(query) ? 1 : 2);
  return features.slice().sort((a, b) => rank(a) - rank(b));
}

function showResults(features) {
  resultsBox.replaceChildren();
  if (!features.length) {
    resultsBox.append(el("li", { class: "empty" }, "无结果 No match"));
  }
  for (const f of features) {
    const p = f.properties;
    resultsBox.append(el("li", {
      "data-code": p.code,
      onmousedown: (event) => {
        event.preventDefault();
        choose(String(p.code));
      },
    }, p.name + " ", el("span", { class: "code" }, (LEVEL_NAMES[p.level] || p.level).split(" ")[0] + " " + p.code)));
  }
  resultsBox.hidden = false;
}

function choose(code) {
  resultsBox.hidden = true;
  select(code, true);
}

searchInput.addEventListener("input", async () => {
  const seq = ++searchSeq;
  if (!searchInput.value.trim()) {
    resultsBox.hidden = true;
    return;
  }
  try {
    const features = await search(searchInput.value);
    if (seq === searchSeq) showResults(features);
  } catch (err) {
    showStatus("搜索失败 Search failed: " + err.message, true);
  }
});
searchInput.addEventListener("blur", () => window.setTimeout(() => { resultsBox.hidden = true; }, 150));
document.getElementById("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  searchSeq++;
  try {
    const features = await search(searchInput.value);
    if (features.length) choose(String(features[0].properties.code));
    else showStatus("未找到 No match: " + searchInput.value, true);
  } catch (err) {
    showStatus("搜索失败 Search failed: " + err.message, true);
  }
});
