import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { resourceType, resourceTypes, schema, schemas, serviceProviderConfig } from "../../scim/discovery/index.js";
import { ScimError } from "../../scim/errors.js";
import { resourceDefinitions } from "../../scim/schema/index.js";
import { scimJson } from "./scim-json.js";
import { tenantBaseUrl } from "./tenant-url.js";

/**
 * Discovery (RFC 7644 §4). Served per tenant because the vendor's extension
 * URNs are configuration. A `filter` on these endpoints SHOULD be refused
 * with 403 (RFC 7644 §4).
 */
export function discoveryRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const noFilter = createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.query("filter") !== undefined) throw new ScimError(403, "Discovery endpoints do not support filtering (RFC 7644 §4).");
    await next();
  });
  for (const path of ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/*", "/Schemas", "/Schemas/*"]) app.use(path, noFilter);
  app.get("/ServiceProviderConfig", (c) => scimJson(c, serviceProviderConfig(tenantBaseUrl(c))));
  app.get("/ResourceTypes", (c) => scimJson(c, resourceTypes(tenantBaseUrl(c), resourceDefinitions(c.get("config")))));
  app.get("/ResourceTypes/:name", (c) => {
    const found = resourceType(tenantBaseUrl(c), resourceDefinitions(c.get("config")), c.req.param("name"));
    if (!found) throw ScimError.notFound(`No resource type "${c.req.param("name")}".`);
    return scimJson(c, found);
  });
  app.get("/Schemas", (c) => scimJson(c, schemas(tenantBaseUrl(c), resourceDefinitions(c.get("config")))));
  app.get("/Schemas/:urn", (c) => {
    const found = schema(tenantBaseUrl(c), resourceDefinitions(c.get("config")), c.req.param("urn"));
    if (!found) throw ScimError.notFound(`No schema "${c.req.param("urn")}".`);
    return scimJson(c, found);
  });
  return app;
}
