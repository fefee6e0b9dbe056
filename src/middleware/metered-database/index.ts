import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { vendorConfig } from "../../env.js";
import { dbFor } from "../../storage/database.js";
import { D1Meter } from "../../storage/d1-meter.js";

/**
 * Opens the request's metered database (every statement's rows read and
 * written are summed on `database.meter`, which request-log reports) and the
 * vendor configuration. Routes and storage reach D1 only through it.
 */
export const meteredDatabase = createMiddleware<AppEnv>(async (c, next) => {
  c.set("database", dbFor(c.env.DB, new D1Meter()));
  c.set("config", vendorConfig(c.env));
  await next();
});
