// The desk's pure parts (js/desk/queues.js, due.js, workflow.js): queues per role, their requests, merging
// answers into one counted list, due-time wording, the steps offered and the wording of a stale step.
import assert from "node:assert/strict";
import { test } from "node:test";

import { dueState, spanWords, stageName } from "../js/desk/due.js";
import {
  countText, fieldTaskChip, matchesText, mergeAnswers, queueRequests, queuesFor, sortIncidents,
} from "../js/desk/queues.js";
import { actionsFor, staleWording, stepsFor } from "../js/desk/workflow.js";

const OLD_SERVER = { params: new Set(["status", "category", "grid", "since", "before", "limit", "offset"]) };
const NEW_SERVER = { params: new Set([...OLD_SERVER.params, "overdue", "due_within_hours", "channel", "q", "near_boundary"]) };
const ids = (queues) => queues.map((q) => q.id);
const NO_FILTERS = { category: "", status: "", grid: "", channel: "", since: "", before: "", sort: "newest", q: "" };

function incident(id, extra) {
  return { id, reported_at: "2026-11-27T02:00:00+00:00", channel: "app", near_boundary: false, ...extra };
}

test("each role has its queues; the due queues only where the server filters by due time", () => {
  assert.deepEqual(ids(queuesFor("worker", OLD_SERVER)), ["new", "mine", "all"]);
  assert.deepEqual(ids(queuesFor("worker", NEW_SERVER)), ["new", "mine", "overdue", "soon", "all"]);
  assert.deepEqual(ids(queuesFor("planner", OLD_SERVER)), ["file", "dispatch", "check", "boundary", "all"]);
  assert.deepEqual(ids(queuesFor("admin", NEW_SERVER)), ids(queuesFor("planner", NEW_SERVER)));
  assert.deepEqual(queuesFor("viewer", NEW_SERVER), []);
});

test("a queue's requests carry its statuses and the filters the server takes, and drop excluded statuses", () => {
  const [, mine] = queuesFor("worker", OLD_SERVER);
  const filters = { ...NO_FILTERS, category: "noise", channel: "hotline", q: "SN-1" };
  const requests = queueRequests(mine, filters, OLD_SERVER).map((q) => Object.fromEntries(new URLSearchParams(q)));
  assert.deepEqual(requests.map((r) => r.status), ["dispatched", "in_progress"]);
  assert.equal(requests[0].category, "noise");
  assert.equal(requests[0].channel, undefined); // the old server does not filter by channel: the page does
  assert.equal(requests[0].q, undefined);
  const onNew = queueRequests(mine, filters, NEW_SERVER).map((q) => new URLSearchParams(q));
  assert.equal(onNew[0].get("channel"), "hotline");
  assert.equal(onNew[0].get("q"), "SN-1");
  assert.deepEqual(queueRequests(mine, { ...NO_FILTERS, status: "in_progress" }, OLD_SERVER).length, 1);
  assert.deepEqual(queueRequests(mine, { ...NO_FILTERS, status: "closed" }, OLD_SERVER), []);
  const all = queuesFor("worker", OLD_SERVER).at(-1);
  assert.equal(new URLSearchParams(queueRequests(all, { ...NO_FILTERS, status: "closed" }, OLD_SERVER)[0]).get("status"), "closed");
});

test("answers merge into one list: each incident once, the server's count, or the page's when it filtered", () => {
  const [, mine] = queuesFor("worker", OLD_SERVER);
  const answers = [
    { incidents: [incident("a"), incident("b", { channel: "hotline" })], matched: 2 },
    { incidents: [incident("c", { channel: "hotline" })], matched: 5 },
  ];
  const merged = mergeAnswers(mine, answers, NO_FILTERS, OLD_SERVER);
  assert.deepEqual(merged.incidents.map((i) => i.id).sort(), ["a", "b", "c"]);
  assert.equal(merged.count, 7);
  assert.equal(countText(merged), "7");
  const hotline = mergeAnswers(mine, answers, { ...NO_FILTERS, channel: "hotline" }, OLD_SERVER);
  assert.deepEqual(hotline.incidents.map((i) => i.id).sort(), ["b", "c"]);
  assert.equal(countText(hotline), "2+"); // 4 matching incidents were not fetched: at least 2
  const boundary = queuesFor("planner", OLD_SERVER).find((q) => q.id === "boundary");
  const near = mergeAnswers(boundary, [{ incidents: [incident("a"), incident("d", { near_boundary: true })], matched: 2 }, { incidents: [], matched: 0 }], NO_FILTERS, OLD_SERVER);
  assert.deepEqual(near, { incidents: [incident("d", { near_boundary: true })], count: 1, partial: false });
});

