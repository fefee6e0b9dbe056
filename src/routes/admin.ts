/**
 * The admin API (README, "Admin API"): tenants, their tokens and their
 * licences. JSON in and out; every failure is a JSON body
 * `{ error, detail, fields? }` with a precise status, never a stack trace.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { adminBearerAuth } from "../middleware/admin-auth/index.js";
import { forgetTenant } from "../middleware/live-tenant/index.js";
import {
  createTenant,
  deleteTenant,
  getTenantStats,
  listTenants,
  patchTenant,
  tenantsPerShard,
  TENANT_ID_PATTERN,
  TenantIdTakenError,
  type Tenant,
  type TenantStats,
} from "../storage/tenants.js";
import { CursorGone, readFeed } from "../feed/events.js";
import { InvalidCursor } from "../feed/cursor.js";
import { listLicences } from "../licence/current-licences.js";
import { issueToken, listTokens, revokeToken } from "../storage/tokens.js";
import { EVENT_TYPES } from "../storage/events.js";
import { errorReply, feedEventSchema, instant, mountedAt, noStoreHeader, noTenantReply as noTenant, openApiDocument, type Operation } from "./admin-openapi.js";
import { oauthClientOperations, oauthClientRoutes } from "./admin-oauth-clients.js";
import { AdminRequestError, adminErrorHandler, allShards, existingTenant, invalid, jsonBody, query, tenantData } from "./admin-request.js";
import { leastLoaded, openShard, shardNames } from "../storage/shards.js";
import { moveOperations, moveRoutes, refuseWhileMoving } from "./admin-moves.js";
import { adminRequestOperations, adminRequestRoutes } from "./admin-requests.js";
import { webhookOperations, webhookRoutes } from "./admin-webhooks.js";
import { setupLinkOperations, setupLinkRoutes } from "./admin-setup-links.js";
import { oauthOperations } from "./oauth.js";
import { dateTime } from "../scim/data-types.js";
import { normaliseDomains, normaliseLocations } from "../scim/resources/tenant-policy.js";

// ---------------------------------------------------------------------------
// Request schemas (Zod 4). Strict: a misspelt field is an error naming it,
// not silently ignored.

const domain = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(253, { error: "must be at most 253 characters" })
  .regex(/^@?[^\s@/:]+$/u, { error: "must be a bare domain such as contoso.com" });
const location = z.string({ error: "must be a string" }).trim().min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" });
const name = z.string({ error: "must be a string" }).trim().min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" });
// proGraceHours ≤ 23 plus the 15-minute sweep keeps every downgraded licence under 24 h (docs/licences.md).
const proGraceHours = z.int({ error: "must be an integer from 0 to 23" }).min(0, { error: "must be an integer from 0 to 23" }).max(23, { error: "must be an integer from 0 to 23" });
// What a group created without the licence extension attribute is (docs/licences.md).
const licenceWhenAbsent = z.enum(["pro", "free"], { error: 'must be "pro" or "free"' });
const tenantFields = {
  name,
  // Stored as the SCIM policy compares them: "@Contoso.COM." and "contoso.com" are one domain.
  allowedDomains: z.array(domain, { error: "must be an array of domains" }).max(100, { error: "must list at most 100 domains" }).transform(normaliseDomains),
  proGraceHours,
  locations: z.array(location, { error: "must be an array of strings" }).max(1000, { error: "must list at most 1000 locations" }).transform(normaliseLocations),
  licenceWhenAbsent,
};

const createTenantBody = z.strictObject({
  id: z.string({ error: "must be a string" }).regex(TENANT_ID_PATTERN, { error: `must match ${TENANT_ID_PATTERN.source}` }).optional(),
  name: tenantFields.name,
  allowedDomains: tenantFields.allowedDomains.optional(),
  proGraceHours: tenantFields.proGraceHours.optional(),
  locations: tenantFields.locations.optional(),
  licenceWhenAbsent: tenantFields.licenceWhenAbsent.optional(),
  shard: z
    .string({ error: "must be a string" })
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: "must be a D1 binding name listed in DATA_SHARDS" })
    .optional()
    .meta({ description: "The data shard (a D1 binding listed in DATA_SHARDS) to place the tenant on; default: the one with the fewest tenants." }),
});

const patchTenantBody = z
  .strictObject({
    name: tenantFields.name.optional(),
    allowedDomains: tenantFields.allowedDomains.optional(),
    proGraceHours: tenantFields.proGraceHours.optional(),
    locations: tenantFields.locations.optional(),
    licenceWhenAbsent: tenantFields.licenceWhenAbsent.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { error: "must set at least one of name, allowedDomains, proGraceHours, locations, licenceWhenAbsent" });

const issueTokenBody = z.strictObject({
  label: z.string({ error: "must be a string" }).trim().max(200, { error: "must be at most 200 characters" }).nullable().optional(),
  expiresInDays: z
    .int({ error: "must be a positive integer (days)" })
    .min(1, { error: "must be a positive integer (days)" })
    .max(3650, { error: "must be at most 3650 days" })
    .nullable()
    .optional(),
});

const listTenantsQuery = z.strictObject({
  after: z.string().optional(),
  limit: z.coerce.number({ error: "must be an integer from 1 to 1000" }).int({ error: "must be an integer from 1 to 1000" }).min(1, { error: "must be an integer from 1 to 1000" }).max(1000, { error: "must be an integer from 1 to 1000" }).optional(),
});

const licencesQuery = z.strictObject({
  status: z.enum(["active", "downgraded"], { error: 'must be "active" or "downgraded"' }).optional(),
  after: z.string().optional(),
  limit: z.coerce.number({ error: "must be an integer from 1 to 1000" }).int({ error: "must be an integer from 1 to 1000" }).min(1, { error: "must be an integer from 1 to 1000" }).max(1000, { error: "must be an integer from 1 to 1000" }).optional(),
});

const eventsQuery = z.strictObject({
  after: z.string().max(200, { error: "is not a cursor of this feed" }).optional(),
  limit: z.coerce.number({ error: "must be an integer from 1 to 1000" }).int({ error: "must be an integer from 1 to 1000" }).min(1, { error: "must be an integer from 1 to 1000" }).max(1000, { error: "must be an integer from 1 to 1000" }).optional(),
  type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(", ")}` }).optional(),
  resourceId: z.string().min(1).max(200).optional(),
});

// ---------------------------------------------------------------------------
// Response shapes, as Zod schemas for the OpenAPI document (src/routes/admin-openapi.ts)
// and for test/admin-openapi.test.ts, which holds the routes' answers to them.

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : dateTime(ms));

const count = z.int().nonnegative();
const tenantStats = z
  .strictObject({
    users: count,
    activeUsers: count,
    groups: count,
    memberships: count,
    proLicenses: count.meta({ description: "Licences held now: active, and downgraded before their expiresAt." }),
    downgradedLicenses: count,
  })
  .meta({ id: "TenantStats" });
const tenantResponse = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    scimBaseUrl: z.url().meta({ description: "The Tenant URL a customer pastes into its identity provider." }),
    allowedDomains: z.array(z.string()),
    proGraceHours: z.int(),
    locations: z.array(z.string()),
    licenceWhenAbsent: z.enum(["pro", "free"]),
    shard: z.string().meta({ description: "The data shard (D1 binding) holding the tenant's users, groups, licences, events and log." }),
    createdAt: instant,
  })
  .meta({ id: "Tenant", description: "A tenant and its policies (README, \"Admin API\")." });
const tenantWithStats = tenantResponse.extend({ stats: tenantStats }).meta({ id: "TenantWithStats" });
const tenantList = z.strictObject({
  tenants: z.array(tenantResponse),
  next: z.string().optional().meta({ description: "Present when more tenants follow: pass it as `after`." }),
});
const issuedToken = z
  .strictObject({
    id: z.string(),
    token: z.string().meta({ description: "`scim_…`: the Secret Token, shown this once; only its hash is stored." }),
    label: z.string().nullable(),
    createdAt: instant,
    expiresAt: instant.nullable(),
  })
  .meta({ id: "IssuedToken" });
const tokenResponse = z
  .strictObject({
    id: z.string(),
    label: z.string().nullable(),
    createdAt: instant,
    expiresAt: instant.nullable(),
    lastUsedAt: instant.optional().meta({ description: "Absent until the token is first used." }),
  })
  .meta({ id: "Token" });
const licenceResponse = z
  .strictObject({
    userId: z.string(),
    userName: z.string(),
    status: z.enum(["active", "downgraded"]),
    since: instant,
    downgradedAt: instant.nullable(),
    expiresAt: instant.nullable().meta({ description: "A downgraded licence's end: downgradedAt + proGraceHours." }),
  })
  .meta({ id: "Licence" });
const licenceList = z.strictObject({
  licenses: z.array(licenceResponse),
  next: z.string().optional().meta({ description: "Present when more licences follow: pass it as `after`." }),
});
const eventPage = z
  .strictObject({
    events: z.array(feedEventSchema),
    nextCursor: z.string().meta({ description: "Pass it as `after` next time; present on an empty page too." }),
  })
  .meta({ id: "EventPage" });
const cursorExpired = z
  .strictObject({ error: z.literal("cursor_expired"), detail: z.string(), oldestCursor: z.string().meta({ description: "Where to resume." }) })
  .meta({ id: "CursorExpired" });
const tenantPath = z.strictObject({ id: z.string().regex(TENANT_ID_PATTERN).meta({ description: "The tenant's id." }) });

type TenantView = z.output<typeof tenantResponse> & { stats?: TenantStats };

function tenantView(c: Context<AppEnv>, tenant: Tenant, stats?: TenantStats): TenantView {
  const view: TenantView = {
    id: tenant.id,
    name: tenant.name,
    // The Tenant URL a customer pastes into its identity provider.
    scimBaseUrl: `${new URL(c.req.url).origin}/tenants/${tenant.id}/scim/v2`,
    allowedDomains: tenant.allowedDomains,
    proGraceHours: tenant.proGraceHours,
    locations: tenant.locations,
    licenceWhenAbsent: tenant.licenceWhenAbsent,
    shard: tenant.shard,
    createdAt: dateTime(tenant.createdAt),
  };
  if (stats) view.stats = stats;
  return view;
}

// ---------------------------------------------------------------------------

const DEFAULT_PAGE = 500;
/** Admin request bodies: 1 MiB, as the SCIM API's maxPayloadSize. */
export const ADMIN_MAX_BODY_BYTES = 1_048_576;

