// What the viewer opens (js/viewer/opening.js): the set and version it chooses, and the paths its first requests take.
import assert from "node:assert/strict";
import { test } from "node:test";

import { VIEW_LOAD_THRESHOLD } from "../js/view-math.js";
import {
  collectionParams, countsFirst, describePath, firstPagePath, loadMode, newestFirst, openedSet, openedVersion, versionsPath,
} from "../js/viewer/opening.js";

test("the viewer opens the first set with a published version, else the first, else none", () => {
  const drafts = { name: "drafts", published_version: null };
  const city = { name: "city", published_version: 4 };
  assert.equal(openedSet([drafts, city]), city);
  assert.equal(openedSet([drafts]), drafts);
  assert.equal(openedSet([]), null);
  assert.equal(versionsPath({ name: "县 城/1" }), "boundary-sets/%E5%8E%BF%20%E5%9F%8E%2F1/versions");
});

test("the viewer opens the linked version when the set has it, else the published one, else the newest", () => {
  const versions = newestFirst([
    { id: 2, status: "published" }, { id: 3, status: "draft" }, { id: 1, status: "retired" },
  ]);
  assert.deepEqual(versions.map((v) => v.id), [3, 2, 1]);
  assert.equal(openedVersion(versions).id, 2);
  assert.equal(openedVersion(versions, 1).id, 1);
  assert.equal(openedVersion(versions, 9).id, 2); // a link to a version the set lacks
  assert.equal(openedVersion(newestFirst([{ id: 5, status: "draft" }, { id: 6, status: "draft" }])).id, 6);
  assert.equal(openedVersion([]), null);
});

test("a collection's paths name the datum, and the version when one is chosen", () => {
  const version = { id: 7, feature_count: 10 };
  assert.equal(collectionParams({}, "gcj02", version).toString(), "crs=gcj02&version=7");
  assert.equal(collectionParams({ limit: "5" }, "wgs84", null).toString(), "limit=5&crs=wgs84");
  assert.equal(describePath("grids", collectionParams({}, "wgs84", version)), "collections/grids?crs=wgs84&version=7");
  assert.equal(firstPagePath("grids", "wgs84", version), "collections/grids/items?limit=1000&crs=wgs84&version=7");
});

test("a level is counted first unless the version is small enough to load whole, or ?load=all asks so", () => {
  assert.equal(loadMode("?load=all&x=1"), "all");
  assert.equal(loadMode(""), "auto");
  const large = { id: 1, feature_count: VIEW_LOAD_THRESHOLD + 1 };
  const small = { id: 1, feature_count: VIEW_LOAD_THRESHOLD };
  assert.ok(countsFirst({ mode: "auto", viewZoom: 14, version: large }));
  assert.ok(!countsFirst({ mode: "auto", viewZoom: 14, version: small }));
  assert.ok(!countsFirst({ mode: "all", viewZoom: 14, version: large }));
  assert.ok(countsFirst({ mode: "view", viewZoom: 14, version: small }));
  assert.ok(countsFirst({ mode: "auto", viewZoom: 14, version: null }));
});