test("a count the server stopped at shows as a floor: 10000+", () => {
  const all = queuesFor("planner", OLD_SERVER).at(-1);
  const answer = { incidents: [incident("a")], matched: 10000, matched_capped: true };
  assert.equal(countText(mergeAnswers(all, [answer], NO_FILTERS, OLD_SERVER)), "10000+");
  assert.equal(countText(mergeAnswers(all, [{ ...answer, matched_capped: false }], NO_FILTERS, OLD_SERVER)), "10000");
});

test("search matches the number, id, words or address, in any case", () => {
  const item = incident("0c1d-uuid", { number: "SN-20261127-0042", description: "路灯不亮", address: "胜利街1号" });
  for (const text of ["sn-20261127-0042", "0042", "0C1D", "路灯", " 胜利街 "]) assert.ok(matchesText(item, text), text);
  assert.ok(!matchesText(item, "SN-20261127-0043"));
  assert.ok(matchesText(incident("x", { description: null }), ""));
});

test("sorting by due time puts the soonest first and those without a due time last", () => {
  const items = [
    incident("late", { due_at: "2026-11-28T00:00:00Z" }),
    incident("none", { reported_at: "2026-11-29T00:00:00Z" }),
    incident("soon", { due_at: "2026-11-27T08:00:00Z" }),
  ];
  assert.deepEqual(sortIncidents(items, "due").map((i) => i.id), ["soon", "late", "none"]);
  assert.deepEqual(sortIncidents(items, "newest")[0].id, "none");
  assert.deepEqual(items.map((i) => i.id), ["late", "none", "soon"]); // the input is left as it was
});

test("a card's field-task chip names the verification or check the incident waits for", () => {
  assert.equal(fieldTaskChip(incident("a", { field_task: "verify" })), "待核实 To verify");
  assert.equal(fieldTaskChip(incident("b", { field_task: "check" })), "待核查 To check");
  assert.equal(fieldTaskChip(incident("c", { field_task: "survey" })), "survey"); // a task this page does not know
  assert.equal(fieldTaskChip(incident("d", { field_task: null })), "");
  assert.equal(fieldTaskChip(incident("e")), ""); // an older server without the field
});

test("due times are worded in minutes, hours or days, with the server's flags first", () => {
  const now = Date.parse("2026-11-27T02:00:00Z");
  const hour = 3600 * 1000;
  assert.deepEqual(spanWords(20 * 60 * 1000), { zh: "20 分钟", en: "20 min" });
  assert.deepEqual(spanWords(-5 * hour), { zh: "5 小时", en: "5 h" });
  assert.deepEqual(spanWords(72 * hour), { zh: "3 天", en: "3 d" });
  assert.deepEqual(dueState(incident("a"), now), { level: "", text: "" });
  const at = (ms) => new Date(ms).toISOString();
  assert.equal(dueState(incident("a", { due_at: at(now - 3 * hour) }), now).level, "overdue");
  assert.match(dueState(incident("a", { due_at: at(now - 3 * hour) }), now).text, /超时 3 小时 · Overdue by 3 h/);
  assert.equal(dueState(incident("a", { due_at: at(now + 2 * hour) }), now).level, "soon");
  assert.equal(dueState(incident("a", { due_at: at(now + 30 * hour) }), now).level, "ok");
  assert.match(dueState(incident("a", { due_at: at(now + 30 * hour) }), now).text, /剩余 30 小时/);
  // The server's working calendar decides: a due time 30 h away may be due soon over a weekend.
  assert.equal(dueState(incident("a", { due_at: at(now + 30 * hour), due_soon: true, overdue: false }), now).level, "soon");
  assert.equal(stageName("handle"), "处置 Handling");
  assert.equal(stageName(null), "");
});

