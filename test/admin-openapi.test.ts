/**
 * GET /admin/openapi.json: an OpenAPI 3.1 document that describes every route
 * the worker registers outside SCIM (the admin API, each tenant's token
 * endpoint and metadata), whose request schemas are the ones the routes
 * validate with, and whose response schemas the routes' real answers meet.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { openApiPath, type Operation } from "../src/routes/admin-openapi.js";
import { adminErrorBody } from "../src/routes/admin-request.js";
import { documentedOperations } from "../src/routes/admin.js";
import { oauthRoutes } from "../src/routes/oauth.js";
import { EVENT_TYPES } from "../src/storage/events.js";
import { admin, call, createTenant } from "./support/admin-client.js";
import { loggedTenant } from "./support/provisioning-log.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is JSON, walked field by field */
type Json = any;

async function openApi(): Promise<Json> {
  const res = await admin("GET", "/admin/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return res.json();
}

/** Every `$ref` anywhere below `value`. */
function refs(value: Json, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** `METHOD /path/{param}` of every operation in the document. */
function documentedRoutes(doc: Json): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const method of Object.keys(item).filter((k) => METHODS.includes(k))) out.push(`${method.toUpperCase()} ${path}`);
  }
  return out.sort();
}

/**
 * `METHOD /path/{param}` of every route the worker's Hono app registers
 * under /admin (as src/app.ts mounts it, so a mount moved is caught too),
 * and of each tenant's token endpoint and metadata (src/routes/oauth.ts).
 * Middleware (`use`) is registered with method ALL and is not a route; the
 * token endpoint's catch-alls (405, 404) are ALL too.
 */
function registeredRoutes(): string[] {
  const admin = createApp().routes.filter((r) => r.path === "/admin" || r.path.startsWith("/admin/"));
  const routes = [...admin, ...oauthRoutes().routes].filter((r) => r.method !== "ALL").map((r) => `${r.method} ${openApiPath(r.path)}`);
  return [...new Set(routes)].sort();
}

function operation(method: string, template: string): Operation {
  const op = documentedOperations.find((o) => o.method === method.toLowerCase() && openApiPath(o.path) === template);
  if (!op) throw new Error(`${method} ${template} is not documented`);
  return op;
}

/** The operations a test held a real answer of to the document. */
const answered = new Set<string>();

/**
 * Holds a real answer to the document: its status is one the operation
 * lists, and its body (if any) meets that status's schema — the same Zod
 * schema the document was generated from, strict, so a field the route
 * sends and the document lacks fails too.
 */
async function expectDocumented(doc: Json, method: string, template: string, res: Response): Promise<Json> {
  answered.add(operation(method, template).operationId);
  const statuses = Object.keys(doc.paths[template]?.[method.toLowerCase()]?.responses ?? {});
  expect(statuses, `${method} ${template} answered ${res.status}`).toContain(String(res.status));
  // Responses the builder adds to every admin operation (401, 413, 500, 503, and 400 with a query or body) are admin errors.
  const schema = operation(method, template).responses[res.status] ? operation(method, template).responses[res.status]?.body : adminErrorBody;
  if (!schema) {
    expect(await res.text()).toBe("");
    return undefined;
  }
  const body: Json = await res.json();
  const parsed = schema.safeParse(body);
  expect(parsed.success, `${method} ${template} ${res.status}: ${JSON.stringify(parsed.error?.issues)}\n${JSON.stringify(body)}`).toBe(true);
  return body;
}

