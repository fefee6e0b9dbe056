import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { vendorConfig } from "../../env.js";
import { log } from "../../log.js";
import { ScimError, scimErrorResponse } from "../../scim/errors.js";
import { D1Meter } from "../../storage/d1-meter.js";
import { openControl, ShardUnavailable } from "../../storage/shards.js";

/**
 * Opens the request's metered database — the control database (`DB`); a SCIM
 * request moves to its tenant's data shard after authentication
 * (middleware/tenant-shard) on the same meter — and the vendor configuration.
 * Every statement's rows read and written are summed on `database.meter`,
 * which request-log reports. Routes and storage reach D1 only through it.
 *
 * A control database whose schema is behind this build is refused: 503 and
 * an error log line, on every route (docs/sharding.md, "Migrations").
 */
export const meteredDatabase = createMiddleware<AppEnv>(async (c, next) => {
  try {
    c.set("database", await openControl(c.env, new D1Meter()));
  } catch (err) {
    if (!(err instanceof ShardUnavailable)) throw err;
    log("error", { type: "shard-unavailable", shard: err.shard, reason: err.reason, detail: err.message, requestId: c.get("requestId") });
    const headers = { "Retry-After": "30" };
    if (c.req.path.startsWith("/tenants/")) return scimErrorResponse(new ScimError(503, "The service's database is not available; retry later.", undefined, headers));
    return c.json({ error: "unavailable", detail: "The service's database is not available; retry later." }, 503, headers);
  }
  c.set("config", vendorConfig(c.env));
  await next();
});
