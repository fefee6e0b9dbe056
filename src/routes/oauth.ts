/**
 * Each tenant's OAuth 2.0 authorization server: the token endpoint of the
 * client credentials grant (RFC 6749 §4.4) and its RFC 8414 metadata.
 * Access tokens from here authenticate on the tenant's SCIM routes exactly
 * like static tokens (src/storage/oauth-clients.ts).
 *
 * Every answer of the token endpoint is JSON with `Cache-Control: no-store`
 * (§5.1); every failure is an RFC 6749 §5.2 error, never the SCIM error
 * shape. Nothing here logs: the request log line has no header or body, so
 * no secret or token can reach a log.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppEnv } from "../context.js";
import { invalidClient, invalidRequest, NO_STORE_HEADERS, OAuthError, oauthErrorBody, tooManyAttempts } from "../oauth/errors.js";
import { authorizationServerMetadata, WELL_KNOWN_SUFFIX } from "../oauth/metadata.js";
import { CLIENT_AUTH_METHODS, GRANT_TYPE, parseTokenRequest, SCIM_SCOPE, tokenResponseBody } from "../oauth/token-request.js";
import { ACCESS_TOKEN_MINUTES, issueAccessToken } from "../storage/oauth-clients.js";
import { TENANT_ID_PATTERN } from "../storage/tenants.js";
import { errorReply, type Operation, type Reply } from "./admin-openapi.js";

/** A token request is a few short parameters; anything bigger is not one. */
const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;
/** The window of the OAUTH_CLIENT_LIMITER binding (wrangler.toml `simple.period`). */
const LIMIT_PERIOD_SECONDS = 60;

function oauthError(c: Context<AppEnv>, err: OAuthError): Response {
  return c.json(oauthErrorBody(err), err.status, { ...NO_STORE_HEADERS, ...err.headers });
}

/**
 * The per-client limit on token requests (wrangler.toml `OAUTH_CLIENT_LIMITER`,
 * keyed by tenant and client id). Counted before the secret is checked, so
 * once a client is over the limit even the right secret is refused until the
 * window ends: a guesser cannot succeed at the limit, and a refused attempt
 * costs no D1 read. A legitimate client asks about once per token lifetime.
 */
async function withinClientLimit(c: Context<AppEnv>, tenantId: string, clientId: string): Promise<boolean> {
  const { success } = await c.env.OAUTH_CLIENT_LIMITER.limit({ key: `${tenantId}:${clientId}` });
  return success;
}

async function token(c: Context<AppEnv>): Promise<Response> {
  const tenantId = c.req.param("tenantId") ?? "";
  try {
    const request = parseTokenRequest({
      contentType: c.req.header("content-type"),
      authorization: c.req.header("authorization"),
      // Bytes, not .text(): workerd warns on .text() of a form-encoded body; the form is ASCII, decoded as UTF-8.
      body: new TextDecoder().decode(await c.req.arrayBuffer()),
    });
    // An id that cannot be a tenant is an unknown client: no KV, limiter or D1 work for it.
    if (!TENANT_ID_PATTERN.test(tenantId)) throw invalidClient();
    if (!(await withinClientLimit(c, tenantId, request.clientId))) throw tooManyAttempts(LIMIT_PERIOD_SECONDS);
    const issued = await issueAccessToken(c.get("database"), c.env.TOKENS, tenantId, request.clientId, request.clientSecret);
    if (!issued) throw invalidClient();
    return c.json(tokenResponseBody(issued.accessToken, issued.expiresIn, request.scope), 200, NO_STORE_HEADERS);
  } catch (err) {
    if (err instanceof OAuthError) return oauthError(c, err);
    throw err;
  }
}

function metadata(c: Context<AppEnv>): Response {
  const tenantId = c.req.param("tenantId") ?? "";
  // Served for any well-formed tenant id without a lookup: the document is the
  // same for every tenant, and answering only for existing ones would reveal
  // which exist (the token endpoint and SCIM answer unknown tenants like bad credentials).
  if (!TENANT_ID_PATTERN.test(tenantId)) return c.json({ error: "not_found", detail: `No tenant "${tenantId}".` }, 404);
  return c.json(authorizationServerMetadata(new URL(c.req.url).origin, tenantId), 200, { "Cache-Control": "public, max-age=3600" });
}

/** Mounted at the root by src/app.ts: full paths, so both metadata addresses live in one place. */
export function oauthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(
    "/tenants/:tenantId/oauth/token",
    bodyLimit({
      maxSize: MAX_TOKEN_REQUEST_BYTES,
      onError: (c) => oauthError(c as Context<AppEnv>, invalidRequest(`The request body exceeds ${MAX_TOKEN_REQUEST_BYTES} bytes.`)),
    }),
  );
  app.post("/tenants/:tenantId/oauth/token", token);
  // RFC 6749 §3.2: the client MUST use POST.
  app.all("/tenants/:tenantId/oauth/token", (c) => {
    const err = invalidRequest("The token endpoint accepts POST only (RFC 6749 section 3.2).");
    return c.json(oauthErrorBody(err), 405, { ...NO_STORE_HEADERS, Allow: "POST" });
  });
  app.get(`/tenants/:tenantId${WELL_KNOWN_SUFFIX}`, metadata);
  app.get(`${WELL_KNOWN_SUFFIX}/tenants/:tenantId`, metadata);
  app.all("/tenants/:tenantId/oauth/*", (c) => c.json({ error: "not_found", detail: `No route for ${c.req.method} ${c.req.path}.` }, 404));
  return app;
}

