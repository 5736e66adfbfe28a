/* The desk's queues (pure: no DOM): which queues a role sees, the /api/v1/incidents requests behind each, and
 * how their answers become one list with a count.
 *
 * A queue is one or more requests (e.g. "my work" is dispatched plus in-progress), each a set of query
 * parameters; the filters are added to each. What the server cannot filter yet (`caps.params` lists the query
 * parameters GET /incidents takes) is filtered here, on the page of answers fetched: its count then says so
 * with `partial`.
 */

export const PAGE_LIMIT = 200; // incidents fetched per request
export const DUE_WINDOW_HOURS = 8; // "due soon": due within this many hours

const overdue = { id: "overdue", title: "已超时 Overdue", requests: [{ overdue: "true" }], needs: ["overdue"] };
const dueSoon = {
  id: "soon", title: "即将到期 Due soon", requests: [{ due_within_hours: String(DUE_WINDOW_HOURS) }], needs: ["due_within_hours"],
};
const everything = { id: "all", title: "全部 All", requests: [{}] };

const QUEUES = {
  worker: [
    { id: "new", title: "新上报 New reports", requests: [{ status: "reported" }] },
    { id: "mine", title: "我的待办 My work", requests: [{ status: "dispatched" }, { status: "in_progress" }] },
    { id: "verify", title: "待核实 To verify", requests: [{ field_task: "verify" }], needs: ["field_task"] },
    { id: "recheck", title: "待核查 To check", requests: [{ field_task: "check" }], needs: ["field_task"] },
    overdue,
    dueSoon,
    everything,
  ],
  planner: [
    { id: "file", title: "待立案 To file", requests: [{ status: "reported" }] },
    { id: "dispatch", title: "待派遣 To dispatch", requests: [{ status: "accepted" }] },
    { id: "check", title: "待核查 To check", requests: [{ status: "resolved" }] },
    overdue,
    dueSoon,
    {
      id: "boundary", title: "边界待确认 Near a boundary", requests: [{ status: "reported" }, { status: "accepted" }],
      keep: (incident) => Boolean(incident.near_boundary), serverParam: { near_boundary: "true" },
    },
    everything,
  ],
};

/** The queues `role` works from, leaving out those whose query parameters the server does not take. */
export function queuesFor(role, caps) {
  const queues = QUEUES[role === "admin" ? "planner" : role] || [];
  return queues.filter((queue) => (queue.needs || []).every((name) => caps.params.has(name)));
}

/** The filters the server applies, as query parameters; the rest (see `keepsFilters`) the page applies. */
function serverFilters(filters, caps) {
  const params = {};
  for (const name of ["category", "grid", "since", "before", "channel", "q", "sort"]) {
    if (filters[name] && caps.params.has(name)) params[name] = filters[name];
  }
  return params;
}

/** The query strings of a queue's requests under `filters`; a request whose status the status filter excludes
 * is left out (so "to file" is empty while the filter says "closed"). */
export function queueRequests(queue, filters, caps) {
  const requests = [];
  for (const base of queue.requests) {
    if (filters.status && base.status && base.status !== filters.status) continue;
    const params = { ...base, ...serverFilters(filters, caps) };
    if (filters.status) params.status = filters.status;
    if (queue.serverParam && Object.keys(queue.serverParam).every((name) => caps.params.has(name))) {
      Object.assign(params, queue.serverParam);
    }
    params.limit = String(PAGE_LIMIT);
    requests.push(new URLSearchParams(params).toString());
  }
  return requests;
}

/** Whether `text` (trimmed, any case) is in an incident's number, id, description or address. */
export function matchesText(incident, text) {
  const wanted = text.trim().toLowerCase();
  if (!wanted) return true;
  return [incident.number, incident.id, incident.description, incident.address]
    .some((value) => typeof value === "string" && value.toLowerCase().includes(wanted));
}

/** The incidents sorted: "due" (soonest due first, those without a due time last, then newest) or "newest". */
export function sortIncidents(incidents, sort) {
  const newest = (a, b) => Date.parse(b.reported_at) - Date.parse(a.reported_at);
  if (sort !== "due") return [...incidents].sort(newest);
  const due = (incident) => (incident.due_at ? Date.parse(incident.due_at) : Infinity);
  return [...incidents].sort((a, b) => due(a) - due(b) || newest(a, b));
}

/** A queue's answers (one per request, in order) as one list: each incident once, kept by what the server
 * did not filter, sorted; `count` is the server's total unless the page filtered, then what it kept
 * (`partial` when some matching incidents were not fetched or counted). */
export function mergeAnswers(queue, answers, filters, caps) {
  const keeps = [];
  if (queue.keep && !(queue.serverParam && Object.keys(queue.serverParam).every((n) => caps.params.has(n)))) keeps.push(queue.keep);
  if (filters.channel && !caps.params.has("channel")) keeps.push((incident) => incident.channel === filters.channel);
  if (filters.q && !caps.params.has("q")) keeps.push((incident) => matchesText(incident, filters.q));
  const seen = new Map();
  let matched = 0;
  let fetched = 0;
  let capped = false; // the server stopped counting (at 10,000): the count is a floor
  for (const answer of answers) {
    matched += answer.matched;
    capped ||= Boolean(answer.matched_capped);
    fetched += answer.incidents.length;
    for (const incident of answer.incidents) {
      if (!seen.has(incident.id) && keeps.every((keep) => keep(incident))) seen.set(incident.id, incident);
    }
  }
  const incidents = sortIncidents([...seen.values()], filters.sort);
  if (!keeps.length) return { incidents, count: matched, partial: capped };
  return { incidents, count: incidents.length, partial: capped || fetched < matched };
}

// The field task an incident waits for (answers' `field_task`, gridmap/incidents/field_loop.py), as its card's chip.
const FIELD_TASK_CHIPS = { verify: "待核实 To verify", check: "待核查 To check" };

/** The chip of the field task an incident waits for ("待核实 To verify"), the task's code for one not named
 * here, or "" when it waits for none. */
export function fieldTaskChip(incident) {
  return incident.field_task ? FIELD_TASK_CHIPS[incident.field_task] || incident.field_task : "";
}

/** A queue's count as shown on its tab: "12", or "12+" when the page filtered only what it fetched or the server
 * stopped counting. */
export function countText({ count, partial }) {
  return String(count) + (partial ? "+" : "");
}