export function adminRoutes(): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();
  // First: nothing below runs without the admin token.
  admin.use("*", adminBearerAuth);
  // Then the body limit: the largest valid body (1,000 locations of 200 characters) is well under it.
  admin.use(
    "*",
    bodyLimit({
      maxSize: ADMIN_MAX_BODY_BYTES,
      onError: (c) => c.json({ error: "payload_too_large", detail: `The request body exceeds ${ADMIN_MAX_BODY_BYTES} bytes.` }, 413),
    }),
  );
  // An id that cannot exist is refused before any KV or D1 read, whichever route it names.
  const knownShape = createMiddleware<AppEnv>(async (c, next) => {
    const id = c.req.param("id") ?? "";
    if (!TENANT_ID_PATTERN.test(id)) throw new AdminRequestError(404, "not_found", `No tenant "${id}".`);
    await next();
  });
  admin.use("/tenants/:id", knownShape);
  admin.use("/tenants/:id/*", knownShape);

  admin.onError(adminErrorHandler);

  admin.post("/tenants", async (c) => {
    const { shard: requested, ...body } = await jsonBody(c, createTenantBody);
    const control = c.get("database");
    const names = shardNames(c.env);
    if (requested !== undefined && !names.includes(requested)) {
      throw invalid([{ field: "shard", message: `is not a data shard of this deployment (DATA_SHARDS: ${names.join(", ")})` }]);
    }
    const shard = requested ?? (names.length === 1 ? names[0]! : leastLoaded(names, await tenantsPerShard(control.db)));
    try {
      const tenant = await createTenant(control, await openShard(c.env, shard, control.meter), body);
      // An id freed by a purge may be taken again: this isolate must not remember the old tenant as deleted.
      forgetTenant(tenant.id);
      return c.json(tenantView(c, tenant), 201);
    } catch (err) {
      if (err instanceof TenantIdTakenError) throw new AdminRequestError(409, "conflict", err.message, [{ field: "id", message: "is already taken" }]);
      throw err;
    }
  });

  admin.get("/tenants", async (c) => {
    const { after, limit } = query(c, listTenantsQuery);
    const page = await listTenants(c.get("database").db, { after, limit: limit ?? DEFAULT_PAGE });
    // `next` is an addition to the `{ tenants }` shape: present only when more tenants follow.
    return c.json({ tenants: page.tenants.map((t) => tenantView(c, t)), ...(page.next ? { next: page.next } : {}) });
  });

  admin.get("/tenants/:id", async (c) => {
    const tenant = await existingTenant(c.get("database").db, c.req.param("id"));
    return c.json(tenantView(c, tenant, await getTenantStats((await tenantData(c, tenant)).db, tenant.id)));
  });

  admin.patch("/tenants/:id", async (c) => {
    const control = c.get("database");
    const found = await existingTenant(control.db, c.req.param("id"));
    const body = await jsonBody(c, patchTenantBody);
    await refuseWhileMoving(control.db, found.id, "change its policies");
    const tenant = await patchTenant(control, await tenantData(c, found), found.id, body);
    if (!tenant) throw new AdminRequestError(404, "not_found", `No tenant "${c.req.param("id")}".`);
    return c.json(tenantView(c, tenant));
  });

  admin.delete("/tenants/:id", async (c) => {
    const id = c.req.param("id");
    // deleteTenant also resumes the purge of a tenant already marked deleted.
    if (TENANT_ID_PATTERN.test(id)) await refuseWhileMoving(c.get("database").db, id, "delete it");
    const found = TENANT_ID_PATTERN.test(id) && (await deleteTenant(c.get("database"), await allShards(c), c.env.TOKENS, id));
    // SCIM requests served by this isolate see the delete at once (others within LIVENESS_TTL_MS).
    forgetTenant(id);
    if (!found) throw new AdminRequestError(404, "not_found", `No tenant "${id}".`);
    return c.body(null, 204);
  });

  admin.post("/tenants/:id/tokens", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    const body = await jsonBody(c, issueTokenBody);
    const label = body.label === undefined || body.label === null || body.label === "" ? null : body.label;
    const issued = await issueToken(db, c.env.TOKENS, tenant.id, { label, expiresInDays: body.expiresInDays ?? null, shard: tenant.shard });
    // The only time the plain token is ever shown (only its hash is stored): no cache may keep it.
    c.header("Cache-Control", "no-store");
    return c.json(
      { id: issued.id, token: issued.token, label: issued.label, createdAt: dateTime(issued.createdAt), expiresAt: isoOrNull(issued.expiresAt) },
      201,
    );
  });

  admin.get("/tenants/:id/tokens", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    const rows = await listTokens(db, tenant.id);
    return c.json({
      tokens: rows.map((t) => ({
        id: t.id,
        label: t.label,
        createdAt: dateTime(t.createdAt),
        expiresAt: isoOrNull(t.expiresAt),
        ...(t.lastUsedAt === null ? {} : { lastUsedAt: dateTime(t.lastUsedAt) }),
      })),
    });
  });

  admin.delete("/tenants/:id/tokens/:tokenId", async (c) => {
    const { db } = c.get("database");
    const tenant = await existingTenant(db, c.req.param("id"));
    const tokenId = c.req.param("tokenId");
    if (!(await revokeToken(db, c.env.TOKENS, tenant.id, tokenId))) {
      throw new AdminRequestError(404, "not_found", `No token "${tokenId}" for tenant "${tenant.id}".`);
    }
    return c.body(null, 204);
  });

  admin.get("/tenants/:id/licenses", async (c) => {
    const tenant = await existingTenant(c.get("database").db, c.req.param("id"));
    const { status, after, limit } = query(c, licencesQuery);
    const page = await listLicences((await tenantData(c, tenant)).db, tenant.id, { status, after, limit });
    // `{ licenses: [...] }`, plus `next` (a cursor for ?after=) when more follow.
    return c.json(page.nextCursor ? { licenses: page.licenses, next: page.nextCursor } : { licenses: page.licenses });
  });

  // The change feed (docs/events.md): one tenant's, and every tenant's in one order.
  const feed = async (c: Context<AppEnv>, tenantId: string | undefined) => {
    const q = query(c, eventsQuery);
    try {
      if (tenantId === undefined) return c.json(await readFeed(await allShards(c), q));
      const tenant = await existingTenant(c.get("database").db, tenantId);
      return c.json(await readFeed([await tenantData(c, tenant)], { ...q, tenantId }));
    } catch (err) {
      if (err instanceof InvalidCursor) throw invalid([{ field: "after", message: err.message }]);
      if (err instanceof CursorGone) return c.json({ error: "cursor_expired", detail: err.message, oldestCursor: err.oldestCursor }, 410);
      throw err;
    }
  };
  admin.get("/tenants/:id/events", async (c) => feed(c, c.req.param("id")));
  admin.get("/events", (c) => feed(c, undefined));

  // OAuth 2.0 clients of a tenant (client credentials): src/routes/admin-oauth-clients.ts.
  admin.route("/tenants/:id/oauth-clients", oauthClientRoutes());
  // The provisioning log: the tenant's requests and a user's history (src/routes/admin-requests.ts).
  admin.route("/tenants/:id", adminRequestRoutes());
  // Webhook endpoints and their delivery state (docs/webhooks.md): src/routes/admin-webhooks.ts.
  admin.route("/webhooks", webhookRoutes());
  // Setup links: the customer's self-serve page for one tenant (src/routes/admin-setup-links.ts).
  admin.route("/tenants/:id/setup-links", setupLinkRoutes());
  // Moving a tenant to another data shard (src/routes/admin-moves.ts, src/moves/).
  admin.route("/tenants/:id/move", moveRoutes());

  // This API's OpenAPI 3.1 document, built from the operations below. Behind the admin token like
  // every admin route: it holds no secret, but nobody but the admin needs it.
  admin.get("/openapi.json", (c) => c.json(openApiDocumentFor(new URL(c.req.url).origin)));

  return admin;
}

