import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.js";
import { vendorConfig } from "../env.js";
import { dbFor } from "../storage/database.js";
import { D1Meter } from "../storage/d1-meter.js";

/**
 * Opens the request's metered database, and on the way out writes the D1
 * metrics headers (EXPOSE_DB_METRICS, contract.md) and one structured JSON
 * log line (Workers Logs indexes its fields). Never logs headers or bodies,
 * so a token cannot end up in a log.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const meter = new D1Meter();
  c.set("database", dbFor(c.env.DB, meter));
  c.set("config", vendorConfig(c.env));
  await next();
  if (c.env.EXPOSE_DB_METRICS === "true") {
    c.res.headers.set("x-d1-rows-read", String(meter.rowsRead));
    c.res.headers.set("x-d1-rows-written", String(meter.rowsWritten));
    const attempts = c.get("writeAttempts");
    if (attempts !== undefined) c.res.headers.set("x-write-attempts", String(attempts));
  }
  console.log(
    JSON.stringify({
      type: "request",
      requestId: c.get("requestId"),
      tenant: c.req.param("tenantId") ?? null,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Date.now() - started,
      d1Statements: meter.statements,
      rowsRead: meter.rowsRead,
      rowsWritten: meter.rowsWritten,
      writeAttempts: c.get("writeAttempts"),
    }),
  );
});