describe("GET /admin/openapi.json", () => {
  it("is behind the admin token like every admin route", async () => {
    expect((await call("/admin/openapi.json")).status).toBe(401);
    expect((await call("/admin/openapi.json", { headers: { authorization: "Bearer not-the-token" } })).status).toBe(401);
  });

  it("is an OpenAPI 3.1 document: openapi, info, servers, paths, components, bearer security", async () => {
    const doc = await openApi();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe("string");
    expect(typeof doc.info.version).toBe("string");
    expect(doc.servers).toEqual([{ url: "http://local.test" }]);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ adminToken: [] }]);
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", required: ["error", "detail"] });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);

    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      // Path Templating (OpenAPI 3.1.1 §4.8.8): every {name} is a required path parameter, and nothing else is.
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      expect(path).not.toMatch(/:/);
      for (const [method, op] of Object.entries<Json>(item)) {
        expect(METHODS).toContain(method);
        const pathParams = (op.parameters ?? []).filter((p: Json) => p.in === "path");
        expect(pathParams.map((p: Json) => p.name).sort(), `${method} ${path}`).toEqual(templated);
        for (const p of pathParams) expect(p.required).toBe(true);
        expect(typeof op.operationId).toBe("string");
        expect(operationIds.has(op.operationId), op.operationId).toBe(false);
        operationIds.add(op.operationId);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [status, reply] of Object.entries<Json>(op.responses)) {
          expect(status).toMatch(/^[1-5]\d\d$/);
          expect(typeof reply.description).toBe("string");
        }
        // Every admin operation states its refusals in the admin error shape.
        if (op.security === undefined) {
          for (const status of ["401", "500", "503"]) expect(op.responses[status].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
        }
      }
    }
    // Every reference resolves inside the document.
    for (const ref of new Set(refs(doc))) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.slice("#/components/schemas/".length)], ref).toBeDefined();
    }
  });

  it("documents every admin route the worker registers, and the token endpoint's, and nothing it does not", async () => {
    const doc = await openApi();
    const registered = registeredRoutes();
    // The admin API and the token endpoint are both in what the app registers.
    expect(registered).toEqual(expect.arrayContaining(["POST /admin/tenants", "GET /admin/tenants/{id}/users/{userId}/history", "POST /tenants/{tenantId}/oauth/token"]));
    expect(documentedRoutes(doc)).toEqual(registered);
  });

  it("describes the bodies and queries with the schemas the routes validate with", async () => {
    const doc = await openApi();
    const createBody = doc.paths["/admin/tenants"].post.requestBody;
    expect(createBody.required).toBe(true);
    const tenantSchema = createBody.content["application/json"].schema;
    expect(tenantSchema.additionalProperties).toBe(false);
    expect(tenantSchema.required).toEqual(["name"]);
    expect(tenantSchema.properties.proGraceHours).toEqual({ type: "integer", minimum: 0, maximum: 23 });
    expect(tenantSchema.properties.licenceWhenAbsent).toEqual({ type: "string", enum: ["pro", "free"] });
    // PATCH takes the same fields, all optional.
    const patchSchema = doc.paths["/admin/tenants/{id}"].patch.requestBody.content["application/json"].schema;
    expect(patchSchema.properties.proGraceHours).toEqual(tenantSchema.properties.proGraceHours);
    expect(patchSchema.required).toBeUndefined();
    // A token's body may be empty.
    expect(doc.paths["/admin/tenants/{id}/tokens"].post.requestBody.required).toBe(false);
    // The one list of event types, in the feed's filter and in webhook subscriptions.
    const feedParams = doc.paths["/admin/events"].get.parameters;
    expect(feedParams.find((p: Json) => p.name === "type").schema.enum).toEqual([...EVENT_TYPES]);
    expect(feedParams.find((p: Json) => p.name === "limit")).toMatchObject({ in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } });
    const webhookTypes = doc.paths["/admin/webhooks"].post.requestBody.content["application/json"].schema.properties.types;
    expect(JSON.stringify(webhookTypes)).toContain(JSON.stringify([...EVENT_TYPES]));
    const status = doc.paths["/admin/tenants/{id}/requests"].get.parameters.find((p: Json) => p.name === "status");
    expect(status.schema.enum).toEqual(["4xx", "5xx"]);
  });

  it("and the routes refuse exactly past the bounds the document states", async () => {
    const doc = await openApi();
    const properties = doc.paths["/admin/tenants"].post.requestBody.content["application/json"].schema.properties;
    const { minimum, maximum } = properties.proGraceHours;
    const id = `oa-${crypto.randomUUID().slice(0, 8)}`;
    for (const bad of [minimum - 1, maximum + 1, 1.5]) {
      const res = await admin("POST", "/admin/tenants", { id, name: "Bounds", proGraceHours: bad });
      const body = await expectDocumented(doc, "POST", "/admin/tenants", res);
      expect(res.status).toBe(400);
      expect(body.fields).toEqual([{ field: "proGraceHours", message: "must be an integer from 0 to 23" }]);
    }
    const badEnum = await admin("POST", "/admin/tenants", { id, name: "Bounds", licenceWhenAbsent: "maybe" });
    expect(badEnum.status).toBe(400);
    expect((await badEnum.json<Json>()).fields.map((f: Json) => f.field)).toEqual(["licenceWhenAbsent"]);
    const created = await admin("POST", "/admin/tenants", { id, name: "Bounds", proGraceHours: maximum, licenceWhenAbsent: properties.licenceWhenAbsent.enum[1] });
    expect((await expectDocumented(doc, "POST", "/admin/tenants", created)).proGraceHours).toBe(maximum);

    const limit = doc.paths["/admin/events"].get.parameters.find((p: Json) => p.name === "limit").schema;
    const tooMany = await admin("GET", `/admin/events?limit=${limit.maximum + 1}`);
    expect((await expectDocumented(doc, "GET", "/admin/events", tooMany)).fields.map((f: Json) => f.field)).toEqual(["limit"]);
    expect((await admin("GET", `/admin/events?limit=${limit.maximum}`)).status).toBe(200);
    await admin("DELETE", `/admin/tenants/${id}`);
  });

  it("says what the routes answer: their real answers meet the response schemas", async () => {
    answered.clear();
    const doc = await openApi();
    const t = await loggedTenant({ allowedDomains: ["contoso.com"] });
    const user = await t.request("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@contoso.com" });
    expect(user.status).toBe(201);
    await t.request("GET", "/Users/no-such-user");
    const tenant = `/admin/tenants/${t.id}`;

    const check = async (method: string, template: string, path: string, body?: unknown) => expectDocumented(doc, method, template, await admin(method, path, body));
    await check("GET", "/admin/tenants", "/admin/tenants?limit=1");
    await check("GET", "/admin/tenants/{id}", tenant);
    await check("GET", "/admin/tenants/{id}", "/admin/tenants/no-such-tenant");
    await check("PATCH", "/admin/tenants/{id}", tenant, { locations: ["Paris"] });
    await check("PATCH", "/admin/tenants/{id}", tenant, { nmae: "typo" });
    await check("POST", "/admin/tenants", "/admin/tenants", { id: t.id, name: "Taken" });
    const issued = await admin("POST", `${tenant}/tokens`, { label: "docs", expiresInDays: 30 });
    expect(issued.headers.get("cache-control")).toBe("no-store");
    const token = await expectDocumented(doc, "POST", "/admin/tenants/{id}/tokens", issued);
    await check("GET", "/admin/tenants/{id}/tokens", `${tenant}/tokens`);
    await check("DELETE", "/admin/tenants/{id}/tokens/{tokenId}", `${tenant}/tokens/${token.id}`);
    await check("DELETE", "/admin/tenants/{id}/tokens/{tokenId}", `${tenant}/tokens/${token.id}`);
    await check("GET", "/admin/tenants/{id}/licenses", `${tenant}/licenses`);
    const page = await check("GET", "/admin/tenants/{id}/events", `${tenant}/events`);
    expect(page.events.map((e: Json) => e.type)).toContain("user.created");
    await check("GET", "/admin/events", "/admin/events?limit=5");
    await check("GET", "/admin/events", "/admin/events?after=not-a-cursor");
    const requests = await check("GET", "/admin/tenants/{id}/requests", `${tenant}/requests`);
    expect(requests.requests.map((r: Json) => r.status)).toEqual(expect.arrayContaining([201, 404]));
    const history = await check("GET", "/admin/tenants/{id}/users/{userId}/history", `${tenant}/users/${user.body.id}/history`);
    expect(history.items.map((i: Json) => i.kind)).toEqual(expect.arrayContaining(["event", "request"]));

    const client = await check("POST", "/admin/tenants/{id}/oauth-clients", `${tenant}/oauth-clients`, { label: "Entra" });
    await check("GET", "/admin/tenants/{id}/oauth-clients", `${tenant}/oauth-clients`);
    await check("GET", "/admin/tenants/{id}/oauth-clients/{clientId}", `${tenant}/oauth-clients/${client.clientId}`);
    const second = await check("POST", "/admin/tenants/{id}/oauth-clients/{clientId}/secrets", `${tenant}/oauth-clients/${client.clientId}/secrets`);
    await check("POST", "/admin/tenants/{id}/oauth-clients/{clientId}/secrets", `${tenant}/oauth-clients/${client.clientId}/secrets`);
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: client.clientId, client_secret: second.clientSecret });
    const tokenPath = `/tenants/${t.id}/oauth/token`;
    const form200 = await call(tokenPath, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
    expect((await expectDocumented(doc, "POST", "/tenants/{tenantId}/oauth/token", form200)).token_type).toBe("Bearer");
    form.set("client_secret", "scimcs_wrong");
    await expectDocumented(doc, "POST", "/tenants/{tenantId}/oauth/token", await call(tokenPath, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form }));
    await expectDocumented(doc, "GET", "/tenants/{tenantId}/.well-known/oauth-authorization-server", await call(`/tenants/${t.id}/.well-known/oauth-authorization-server`));
    await expectDocumented(doc, "GET", "/.well-known/oauth-authorization-server/tenants/{tenantId}", await call(`/.well-known/oauth-authorization-server/tenants/${t.id}`));
    await check("DELETE", "/admin/tenants/{id}/oauth-clients/{clientId}/secrets/{secretId}", `${tenant}/oauth-clients/${client.clientId}/secrets/${second.secretId}`);
    await check("DELETE", "/admin/tenants/{id}/oauth-clients/{clientId}", `${tenant}/oauth-clients/${client.clientId}`);
    await check("GET", "/admin/tenants/{id}/oauth-clients/{clientId}", `${tenant}/oauth-clients/${client.clientId}`);

    const link = await check("POST", "/admin/tenants/{id}/setup-links", `${tenant}/setup-links`, { expiresInDays: 2 });
    await check("DELETE", "/admin/tenants/{id}/setup-links/{linkId}", `${tenant}/setup-links/${link.id}`);
    await check("DELETE", "/admin/tenants/{id}/setup-links/{linkId}", `${tenant}/setup-links/${link.id}`);

    // One data shard here, so no move can start (test/shards/tenant-move-*.test.ts has the others' answers).
    await check("POST", "/admin/tenants/{id}/move", `${tenant}/move`, { to: "DB" });
    await check("GET", "/admin/tenants/{id}/move", `${tenant}/move`);
    await check("DELETE", "/admin/tenants/{id}/move", `${tenant}/move`);

    const webhook = await check("POST", "/admin/webhooks", "/admin/webhooks", { url: "https://receiver.example.com/scim", tenantId: t.id, types: ["user.created"] });
    await check("POST", "/admin/webhooks", "/admin/webhooks", { url: "http://receiver.example.com/scim" });
    await check("GET", "/admin/webhooks", "/admin/webhooks");
    await check("GET", "/admin/webhooks/{webhookId}", `/admin/webhooks/${webhook.id}`);
    await check("DELETE", "/admin/webhooks/{webhookId}", `/admin/webhooks/${webhook.id}`);
    await check("DELETE", "/admin/webhooks/{webhookId}", `/admin/webhooks/${webhook.id}`);

    await check("DELETE", "/admin/tenants/{id}", tenant);
    await check("GET", "/admin/tenants/{id}/requests", `${tenant}/requests`);
    const mine = await createTenant({ name: "Mine" });
    await check("DELETE", "/admin/tenants/{id}", `/admin/tenants/${mine.id}`);
    await check("GET", "/admin/openapi.json", "/admin/openapi.json");

    // Every operation's answer was checked: a route added later needs a line above, not only a description.
    expect(documentedOperations.map((o) => o.operationId).filter((id) => !answered.has(id))).toEqual([]);
  });
});
