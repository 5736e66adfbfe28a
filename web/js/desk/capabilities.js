/* What the incident API of this server can do, read once from its OpenAPI document: the query parameters of
 * GET /incidents (filters such as overdue or q that newer servers take), and the POST routes on one incident
 * (transitions, send-back, clock/hold, ...) with the fields each takes. The desk offers only what is there. */
import { API, request } from "../api.js";

const LIST_PATH = API + "/incidents";
const ONE_PATH = API + "/incidents/{incident_id}";

function schemaOf(document, body) {
  const content = body && body.content && (body.content["application/json"] || body.content["multipart/form-data"]);
  let schema = content ? content.schema : null;
  if (schema && schema.$ref) schema = document.components.schemas[schema.$ref.split("/").pop()];
  return schema || { properties: {} };
}

/** The server's capabilities: { params: Set, routes: Map of the POST routes under /incidents/{id}/ -> { fields: Set } }. */
export async function loadCapabilities() {
  const document = await request(API + "/openapi.json");
  const list = (document.paths[LIST_PATH] || {}).get || { parameters: [] };
  const params = new Set((list.parameters || []).filter((p) => p.in === "query").map((p) => p.name));
  const routes = new Map();
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith(ONE_PATH + "/") || !operations.post) continue;
    const action = path.slice(ONE_PATH.length + 1); // e.g. "transitions", "send-back", "clock/hold"
    routes.set(action, { fields: new Set(Object.keys(schemaOf(document, operations.post.requestBody).properties || {})) });
  }
  return { params, routes };
}