test("the steps offered follow the workflow's roles", () => {
  const to = (role, status) => stepsFor(role, status).map((s) => s.to);
  assert.deepEqual(to("worker", "reported"), ["accepted", "rejected", "duplicate"]);
  assert.deepEqual(to("worker", "accepted"), ["rejected", "duplicate"]); // dispatching is a dispatcher's
  assert.deepEqual(to("planner", "accepted"), ["dispatched", "rejected", "duplicate"]);
  assert.deepEqual(to("worker", "resolved"), ["in_progress"]);
  assert.deepEqual(to("planner", "resolved"), ["closed", "in_progress"]);
  assert.deepEqual(to("planner", "closed"), []);
  assert.deepEqual(to("viewer", "reported"), []);
  assert.ok(stepsFor("worker", "in_progress")[0].noteRequired);
});

test("sending back and the time limit's requests are offered where the server has the routes, by role", () => {
  const routes = new Map(["transitions", "send-back", "clock/hold", "clock/extension", "clock/decision", "clock/release"].map((r) => [r, {}]));
  const offered = (role, incident, on = routes) => actionsFor(role, incident, on).map((a) => a.id);
  const dispatched = { status: "dispatched", pending_request: null, held_since: null };
  assert.deepEqual(offered("worker", dispatched), ["in_progress", "send-back", "hold", "extend"]); // send-back replaces hand-back
  assert.deepEqual(offered("worker", dispatched, new Map([["transitions", {}]])), ["in_progress", "accepted"]);
  const asked = { ...dispatched, pending_request: { action: "extend_request", hours: 8, at: "t" } };
  assert.deepEqual(offered("worker", asked), ["in_progress", "send-back"]); // one request at a time
  assert.deepEqual(offered("planner", asked), ["in_progress", "send-back", "approve", "refuse"]);
  assert.deepEqual(actionsFor("planner", asked, routes).find((a) => a.id === "refuse").body, { approve: false });
  assert.deepEqual(offered("planner", { ...dispatched, held_since: "t" }), ["in_progress", "send-back", "release"]);
  assert.deepEqual(offered("worker", { status: "resolved" }), ["in_progress", "hold", "extend"]); // failing a check is a dispatcher's
  assert.deepEqual(offered("planner", { status: "closed" }), []);
  const [file] = actionsFor("planner", { status: "reported" }, routes);
  assert.deepEqual([file.route, file.body], ["transitions", { to: "accepted" }]);
});

test("the field loop, photos and unlinking are offered where the server has the routes, by role and task", () => {
  const routes = new Map(["transitions", "field-task", "field-answer", "photos", "unlink-duplicate"].map((r) => [r, {}]));
  const offered = (role, incident) => actionsFor(role, incident, routes).map((a) => a.id);
  const field = (role, incident) => offered(role, incident).filter((id) => !["accepted", "rejected", "duplicate", "closed", "in_progress"].includes(id));
  assert.deepEqual(field("planner", { status: "reported" }), ["ask-verify", "verified", "refuted", "photo"]);
  assert.deepEqual(field("worker", { status: "reported" }), ["verified", "refuted", "photo"]); // asking is a dispatcher's
  assert.deepEqual(field("planner", { status: "reported", field_task: "verify" }), ["verified", "refuted", "photo"]); // asked already
  assert.deepEqual(field("planner", { status: "resolved" }), ["ask-check", "check-passed", "check-failed", "photo"]);
  const failed = actionsFor("worker", { status: "resolved" }, routes).find((a) => a.id === "check-failed");
  assert.deepEqual([failed.route, failed.body, failed.noteRequired], ["field-answer", { task: "check", confirmed: false }, true]);
  assert.deepEqual(offered("planner", { status: "duplicate" }), ["unlink"]);
  assert.deepEqual(offered("worker", { status: "duplicate" }), []);
  assert.deepEqual(field("worker", { status: "in_progress" }), ["resolved", "photo"]);
});

test("a stale step is explained with who acted and what the incident is now", () => {
  const moved = {
    status: "accepted",
    history: [
      { action: "report", actor: "resident", to: "reported", at: "t0" },
      { action: "transition", actor: "网格员甲", to: "accepted", at: "t1" },
      { action: "move", actor: "调度员乙", to: "accepted", at: "t2" },
    ],
  };
  const said = staleWording(moved, (at) => "<" + at + ">");
  assert.match(said, /已被 网格员甲 于 <t1> 处理为“已立案”/);
  assert.match(said, /Already handled by 网格员甲 at <t1>: now 已立案 Filed/);
  assert.match(staleWording({ status: "reported", history: [] }, String), /it is now 已上报 Reported/);
});