// ---------------------------------------------------------------------------
// The OpenAPI document: every route above, next to the schemas it validates with.

const tenantOperations: Operation[] = [
  {
    operationId: "createTenant",
    method: "post",
    path: "/tenants",
    tag: "Tenants",
    summary: "Create a tenant",
    description: "Without `id`, one is generated. Policies: allowedDomains, locations, proGraceHours, licenceWhenAbsent (README, \"Admin API\").",
    body: createTenantBody,
    responses: {
      201: { description: "Created.", body: tenantResponse },
      409: errorReply("conflict: the id is taken (also by a tenant still being deleted); `fields` names `id`."),
    },
  },
  {
    operationId: "listTenants",
    method: "get",
    path: "/tenants",
    tag: "Tenants",
    summary: `Live tenants in id order, ${DEFAULT_PAGE} a page unless \`limit\` says`,
    query: listTenantsQuery,
    responses: { 200: { description: "A page of tenants.", body: tenantList } },
  },
  {
    operationId: "getTenant",
    method: "get",
    path: "/tenants/:id",
    tag: "Tenants",
    summary: "A tenant with its stats",
    params: tenantPath,
    responses: { 200: { description: "The tenant.", body: tenantWithStats }, 404: noTenant },
  },
  {
    operationId: "patchTenant",
    method: "patch",
    path: "/tenants/:id",
    tag: "Tenants",
    summary: "Change a tenant's name or policies",
    description: "Fields not sent are kept; at least one must be sent.",
    params: tenantPath,
    body: patchTenantBody,
    responses: { 200: { description: "The tenant as changed.", body: tenantResponse }, 404: noTenant },
  },
  {
    operationId: "deleteTenant",
    method: "delete",
    path: "/tenants/:id",
    tag: "Tenants",
    summary: "Delete a tenant with its users, groups, licences, tokens, clients, events and log",
    description: "Its SCIM routes refuse it at once. Repeating the call resumes a purge that was interrupted.",
    params: tenantPath,
    responses: { 204: { description: "Deleted." }, 404: noTenant },
  },
  {
    operationId: "issueToken",
    method: "post",
    path: "/tenants/:id/tokens",
    tag: "Tokens",
    summary: "Issue a Secret Token for the tenant's SCIM routes",
    description: "The token is in this answer only. An empty body is `{}`: no label, no expiry.",
    params: tenantPath,
    body: issueTokenBody,
    responses: { 201: { description: "Issued.", body: issuedToken, headers: noStoreHeader }, 404: noTenant },
  },
  {
    operationId: "listTokens",
    method: "get",
    path: "/tenants/:id/tokens",
    tag: "Tokens",
    summary: "The tenant's tokens: ids, labels, dates; never a token",
    params: tenantPath,
    responses: { 200: { description: "The tokens.", body: z.strictObject({ tokens: z.array(tokenResponse) }) }, 404: noTenant },
  },
  {
    operationId: "revokeToken",
    method: "delete",
    path: "/tenants/:id/tokens/:tokenId",
    tag: "Tokens",
    summary: "Revoke a token",
    description: "A far Cloudflare location may still accept it for up to a minute (KV's cache).",
    params: tenantPath.extend({ tokenId: z.string() }),
    responses: { 204: { description: "Revoked." }, 404: errorReply("not_found: no such tenant, or no such token of it.") },
  },
  {
    operationId: "listLicences",
    method: "get",
    path: "/tenants/:id/licenses",
    tag: "Licences",
    summary: "Licences held now, in user id order; an expired downgraded licence is never listed",
    params: tenantPath,
    query: licencesQuery,
    responses: { 200: { description: "A page of licences.", body: licenceList }, 404: noTenant },
  },
  {
    operationId: "listTenantEvents",
    method: "get",
    path: "/tenants/:id/events",
    tag: "Change feed",
    summary: "The tenant's change feed, oldest first (docs/events.md)",
    params: tenantPath,
    query: eventsQuery,
    responses: {
      200: { description: "A page of events.", body: eventPage },
      404: noTenant,
      410: { description: "cursor_expired: the cursor is older than retention; resume from oldestCursor.", body: cursorExpired },
    },
  },
  {
    operationId: "listEvents",
    method: "get",
    path: "/events",
    tag: "Change feed",
    summary: "Every tenant's change feed in one order, oldest first (docs/events.md)",
    query: eventsQuery,
    responses: {
      200: { description: "A page of events.", body: eventPage },
      410: { description: "cursor_expired: the cursor is older than retention; resume from oldestCursor.", body: cursorExpired },
    },
  },
  {
    operationId: "getOpenApiDocument",
    method: "get",
    path: "/openapi.json",
    tag: "Document",
    summary: "This document (OpenAPI 3.1)",
    responses: { 200: { description: "The document.", body: z.looseObject({ openapi: z.literal("3.1.1") }) } },
  },
];

