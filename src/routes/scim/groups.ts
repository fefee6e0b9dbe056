import { Hono, type Context } from "hono";
import type { AppEnv } from "../../context.js";
import * as groups from "../../provisioning/groups.js";
import type { GroupRow } from "../../provisioning/groups.js";
import { parseListQuery, searchRequestParameters, type RawListParameters } from "../../scim/list-query.js";
import { listResponse } from "../../scim/list-response.js";
import { parsePatchRequest } from "../../scim/patch/index.js";
import { parseGroupResource, weakETag } from "../../scim/resources/index.js";
import { resourceDefinitions } from "../../scim/schema/index.js";
import { renderGroups, streamGroup, wantsMembers } from "./group-view.js";
import { provisioningContext } from "./provisioning-context.js";
import { projectionOf, readScimBody, scimJson } from "./scim-json.js";
import { tenantBaseUrl } from "./tenant-url.js";

const definition = (c: Context<AppEnv>) => resourceDefinitions(c.get("config")).group;

function single(c: Context<AppEnv>, row: GroupRow, status: 200 | 201 = 200, headers: Record<string, string> = {}): Response {
  return streamGroup(c, row, groups.memberPages(provisioningContext(c), row.id), definition(c), projectionOf(c), status, headers);
}

async function list(c: Context<AppEnv>, raw: RawListParameters): Promise<Response> {
  const query = parseListQuery(raw, definition(c));
  const { total, groups: found } = await groups.listGroups(provisioningContext(c), query, wantsMembers(query.projection, definition(c)));
  return scimJson(c, listResponse(renderGroups(c, found, definition(c), query.projection), total, query.startIndex));
}

/** /Groups (RFC 7644 §3.3–§3.6). `/.search` is registered before `/:id`. */
export function groupRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/", (c) => list(c, c.req.query()));
  app.post("/.search", async (c) => list(c, searchRequestParameters(await readScimBody(c))));

  app.post("/", async (c) => {
    const parsed = parseGroupResource(await readScimBody(c), definition(c), c.get("config"));
    const row = await groups.createGroup(provisioningContext(c), parsed);
    c.set("resourceId", row.id); // the provisioning log names the group created
    return single(c, row, 201, { Location: `${tenantBaseUrl(c)}/Groups/${row.id}` });
  });

  app.get("/:id", async (c) => single(c, await groups.getGroup(provisioningContext(c), c.req.param("id"))));

  app.put("/:id", async (c) => {
    const parsed = parseGroupResource(await readScimBody(c), definition(c), c.get("config"));
    return single(c, await groups.replaceGroup(provisioningContext(c), c.req.param("id"), parsed));
  });

  app.patch("/:id", async (c) => {
    const ops = parsePatchRequest(await readScimBody(c));
    const etag = await groups.patchGroup(provisioningContext(c), c.req.param("id"), ops);
    // Entra expects 204 for group PATCH ("returning all the members isn't advisable": Microsoft's SCIM guide for Entra ID).
    return c.body(null, 204, etag ? { ETag: weakETag(etag) } : {});
  });

  app.delete("/:id", async (c) => {
    await groups.deleteGroup(provisioningContext(c), c.req.param("id"));
    return c.body(null, 204);
  });

  return app;
}