// ---------------------------------------------------------------------------
// The routes above for the admin API's OpenAPI document (src/routes/admin-openapi.ts).
// The form is read by src/oauth/token-request.ts, not by a Zod schema: RFC 6749
// needs what a schema cannot say (a repeated parameter is an error, and so are
// two client authentication methods at once). These schemas describe it.

// Loose: RFC 6749 §3.2 has the server ignore parameters it does not know.
const tokenForm = z.looseObject({
  grant_type: z.literal(GRANT_TYPE),
  scope: z.literal(SCIM_SCOPE).optional().meta({ description: "`scim`, or none: granted `scim` either way (RFC 6749 §3.3)." }),
  client_id: z.string().optional().meta({ description: "client_secret_post (RFC 6749 §2.3.1): with client_secret, instead of HTTP Basic." }),
  client_secret: z.string().optional(),
});
const tokenAnswer = z
  .strictObject({
    access_token: z.string().meta({ description: "`scimat_…`: the bearer token for the tenant's SCIM routes." }),
    token_type: z.literal("Bearer"),
    expires_in: z
      .int()
      .min(ACCESS_TOKEN_MINUTES.min * 60)
      .max(ACCESS_TOKEN_MINUTES.max * 60)
      .meta({ description: "Seconds: the client's accessTokenMinutes. No refresh token (RFC 6749 §4.4.3): ask again." }),
    scope: z.literal(SCIM_SCOPE),
  })
  .meta({ id: "AccessTokenResponse", description: "RFC 6749 §5.1." });
const oauthErrorAnswer = z
  .strictObject({
    error: z.enum(["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope"]),
    error_description: z.string(),
  })
  .meta({ id: "OAuthError", description: "RFC 6749 §5.2." });
const serverMetadata = z
  .strictObject({
    issuer: z.url(),
    token_endpoint: z.url(),
    grant_types_supported: z.array(z.literal(GRANT_TYPE)),
    token_endpoint_auth_methods_supported: z.array(z.enum(CLIENT_AUTH_METHODS)),
    response_types_supported: z.array(z.string()).meta({ description: "Empty: there is no authorization endpoint." }),
    scopes_supported: z.array(z.literal(SCIM_SCOPE)),
  })
  .meta({ id: "AuthorizationServerMetadata", description: "RFC 8414 §2." });

const noStoreHeaders: Reply["headers"] = {
  "Cache-Control": { description: "no-store (RFC 6749 §5.1), on every answer of the endpoint.", schema: z.literal("no-store") },
  Pragma: { description: "no-cache.", schema: z.literal("no-cache") },
};
const oauthFailure = (description: string, headers: Reply["headers"] = {}): Reply => ({
  description,
  body: oauthErrorAnswer,
  headers: { ...noStoreHeaders, ...headers },
});
const tenantIdParam = z.strictObject({ tenantId: z.string().meta({ description: "The tenant's id." }) });
const metadataReplies: Record<number, Reply> = {
  200: {
    description: "The tenant's authorization server metadata; the same for every well-formed tenant id, so it says nothing of which tenants exist.",
    body: serverMetadata,
    headers: { "Cache-Control": { description: "public, max-age=3600.", schema: z.string() } },
  },
  404: errorReply("not_found: not a well-formed tenant id."),
};

/** Each tenant's token endpoint and metadata, at their full paths (src/app.ts mounts these routes at the root). */
export const oauthOperations: Operation[] = [
  {
    operationId: "requestAccessToken",
    method: "post",
    path: "/tenants/:tenantId/oauth/token",
    tag: "OAuth token endpoint",
    summary: "An access token for the tenant's SCIM routes (client credentials grant, RFC 6749 §4.4)",
    description:
      "Form-encoded. The client authenticates with HTTP Basic (client_secret_basic) or with client_id and client_secret in the form (client_secret_post), never both. Limited to 10 requests a minute per client, counted before the secret is checked. Any other method answers 405 with `Allow: POST` (RFC 6749 §3.2).",
    caller: "oauth-client",
    params: tenantIdParam,
    body: tokenForm,
    bodyContentType: "application/x-www-form-urlencoded",
    responses: {
      200: { description: "Issued.", body: tokenAnswer, headers: noStoreHeaders },
      400: oauthFailure("invalid_request (not form-encoded, a parameter missing or repeated, two authentication methods), unsupported_grant_type or invalid_scope."),
      401: oauthFailure("invalid_client: unknown client or tenant, wrong secret, or no credentials.", {
        "WWW-Authenticate": { description: 'Basic realm="token".', schema: z.string() },
      }),
      429: oauthFailure("invalid_client: the client's limit of token requests is spent for this minute, even with the right secret.", {
        "Retry-After": { description: "Seconds (RFC 9110 §10.2.3).", schema: z.string() },
      }),
    },
  },
  {
    operationId: "getAuthorizationServerMetadata",
    method: "get",
    path: `/tenants/:tenantId${WELL_KNOWN_SUFFIX}`,
    tag: "OAuth token endpoint",
    summary: "The tenant's authorization server metadata (RFC 8414), beside the issuer",
    caller: "anyone",
    params: tenantIdParam,
    responses: metadataReplies,
  },
  {
    operationId: "getAuthorizationServerMetadataWellKnown",
    method: "get",
    path: `${WELL_KNOWN_SUFFIX}/tenants/:tenantId`,
    tag: "OAuth token endpoint",
    summary: "The same metadata at RFC 8414 §3.1's address: the well-known suffix inserted before the issuer's path",
    caller: "anyone",
    params: tenantIdParam,
    responses: metadataReplies,
  },
];
