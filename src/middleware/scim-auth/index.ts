import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { ScimError } from "../../scim/errors.js";
import { dbFor } from "../../storage/database.js";
import { CONTROL_BINDING } from "../../storage/shards.js";
import { TENANT_ID_PATTERN } from "../../storage/tenants.js";
import { LAST_USED_RESOLUTION_MS, touchToken, verifyToken } from "../../storage/tokens.js";

/**
 * SCIM bearer authentication. Our own,
 * not hono/bearer-auth: that one answers 400 for `Bearer Bearer <t>` (an
 * admin who pasted the prefix) and a plain-text body. Every failure — missing header,
 * malformed, unknown, revoked, expired, another tenant's token, unknown
 * tenant — is the same 401 with a SCIM body, so nothing reveals which.
 */
const BEARER = /^\s*Bearer\s+(?:Bearer\s+)?(\S+)\s*$/i;

/** Per-isolate memory of the last lastUsedAt write, so most requests skip even the D1 call. */
const lastTouched = new Map<string, number>();

export function unauthorized(): ScimError {
  return new ScimError(401, "Authentication failed: a valid bearer token for this tenant is required.", undefined, {
    "WWW-Authenticate": 'Bearer realm="scim"',
  });
}

export const scimBearerAuth = createMiddleware<AppEnv>(async (c, next) => {
  const tenantId = c.req.param("tenantId");
  const header = c.req.header("authorization");
  const token = header ? BEARER.exec(header)?.[1] : undefined;
  // An id that cannot be a tenant's is refused like any failure, before the KV read.
  if (!tenantId || !TENANT_ID_PATTERN.test(tenantId) || !token) throw unauthorized();
  const now = Date.now();
  const record = await verifyToken(c.env.TOKENS, tenantId, token, now);
  if (!record) throw unauthorized();
  c.set("tenantId", tenantId);
  // Where the tenant's data is (docs/sharding.md): carried in the token's record, so no read to find it.
  c.set("shard", record.shard ?? CONTROL_BINDING);
  const last = lastTouched.get(record.tokenId) ?? 0;
  // An OAuth access token has no `tokens` row to touch: its secret's lastUsedAt is set when it is issued.
  if (record.clientId === undefined && now - last >= LAST_USED_RESOLUTION_MS) {
    lastTouched.set(record.tokenId, now);
    // Off the request path and off the request's D1 meter.
    c.executionCtx.waitUntil(touchToken(dbFor(c.env.DB).db, tenantId, record.tokenId, now).catch(() => undefined));
  }
  await next();
});
