/**
 * Admin API for webhook endpoints (docs/webhooks.md), mounted by
 * src/routes/admin.ts at /admin/webhooks, behind the admin bearer token:
 *
 *   POST   /       register → id and the signing secret (`whsec_…`, shown once)
 *   GET    /       list, with each endpoint's delivery state; never a secret
 *   GET    /:id    one endpoint
 *   DELETE /:id    delete: deliveries to it stop
 *
 * Errors have the admin API's shape `{ error, detail, fields? }`: thrown as
 * AdminRequestError and rendered by adminErrorHandler
 * (src/routes/admin-request.ts). `webhookOperations`, at the end, describes
 * the routes for the OpenAPI document (src/routes/admin-openapi.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { dateTime } from "../scim/data-types.js";
import { EVENT_TYPES } from "../storage/events.js";
import { newResourceId } from "../storage/ids.js";
import { getTenant, TENANT_ID_PATTERN } from "../storage/tenants.js";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  MAX_WEBHOOK_ENDPOINTS,
  webhookStart,
  type WebhookEndpointRecord,
  type WebhookEndpointStatus,
} from "../storage/webhooks.js";
import { newWebhookSecret, sealingKey, sealSecret, SecretsKeyMissing } from "../webhooks/secrets.js";
import { checkWebhookUrl } from "../webhooks/url.js";
import { errorReply, instant, noStoreHeader, type Operation } from "./admin-openapi.js";
import { AdminRequestError, adminErrorHandler, allShards, conflict, jsonBody, notFound, tenantData } from "./admin-request.js";

const typesError = `must be a non-empty array of event types (${EVENT_TYPES.join(", ")})`;
const createBody = z.strictObject({
  url: z
    .string({ error: "must be a string" })
    .trim()
    // Stored as fetch will use it (host lower-cased, IPv4 spellings normalised): the form the rules judged.
    .transform((value, ctx) => {
      const verdict = checkWebhookUrl(value);
      if (verdict.ok) return verdict.url;
      ctx.issues.push({ code: "custom", message: verdict.reason, input: value });
      return z.NEVER;
    }),
  // Absent or null: every tenant's events.
  tenantId: z.string({ error: "must be a tenant id" }).regex(TENANT_ID_PATTERN, { error: `must match ${TENANT_ID_PATTERN.source}` }).nullable().optional(),
  // Absent or null: every type. Stored once each, in the reference order.
  types: z
    .array(z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(", ")}` }), { error: typesError })
    .min(1, { error: typesError })
    .max(100, { error: typesError })
    .transform((types) => EVENT_TYPES.filter((t) => types.includes(t)))
    .nullable()
    .optional(),
});

// Responses (docs/webhooks.md), for the OpenAPI document and the tests that hold the routes to it.
const eventTypeList = z.array(z.enum(EVENT_TYPES));
const webhookEndpoint = z
  .strictObject({
    id: z.string(),
    url: z.string().meta({ description: "As stored: host lower-cased, IPv4 spellings normalised." }),
    tenantId: z.string().nullable().meta({ description: "null: every tenant's events." }),
    types: eventTypeList.nullable().meta({ description: "null: every type; otherwise in the feed's reference order." }),
    createdAt: instant,
  })
  .meta({ id: "WebhookEndpoint" });
const registeredWebhook = webhookEndpoint
  .extend({ secret: z.string().meta({ description: "The Standard Webhooks signing secret (`whsec_…`), shown this once." }) })
  .meta({ id: "RegisteredWebhook" });
const webhookStatus = webhookEndpoint
  .extend({
    delivery: z.strictObject({
      state: z.enum(["ok", "retrying", "tenant_deleted"]).meta({ description: "retrying: the last attempt failed, nextAttemptAt is due." }),
      backlog: z
        .int()
        .nonnegative()
        .meta({ description: "Feed positions written after the endpoint's cursor, before its types filter (summed over the data shards for an all-tenants endpoint)." }),
      delivered: z.int().nonnegative(),
      lastSuccessAt: instant.nullable(),
      lastFailure: z
        .strictObject({
          at: instant,
          status: z.int().nullable().meta({ description: "The receiver's HTTP status; null when there was no answer." }),
          error: z.string().nullable().meta({ description: "http_status, redirect, timeout, network or secret_unreadable." }),
          eventId: z.string().nullable(),
        })
        .nullable()
        .meta({ description: "Stays shown after the endpoint recovers." }),
      consecutiveFailures: z.int().nonnegative(),
      nextAttemptAt: instant.nullable(),
      expiredUndelivered: z.int().nonnegative().meta({ description: "Events retention pruned before they were delivered." }),
    }),
  })
  .meta({ id: "WebhookEndpointStatus", description: 'An endpoint and its delivery state (docs/webhooks.md, "Delivery state").' });
const webhookList = z.strictObject({ webhooks: z.array(webhookStatus) });
const webhookPath = z.strictObject({ webhookId: z.string().meta({ description: "The endpoint's id (a UUIDv7)." }) });

/** Secret-bearing responses must not be stored by any cache on the way (RFC 9111 §5.2.2.5). */
const NO_STORE = { "Cache-Control": "no-store" };
/** Endpoint ids are UUIDv7; anything longer is unknown without asking D1. */
const MAX_ID_LENGTH = 64;

const isoOrNull = (ms: number | null): string | null => (ms === null || ms === 0 ? null : dateTime(ms));

