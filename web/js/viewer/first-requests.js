/* The first view's requests, started as soon as this small module and its few imports have loaded: index.html loads
 * it `async`, so it waits neither for the style sheets nor for the page's end, and main.js's modules are still on
 * their way then. The page's configuration and boundary sets first; then, as the answers
 * they depend on arrive, the chosen set's versions and what loading the chosen version starts with (each level's
 * count and extent, or its first page when the level loads whole), chosen as the viewer chooses (opening.js). So the
 * viewer finds the answers it waits on in turn already asked for, most of them in. Only the viewer's first start
 * takes them (firstAnswer), each once; a path it never asks for (a link naming a version the set lacks, say) is left.
 *
 * Each step of that chain waits for an answer, and then for the main thread, still busy with main.js's modules. So
 * when the page says which set and version it will most likely open (the server's guess, in
 * `<meta name="gridmap-opening">`: gridmap/api/pages.py), the guessed version's requests are all made at once, and
 * the chain finds them asked for. A wrong guess costs a few requests: the chain asks for what it chose.
 */
import { request } from "../api.js";
import { decodeShareState } from "../share-link.js";
import { loadsByView } from "../view-math.js";
import {
  collectionParams, countsFirst, describePath, firstPagePath, loadMode, newestFirst, openedSet, openedVersion, versionsPath,
} from "./opening.js";
import { LEVELS } from "./state.js";

const started = new Map(); // path -> the answer's promise

function ask(path) {
  if (started.has(path)) return started.get(path); // asked for on the server's guess
  // Quiet, and never an unhandled rejection: a failure is the taker's, who asks again (and that request shows it).
  const answer = request(path, { quiet: true });
  answer.catch(() => {});
  started.set(path, answer);
  return answer;
}

async function askLevel(spec, crs, version, mode) {
  // The level's first request, and its first page too when its count says it loads whole after all.
  if (!countsFirst({ mode, viewZoom: spec.viewZoom, version })) {
    ask(firstPagePath(spec.collection, crs, version));
    return;
  }
  const described = await ask(describePath(spec.collection, collectionParams({}, crs, version)));
  if (!loadsByView({ mode, total: Number(described.numberMatched) })) ask(firstPagePath(spec.collection, crs, version));
}

/** The server's guess at what the page opens: { set, version, feature_count, crs }, or null. */
function openingGuess() {
  const meta = document.querySelector('meta[name="gridmap-opening"]');
  try {
    return meta ? JSON.parse(meta.content) : null;
  } catch {
    return null;
  }
}

function askGuessed(guess, linked, mode) {
  ask(versionsPath({ name: guess.set }));
  if (linked !== undefined && linked !== guess.version) return; // a link names another version
  const version = { id: guess.version, feature_count: guess.feature_count };
  for (const spec of LEVELS) askLevel(spec, guess.crs, version, mode).catch(() => {});
}

async function askOpening() {
  const linked = decodeShareState(window.location.hash).version;
  const mode = loadMode(window.location.search);
  const config = ask("config");
  const sets = ask("boundary-sets");
  const guess = openingGuess();
  if (guess) askGuessed(guess, linked, mode);
  const set = openedSet((await sets).boundary_sets || []);
  if (!set) return;
  const versions = newestFirst((await ask(versionsPath(set))).versions || []);
  const version = openedVersion(versions, linked);
  const crs = (await config).output_crs || "wgs84";
  await Promise.all(LEVELS.map((spec) => askLevel(spec, crs, version, mode)));
}

askOpening().catch(() => {}); // a request that failed is asked again by the viewer, which shows why

/** The answer to GET `path`: the one asked for with the page, once (asked again when it failed), else a new request
 * with `options` (api.js's request). */
export function firstAnswer(path, options) {
  const answer = started.get(path);
  started.delete(path);
  return answer ? answer.catch(() => request(path, options)) : request(path, options);
}
