import { Hono, type Context } from "hono";
import type { AppEnv } from "../../context.js";
import { errorFields, log } from "../../log.js";
import { withoutSecrets } from "../../middleware/request-log/loggable-detail.js";
import { recordTestConnectionProbe } from "../../provisioning/test-connection.js";
import * as users from "../../provisioning/users.js";
import type { UserRow } from "../../provisioning/users.js";
import { parseListQuery, searchRequestParameters, type RawListParameters } from "../../scim/list-query.js";
import { listResponse } from "../../scim/list-response.js";
import { parsePatchRequest } from "../../scim/patch/index.js";
import { parseUserResource, weakETag } from "../../scim/resources/index.js";
import { resourceDefinitions } from "../../scim/schema/index.js";
import { isTestConnectionProbe } from "../../scim/test-connection.js";
import { provisioningContext } from "./provisioning-context.js";
import { projectionOf, readScimBody, scimJson } from "./scim-json.js";
import { tenantBaseUrl } from "./tenant-url.js";
import { renderUsers, wantsGroups } from "./user-view.js";

const definition = (c: Context<AppEnv>) => resourceDefinitions(c.get("config")).user;

function single(c: Context<AppEnv>, row: UserRow, status: 200 | 201 = 200): Response {
  const [resource] = renderUsers(c, [row], definition(c), projectionOf(c));
  const headers: Record<string, string> = { ETag: weakETag(row.etag) };
  if (status === 201) headers.Location = `${tenantBaseUrl(c)}/Users/${row.id}`;
  return scimJson(c, resource, status, headers);
}

async function list(c: Context<AppEnv>, raw: RawListParameters): Promise<Response> {
  const query = parseListQuery(raw, definition(c));
  const { total, rows } = await users.listUsers(provisioningContext(c), query, wantsGroups(query.projection));
  if (c.req.method === "GET" && isTestConnectionProbe(raw.filter, total)) noteTestConnection(c);
  return scimJson(c, listResponse(renderUsers(c, rows, definition(c), query.projection), total, query.startIndex));
}

/** Records Entra's Test Connection probe for the setup page, after the response (it must never delay or fail the probe). */
function noteTestConnection(c: Context<AppEnv>): void {
  let ctx: { waitUntil(promise: Promise<unknown>): void };
  try {
    ctx = c.executionCtx;
  } catch {
    return; // no execution context (a bare app.request in a unit test): nothing would keep the write alive
  }
  const ua = c.req.header("user-agent");
  const userAgent = ua ? withoutSecrets(ua).slice(0, 256) : null;
  const probe = { at: Date.now(), requestId: c.get("requestId"), userAgent };
  ctx.waitUntil(
    recordTestConnectionProbe(c.env.DB, c.get("tenantId"), probe).catch((err: unknown) =>
      log("error", { type: "test-connection-record-failed", requestId: probe.requestId, ...errorFields(err) }),
    ),
  );
}

/** /Users (RFC 7644 §3.3, §3.4, §3.5, §3.6). `/.search` is registered before `/:id`. */
export function userRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const withGroups = (c: Context<AppEnv>) => wantsGroups(projectionOf(c));

  app.get("/", (c) => list(c, c.req.query()));
  app.post("/.search", async (c) => list(c, searchRequestParameters(await readScimBody(c))));

  app.post("/", async (c) => {
    const parsed = parseUserResource(await readScimBody(c), definition(c));
    const row = await users.createUser(provisioningContext(c), parsed);
    c.set("resourceId", row.id); // the provisioning log names the user created
    return single(c, row, 201);
  });

  app.get("/:id", async (c) => single(c, await users.getUser(provisioningContext(c), c.req.param("id"), withGroups(c))));

  app.put("/:id", async (c) => {
    // RFC 7644 §3.5.1: the body is parsed (and userName required) before any read.
    const replacement = parseUserResource(await readScimBody(c), definition(c));
    return single(c, await users.replaceUser(provisioningContext(c), c.req.param("id"), replacement, withGroups(c)));
  });

  app.patch("/:id", async (c) => {
    const ops = parsePatchRequest(await readScimBody(c));
    return single(c, await users.patchUser(provisioningContext(c), c.req.param("id"), ops, withGroups(c)));
  });

  app.delete("/:id", async (c) => {
    await users.deleteUser(provisioningContext(c), c.req.param("id"));
    return c.body(null, 204);
  });

  return app;
}