/**
 * Every admin operation at its full path (src/app.ts mounts adminRoutes() at
 * /admin), then each tenant's token endpoint and metadata (src/routes/oauth.ts).
 */
export const documentedOperations: readonly Operation[] = [
  ...mountedAt("/admin", [
    ...tenantOperations,
    ...mountedAt("/tenants/:id/oauth-clients", oauthClientOperations, tenantPath),
    ...mountedAt("/tenants/:id", adminRequestOperations, tenantPath),
    ...mountedAt("/webhooks", webhookOperations),
    ...mountedAt("/tenants/:id/setup-links", setupLinkOperations, tenantPath),
    ...mountedAt("/tenants/:id/move", moveOperations, tenantPath),
  ]),
  ...oauthOperations,
];

const openApiDocumentFor = openApiDocument(
  {
    title: "scim-edge admin API",
    version: "1",
    description: [
      "Tenants, their tokens and licences, the change feed, webhooks, OAuth clients and the provisioning log of a scim-edge worker (README.md, \"Admin API\").",
      "",
      "Every admin route needs `Authorization: Bearer <ADMIN_TOKEN>`. Bodies are JSON, at most 1 MiB; an empty body counts as `{}`. Unknown fields are refused, not ignored.",
      "",
      "Every refusal is `{ error, detail, fields? }` (the Error schema): `error` a stable code, `detail` a sentence, `fields` each refused field of the body or query with what is wrong with it.",
    ].join("\n"),
    tags: [
      { name: "Tenants", description: "Tenants and their policies." },
      { name: "Tokens", description: "Long-lived Secret Tokens for a tenant's SCIM routes." },
      { name: "Licences", description: "Pro licences held now (docs/licences.md)." },
      { name: "Change feed", description: "One event per change, in order (docs/events.md)." },
      { name: "Webhooks", description: "The change feed pushed to HTTPS endpoints (docs/webhooks.md)." },
      { name: "OAuth clients", description: "A tenant's OAuth 2.0 clients for the client credentials grant." },
      { name: "Provisioning log", description: "A tenant's SCIM requests and a user's history (README, \"Provisioning log\")." },
      { name: "Document", description: "This document." },
      { name: "OAuth token endpoint", description: "Each tenant's token endpoint and RFC 8414 metadata; not behind the admin token." },
    ],
  },
  documentedOperations,
);
