/**
 * Admin API for a tenant's OAuth 2.0 clients (client credentials, RFC 6749
 * §4.4), mounted by src/routes/admin.ts at /admin/tenants/:id/oauth-clients,
 * behind the admin bearer token:
 *
 *   POST   /                              create → client id, secret (shown once), token URL
 *   GET    /                              list (secrets' ids and dates, never a secret or hash)
 *   GET    /:clientId                     one client
 *   DELETE /:clientId                     delete: its secrets and access tokens stop working at once
 *   POST   /:clientId/secrets             add a second secret (rotation with overlap; shown once)
 *   DELETE /:clientId/secrets/:secretId   remove a secret and the access tokens it obtained
 *
 * Errors have the admin API's shape `{ error, detail, fields? }`: thrown as
 * AdminRequestError and rendered by adminErrorHandler
 * (src/routes/admin-request.ts). `oauthClientOperations`, at the end,
 * describes the routes for the OpenAPI document (src/routes/admin-openapi.ts).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { tokenEndpointFor } from "../oauth/metadata.js";
import { dateTime } from "../scim/data-types.js";
import {
  ACCESS_TOKEN_MINUTES,
  addClientSecret,
  createOAuthClient,
  deleteClientSecret,
  deleteOAuthClient,
  getOAuthClient,
  listOAuthClients,
  MAX_CLIENTS_PER_TENANT,
  MAX_SECRETS_PER_CLIENT,
  type OAuthClientRecord,
} from "../storage/oauth-clients.js";
import { errorReply, instant, noStoreHeader, noTenantReply, type Operation } from "./admin-openapi.js";
import { adminErrorHandler, conflict, existingTenant, jsonBody, notFound } from "./admin-request.js";

const minutesError = `must be an integer from ${ACCESS_TOKEN_MINUTES.min} to ${ACCESS_TOKEN_MINUTES.max} (minutes)`;
const createClientBody = z.strictObject({
  label: z.string({ error: "must be a string" }).trim().max(200, { error: "must be at most 200 characters" }).nullable().optional(),
  accessTokenMinutes: z
    .int({ error: minutesError })
    .min(ACCESS_TOKEN_MINUTES.min, { error: minutesError })
    .max(ACCESS_TOKEN_MINUTES.max, { error: minutesError })
    .optional(),
});
/** No fields (yet): an empty body or `{}`. Strict, so a misspelt field is named rather than ignored. */
const addSecretBody = z.strictObject({});

// Responses, for the OpenAPI document and the tests that hold the routes to it. Never a secret's hash.
const clientSecretView = z
  .strictObject({
    secretId: z.string(),
    createdAt: instant,
    lastUsedAt: instant.optional().meta({ description: "When it last obtained an access token; absent if never." }),
  })
  .meta({ id: "OAuthClientSecret" });
const oauthClient = z
  .strictObject({
    clientId: z.string(),
    label: z.string().nullable(),
    accessTokenMinutes: z.int().meta({ description: "Lifetime of the access tokens it obtains (expires_in is this in seconds)." }),
    tokenUrl: z.url().meta({ description: "The tenant's token endpoint (RFC 6749 §3.2), to hand the identity provider." }),
    createdAt: instant,
    secrets: z.array(clientSecretView).meta({ description: `Its secrets' ids and dates: at most ${MAX_SECRETS_PER_CLIENT}.` }),
  })
  .meta({ id: "OAuthClient" });
const createdClient = oauthClient
  .extend({
    clientSecret: z.string().meta({ description: "`scimcs_…`: shown this once; only its hash is stored." }),
    secretId: z.string(),
  })
  .meta({ id: "CreatedOAuthClient" });
const addedSecret = z
  .strictObject({ secretId: z.string(), clientSecret: z.string().meta({ description: "`scimcs_…`: shown this once." }), createdAt: instant })
  .meta({ id: "AddedOAuthClientSecret" });
const clientPath = z.strictObject({ clientId: z.string() });
const secretPath = z.strictObject({ clientId: z.string(), secretId: z.string() });

/** Secret-bearing responses must not be stored by any cache on the way (RFC 9111 §5.2.2.5). */
const NO_STORE = { "Cache-Control": "no-store" };

/** Path parameters, including the parent's `:id` (the mount path of admin.ts). */
function params(c: Context<AppEnv>): { tenantId: string; clientId: string; secretId: string } {
  const p = c.req.param() as Record<string, string | undefined>;
  return { tenantId: p["id"] ?? "", clientId: p["clientId"] ?? "", secretId: p["secretId"] ?? "" };
}

const noClient = (tenantId: string, clientId: string) => notFound(`No OAuth client "${clientId}" for tenant "${tenantId}".`);

function clientView(c: Context<AppEnv>, tenantId: string, client: OAuthClientRecord): z.output<typeof oauthClient> {
  return {
    clientId: client.id,
    label: client.label,
    accessTokenMinutes: client.accessTokenMinutes,
    tokenUrl: tokenEndpointFor(new URL(c.req.url).origin, tenantId),
    createdAt: dateTime(client.createdAt),
    secrets: client.secrets.map((s) => ({
      secretId: s.id,
      createdAt: dateTime(s.createdAt),
      ...(s.lastUsedAt === null ? {} : { lastUsedAt: dateTime(s.lastUsedAt) }),
    })),
  };
}