function endpointView(e: WebhookEndpointRecord) {
  return { id: e.id, url: e.url, tenantId: e.tenantId, types: e.types, createdAt: dateTime(e.createdAt) };
}

/** docs/webhooks.md, "Delivery state". */
function statusView(e: WebhookEndpointStatus) {
  return {
    ...endpointView(e),
    delivery: {
      state: !e.tenantLive ? "tenant_deleted" : e.failures > 0 ? "retrying" : "ok",
      backlog: e.backlog,
      delivered: e.delivered,
      lastSuccessAt: isoOrNull(e.lastSuccessAt),
      lastFailure:
        e.lastFailureAt === null
          ? null
          : { at: dateTime(e.lastFailureAt), status: e.lastFailureStatus, error: e.lastFailureError, eventId: e.lastFailureEventId },
      consecutiveFailures: e.failures,
      nextAttemptAt: e.failures > 0 ? isoOrNull(e.nextAttemptAt) : null,
      expiredUndelivered: e.expiredUndelivered,
    },
  };
}

const noEndpoint = (id: string) => notFound(`No webhook endpoint "${id}".`);

export function webhookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(adminErrorHandler);

  app.post("/", async (c) => {
    const body = await jsonBody(c, createBody);
    let key: CryptoKey;
    try {
      key = await sealingKey(c.env.WEBHOOK_SECRETS_KEY);
    } catch (err) {
      if (err instanceof SecretsKeyMissing) throw new AdminRequestError(503, "not_configured", err.message);
      throw err;
    }
    const control = c.get("database");
    const tenantId = body.tenantId ?? null;
    const tenantGone = () => notFound(`No tenant "${tenantId}".`, [{ field: "tenantId", message: "is not a tenant" }]);
    // The feed it follows lives on the data shards (docs/sharding.md): its tenant's shard, or every shard.
    const tenant = tenantId === null ? undefined : await getTenant(control.db, tenantId);
    if (tenantId !== null && !tenant) throw tenantGone();
    const start = await webhookStart(tenant ? [await tenantData(c, tenant)] : await allShards(c), tenantId);
    const now = Date.now();
    const id = newResourceId(now);
    const secret = newWebhookSecret();
    const created = await createWebhookEndpoint(
      control.d1,
      { id, url: body.url, tenantId, types: body.types ?? null, secretSealed: await sealSecret(key, id, secret), start },
      now,
    );
    if (!created.ok) {
      if (created.reason === "tenant_not_found") throw tenantGone();
      throw conflict(`There are already ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first.`);
    }
    // The only time the secret is shown: D1 keeps it sealed, and no listing returns it.
    return c.json({ ...endpointView(created.endpoint), secret }, 201, NO_STORE);
  });

  app.get("/", async (c) => {
    const endpoints = await listWebhookEndpoints(c.get("database").d1, await allShards(c));
    return c.json({ webhooks: endpoints.map(statusView) });
  });

  app.get("/:webhookId", async (c) => {
    const id = c.req.param("webhookId");
    const endpoint = id.length <= MAX_ID_LENGTH ? await getWebhookEndpoint(c.get("database").d1, await allShards(c), id) : undefined;
    if (!endpoint) throw noEndpoint(id);
    return c.json(statusView(endpoint));
  });

  app.delete("/:webhookId", async (c) => {
    const id = c.req.param("webhookId");
    if (!(id.length <= MAX_ID_LENGTH && (await deleteWebhookEndpoint(c.get("database").d1, id)))) throw noEndpoint(id);
    return c.body(null, 204);
  });

  return app;
}

/** The routes above for the OpenAPI document, relative to /admin/webhooks (admin.ts mounts them). */
export const webhookOperations: Operation[] = [
  {
    operationId: "registerWebhook",
    method: "post",
    path: "/",
    tag: "Webhooks",
    summary: "Register an HTTPS endpoint for the change feed's events, signed per Standard Webhooks",
    description: "`http://` only for localhost, 127.0.0.0/8 and [::1]. The signing secret is in this answer only.",
    body: createBody,
    responses: {
      201: { description: "Registered.", body: registeredWebhook, headers: noStoreHeader },
      404: errorReply("not_found: no tenant `tenantId` (`fields` names it)."),
      409: errorReply(`conflict: there are already ${MAX_WEBHOOK_ENDPOINTS} endpoints.`),
      503: errorReply("not_configured: WEBHOOK_SECRETS_KEY is not set, so secrets cannot be sealed; or admin_disabled: ADMIN_TOKEN is not set."),
    },
  },
  {
    operationId: "listWebhooks",
    method: "get",
    path: "/",
    tag: "Webhooks",
    summary: "Every endpoint with its delivery state; never a secret",
    responses: { 200: { description: "The endpoints.", body: webhookList } },
  },
  {
    operationId: "getWebhook",
    method: "get",
    path: "/:webhookId",
    tag: "Webhooks",
    summary: "One endpoint with its delivery state",
    params: webhookPath,
    responses: { 200: { description: "The endpoint.", body: webhookStatus }, 404: errorReply("not_found: no such endpoint.") },
  },
  {
    operationId: "deleteWebhook",
    method: "delete",
    path: "/:webhookId",
    tag: "Webhooks",
    summary: "Delete an endpoint: deliveries to it stop",
    params: webhookPath,
    responses: { 204: { description: "Deleted." }, 404: errorReply("not_found: no such endpoint.") },
  },
];
