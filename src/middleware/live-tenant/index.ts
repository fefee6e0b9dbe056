import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { ScimError } from "../../scim/errors.js";
import { shardBinding } from "../../storage/shards.js";
import { tenantStateOnShard, type TenantStateOnShard } from "../../storage/tenants.js";
import { unauthorized } from "../scim-auth/index.js";

/**
 * SCIM requests for a deleted tenant are refused — the same 401 as any
 * authentication failure — even while KV still serves one of its tokens: a
 * delete marks the tenant (`deleted_at`) before it purges the token keys, a
 * purge can be interrupted, and a remote location may serve a cached key
 * for up to a minute after its deletion (docs/storage.md, "KV keys").
 *
 * Cost: D1 knows, KV does not, so the answer comes from the `tenants` row
 * (one primary-key read, 1 row). Reading it on every request would add a D1
 * round trip before each one; instead each isolate remembers the answer per
 * tenant:
 *
 * - the first request of a tenant in an isolate reads it on the request's
 *   own (metered) database, after the token check, so only authenticated
 *   requests can cause it: 1 row, counted in x-d1-rows-read;
 * - after LIVENESS_TTL_MS the remembered answer is still used, and one
 *   re-read runs in waitUntil (off the request path and its meter, as the
 *   token's lastUsedAt write does), so a delete is honoured by every
 *   isolate at most LIVENESS_TTL_MS plus one request after it;
 * - the admin DELETE and POST of a tenant forget the answer in their own
 *   isolate at once (forgetTenant).
 *
 * In steady state that is one 1-row read per tenant per isolate per
 * LIVENESS_TTL_MS of traffic, and nothing on the request path.
 *
 * The row read is the tenant's copy on the request's data shard
 * (docs/sharding.md), so the answer is per shard: a request that reaches the
 * shard a tenant has moved away from (a KV record not yet refreshed at that
 * location, for up to a minute after the switch) gets 503 with Retry-After,
 * and the identity provider retries on the new shard. A "moved" answer is
 * not served from memory: such a request reads the row again (1 row), since
 * a tenant may move back to that shard (src/moves/) and must be served there
 * as soon as its routing says so. Those requests come only in the minute
 * after a switch.
 */
export const LIVENESS_TTL_MS = 10_000;
const MAX_TENANTS = 10_000;

/** Retry-After of a request that reached the shard its tenant moved away from: KV's cache lasts up to a minute. */
export const MOVED_RETRY_AFTER_SECONDS = 10;

interface Liveness {
  state: TenantStateOnShard;
  checkedAt: number;
  refreshing: boolean;
}

/** Keyed by `<shard>/<tenantId>`. */
const known = new Map<string, Liveness>();

function remember(key: string, state: TenantStateOnShard, checkedAt: number): void {
  // A bound on memory: tenants whose tokens authenticated in this isolate, at most MAX_TENANTS.
  if (!known.has(key) && known.size >= MAX_TENANTS) known.clear();
  known.set(key, { state, checkedAt, refreshing: false });
}

/** Drops what this isolate remembers of a tenant, on every shard (after an admin delete, create or move). */
export function forgetTenant(tenantId: string): void {
  for (const key of known.keys()) if (key.endsWith(`/${tenantId}`)) known.delete(key);
}

/** Runs after scimBearerAuth, which has set `tenantId`. */
export const liveTenant = createMiddleware<AppEnv>(async (c, next) => {
  const tenantId = c.get("tenantId");
  const database = c.get("database");
  const key = `${database.binding}/${tenantId}`;
  const now = Date.now();
  const entry = known.get(key);
  let state: TenantStateOnShard;
  if (!entry || entry.state === "moved") {
    state = await tenantStateOnShard(database.d1, tenantId);
    remember(key, state, now);
  } else {
    state = entry.state;
    if (now - entry.checkedAt >= LIVENESS_TTL_MS && !entry.refreshing) {
      entry.refreshing = true;
      // The binding itself, not the metered handle: off the request's meter.
      c.executionCtx.waitUntil(
        tenantStateOnShard(shardBinding(c.env, database.binding), tenantId).then(
          (fresh) => remember(key, fresh, Date.now()),
          () => {
            entry.refreshing = false;
          },
        ),
      );
    }
  }
  if (state === "gone") throw unauthorized();
  if (state === "moved") {
    throw new ScimError(503, "The tenant has moved to another database; retry shortly.", undefined, { "Retry-After": String(MOVED_RETRY_AFTER_SECONDS) });
  }
  await next();
});
