import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { dbFor } from "../../storage/database.js";
import { isTenantLive } from "../../storage/tenants.js";
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
 */
export const LIVENESS_TTL_MS = 10_000;
const MAX_TENANTS = 10_000;

interface Liveness {
  live: boolean;
  checkedAt: number;
  refreshing: boolean;
}

const known = new Map<string, Liveness>();

function remember(tenantId: string, live: boolean, checkedAt: number): void {
  // A bound on memory: tenants whose tokens authenticated in this isolate, at most MAX_TENANTS.
  if (!known.has(tenantId) && known.size >= MAX_TENANTS) known.clear();
  known.set(tenantId, { live, checkedAt, refreshing: false });
}

/** Drops what this isolate remembers of a tenant (after an admin delete or create). */
export function forgetTenant(tenantId: string): void {
  known.delete(tenantId);
}

/** Runs after scimBearerAuth, which has set `tenantId`. */
export const liveTenant = createMiddleware<AppEnv>(async (c, next) => {
  const tenantId = c.get("tenantId");
  const now = Date.now();
  const entry = known.get(tenantId);
  let live: boolean;
  if (!entry) {
    live = await isTenantLive(c.get("database").d1, tenantId);
    remember(tenantId, live, now);
  } else {
    live = entry.live;
    if (now - entry.checkedAt >= LIVENESS_TTL_MS && !entry.refreshing) {
      entry.refreshing = true;
      c.executionCtx.waitUntil(
        isTenantLive(dbFor(c.env.DB).d1, tenantId).then(
          (fresh) => remember(tenantId, fresh, Date.now()),
          () => {
            entry.refreshing = false;
          },
        ),
      );
    }
  }
  if (!live) throw unauthorized();
  await next();
});
