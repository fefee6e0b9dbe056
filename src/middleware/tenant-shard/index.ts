import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { log } from "../../log.js";
import { ScimError } from "../../scim/errors.js";
import { CONTROL_BINDING, openShard, ShardUnavailable } from "../../storage/shards.js";

/** How soon a client may retry when the tenant's shard cannot be used (its schema is behind, or it is not configured). */
export const SHARD_UNAVAILABLE_RETRY_AFTER_SECONDS = 30;

/**
 * Runs after scimBearerAuth: from here on the request's database is the
 * tenant's data shard, named by its token's KV record (docs/sharding.md), on
 * the same meter. Every SCIM request touches exactly that one shard. With
 * the default DATA_SHARDS ("DB") it is the database already open.
 *
 * A shard whose schema is behind, or that this deployment does not list,
 * is answered 503 with Retry-After and an error log line naming it — never
 * used half-migrated.
 */
export const tenantShard = createMiddleware<AppEnv>(async (c, next) => {
  const shard = c.get("shard") ?? CONTROL_BINDING;
  const current = c.get("database");
  if (current.binding !== shard) {
    try {
      c.set("database", await openShard(c.env, shard, current.meter));
    } catch (err) {
      if (!(err instanceof ShardUnavailable)) throw err;
      log("error", { type: "shard-unavailable", shard: err.shard, reason: err.reason, detail: err.message, requestId: c.get("requestId") });
      throw new ScimError(503, "The tenant's database is not available; retry later.", undefined, {
        "Retry-After": String(SHARD_UNAVAILABLE_RETRY_AFTER_SECONDS),
      });
    }
  }
  await next();
});
