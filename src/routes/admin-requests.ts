/**
 * Admin API for a tenant's provisioning log (README, "Provisioning log"),
 * mounted by src/routes/admin.ts at /admin/tenants/:id, behind the admin
 * bearer token:
 *
 *   GET /requests?status=4xx|5xx&after=…&limit=…   the tenant's SCIM requests, newest first
 *   GET /users/:userId/history?after=…&limit=…      one user's events and requests, newest first
 *
 * Both answer a page and `nextCursor` (pass it as `after`; null when nothing
 * older is left). Errors have the admin API's shape `{ error, detail,
 * fields? }`: thrown as AdminRequestError and rendered by adminErrorHandler
 * (src/routes/admin-request.ts). `adminRequestOperations`, at the end,
 * describes the routes for the OpenAPI document (src/routes/admin-openapi.ts).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { InvalidLogCursor } from "../provisioning-log/cursor.js";
import { readUserHistory } from "../provisioning-log/history.js";
import { MAX_PAGE, readRequestLog } from "../provisioning-log/requests.js";
import { logRetentionDays } from "../provisioning-log/retention.js";
import { feedEventSchema, instant, noTenantReply, type Operation } from "./admin-openapi.js";
import { adminErrorHandler, invalid, pathTenant, query, tenantData } from "./admin-request.js";

const limitError = `must be an integer from 1 to ${MAX_PAGE}`;
const limit = z.coerce.number({ error: limitError }).int({ error: limitError }).min(1, { error: limitError }).max(MAX_PAGE, { error: limitError });
const after = z.string().min(1, { error: "is not a cursor of this log" }).max(400, { error: "is not a cursor of this log" });
const requestsQuery = z.strictObject({
  status: z.enum(["4xx", "5xx"], { error: 'must be "4xx" or "5xx"' }).optional(),
  after: after.optional(),
  limit: limit.optional(),
});
const historyQuery = z.strictObject({ after: after.optional(), limit: limit.optional() });

// Responses (README, "Provisioning log"), for the OpenAPI document and the tests that hold the routes to it.
const loggedRequest = z
  .strictObject({
    requestId: z.string().meta({ description: "The X-Request-Id of the response; the events it caused carry it too." }),
    at: instant,
    method: z.string(),
    path: z.string().meta({ description: "Relative to the Tenant URL, without the query string." }),
    status: z.int(),
    scimType: z.string().nullable(),
    detail: z.string().nullable().meta({ description: "The SCIM error's detail, with every value the request sent taken out." }),
    resourceId: z.string().nullable().meta({ description: "The user or group it named or created." }),
    durationMs: z.int().nonnegative(),
    userAgent: z.string().nullable(),
  })
  .meta({ id: "LoggedRequest" });
const requestPage = z.strictObject({
  requests: z.array(loggedRequest),
  nextCursor: z.string().nullable().meta({ description: "Pass it as `after` for the next, older page; null when nothing older is left." }),
});
const historyItem = z
  .discriminatedUnion("kind", [feedEventSchema.extend({ kind: z.literal("event"), at: instant }), loggedRequest.extend({ kind: z.literal("request") })])
  .meta({ id: "HistoryItem", description: "An event of the user (as in the change feed) or a request that named it." });
const historyPage = z.strictObject({
  items: z.array(historyItem),
  nextCursor: z.string().nullable().meta({ description: "Pass it as `after` for the next, older page; null when nothing older is left." }),
});

/** Runs a read; a cursor that is not one of this log's is the caller's 400, naming `after`. */
async function page(c: Context<AppEnv>, read: () => Promise<unknown>): Promise<Response> {
  try {
    return c.json(await read());
  } catch (err) {
    if (err instanceof InvalidLogCursor) throw invalid([{ field: "after", message: err.message }]);
    throw err;
  }
}

export function adminRequestRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(adminErrorHandler);

  app.get("/requests", async (c) => {
    const q = query(c, requestsQuery);
    const tenant = await pathTenant(c);
    const rd = await tenantData(c, tenant);
    return page(c, () => readRequestLog(rd, { tenantId: tenant.id, ...q }));
  });

  app.get("/users/:userId/history", async (c) => {
    const q = query(c, historyQuery);
    const tenant = await pathTenant(c);
    // No 404 for an unknown user: the history of a deleted user is what support may need most.
    const userId = c.req.param("userId");
    const rd = await tenantData(c, tenant);
    return page(c, () =>
      readUserHistory(rd, { tenantId: tenant.id, userId, ...q, now: Date.now(), retentionDays: logRetentionDays(c.env) }),
    );
  });

  return app;
}

/** The routes above for the OpenAPI document, relative to /admin/tenants/:id (admin.ts mounts them). */
export const adminRequestOperations: Operation[] = [
  {
    operationId: "listTenantRequests",
    method: "get",
    path: "/requests",
    tag: "Provisioning log",
    summary: "The tenant's SCIM requests, newest first",
    description: "A filtered page gives up after 1,000 entries with a short page and a cursor.",
    query: requestsQuery,
    responses: { 200: { description: "A page of requests.", body: requestPage }, 404: noTenantReply },
  },
  {
    operationId: "getUserHistory",
    method: "get",
    path: "/users/:userId/history",
    tag: "Provisioning log",
    summary: "A user's events and the requests that named it, newest first",
    description: "No 404 for an unknown user: the history outlives the user.",
    params: z.strictObject({ userId: z.string().meta({ description: "The SCIM id of the user." }) }),
    query: historyQuery,
    responses: { 200: { description: "A page of history items.", body: historyPage }, 404: noTenantReply },
  },
];