export function oauthClientRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(adminErrorHandler);

  app.post("/", async (c) => {
    const { tenantId } = params(c);
    const tenant = await existingTenant(c.get("database").db, tenantId);
    const body = await jsonBody(c, createClientBody);
    const label = body.label === undefined || body.label === null || body.label === "" ? null : body.label;
    const created = await createOAuthClient(c.get("database"), tenant.id, {
      label,
      accessTokenMinutes: body.accessTokenMinutes ?? ACCESS_TOKEN_MINUTES.default,
    });
    if (!created.ok) {
      if (created.reason === "tenant_not_found") throw notFound(`No tenant "${tenantId}".`);
      throw conflict(`Tenant "${tenant.id}" already has ${MAX_CLIENTS_PER_TENANT} OAuth clients; delete one first.`);
    }
    // The only time this secret is ever shown: only its hash is stored.
    return c.json(
      { ...clientView(c, tenant.id, created.client), clientSecret: created.secret.secret, secretId: created.secret.id },
      201,
      NO_STORE,
    );
  });

  app.get("/", async (c) => {
    const { tenantId } = params(c);
    const tenant = await existingTenant(c.get("database").db, tenantId);
    const clients = await listOAuthClients(c.get("database").db, tenant.id);
    return c.json({ oauthClients: clients.map((client) => clientView(c, tenant.id, client)) });
  });

  app.get("/:clientId", async (c) => {
    const { tenantId, clientId } = params(c);
    const tenant = await existingTenant(c.get("database").db, tenantId);
    const client = await getOAuthClient(c.get("database").db, tenant.id, clientId);
    if (!client) throw noClient(tenant.id, clientId);
    return c.json(clientView(c, tenant.id, client));
  });

  app.delete("/:clientId", async (c) => {
    const { tenantId, clientId } = params(c);
    const tenant = await existingTenant(c.get("database").db, tenantId);
    if (!(await deleteOAuthClient(c.get("database"), c.env.TOKENS, tenant.id, clientId))) throw noClient(tenant.id, clientId);
    return c.body(null, 204);
  });

  app.post("/:clientId/secrets", async (c) => {
    const { tenantId, clientId } = params(c);
    const tenant = await existingTenant(c.get("database").db, tenantId);
    await jsonBody(c, addSecretBody);
    const added = await addClientSecret(c.get("database"), tenant.id, clientId);
    if (!added.ok) {
      if (added.reason === "client_not_found") throw noClient(tenant.id, clientId);
      throw conflict(`OAuth client "${clientId}" already has ${MAX_SECRETS_PER_CLIENT} secrets; delete the old one before adding another.`);
    }
    return c.json({ secretId: added.secret.id, clientSecret: added.secret.secret, createdAt: dateTime(added.secret.createdAt) }, 201, NO_STORE);
  });

  app.delete("/:clientId/secrets/:secretId", async (c) => {
    const { tenantId, clientId, secretId } = params(c);
    const tenant = await existingTenant(c.get("database").db, tenantId);
    if (!(await deleteClientSecret(c.get("database"), c.env.TOKENS, tenant.id, clientId, secretId))) {
      throw notFound(`No secret "${secretId}" for OAuth client "${clientId}" of tenant "${tenant.id}".`);
    }
    return c.body(null, 204);
  });

  return app;
}

const noClientReply = errorReply("not_found: no such tenant, or no such client of it.");

/** The routes above for the OpenAPI document, relative to /admin/tenants/:id/oauth-clients (admin.ts mounts them). */
export const oauthClientOperations: Operation[] = [
  {
    operationId: "createOAuthClient",
    method: "post",
    path: "/",
    tag: "OAuth clients",
    summary: "Create an OAuth 2.0 client (client credentials, RFC 6749 §4.4) with its first secret",
    description: "The secret is in this answer only. An empty body is `{}`.",
    body: createClientBody,
    responses: {
      201: { description: "Created.", body: createdClient, headers: noStoreHeader },
      404: noTenantReply,
      409: errorReply(`conflict: the tenant already has ${MAX_CLIENTS_PER_TENANT} clients.`),
    },
  },
  {
    operationId: "listOAuthClients",
    method: "get",
    path: "/",
    tag: "OAuth clients",
    summary: "The tenant's clients: ids, dates, lastUsedAt per secret; never a secret",
    responses: { 200: { description: "The clients.", body: z.strictObject({ oauthClients: z.array(oauthClient) }) }, 404: noTenantReply },
  },
  {
    operationId: "getOAuthClient",
    method: "get",
    path: "/:clientId",
    tag: "OAuth clients",
    summary: "One client",
    params: clientPath,
    responses: { 200: { description: "The client.", body: oauthClient }, 404: noClientReply },
  },
  {
    operationId: "deleteOAuthClient",
    method: "delete",
    path: "/:clientId",
    tag: "OAuth clients",
    summary: "Delete a client: its secrets and access tokens stop working at once",
    params: clientPath,
    responses: { 204: { description: "Deleted." }, 404: noClientReply },
  },
  {
    operationId: "addOAuthClientSecret",
    method: "post",
    path: "/:clientId/secrets",
    tag: "OAuth clients",
    summary: "Add a second secret, to rotate with overlap",
    description: "The secret is in this answer only. The body is empty or `{}`.",
    params: clientPath,
    body: addSecretBody,
    responses: {
      201: { description: "Added.", body: addedSecret, headers: noStoreHeader },
      404: noClientReply,
      409: errorReply(`conflict: the client already has ${MAX_SECRETS_PER_CLIENT} secrets.`),
    },
  },
  {
    operationId: "deleteOAuthClientSecret",
    method: "delete",
    path: "/:clientId/secrets/:secretId",
    tag: "OAuth clients",
    summary: "Remove a secret and every access token it obtained",
    params: secretPath,
    responses: { 204: { description: "Removed." }, 404: errorReply("not_found: no such tenant, client or secret.") },
  },
];
