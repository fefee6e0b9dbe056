import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context.js";
import { scheduleProvisioningLog } from "./provisioning-log.js";

/**
 * On the way out: the D1 metrics headers (EXPOSE_DB_METRICS) and one
 * structured JSON log line (Workers Logs indexes its fields) per request.
 * Never logs headers or bodies, so a token cannot end up in a log. Runs
 * after meteredDatabase has opened the request's database.
 *
 * A SCIM request also gets its provisioning log entry (./provisioning-log.ts):
 * a D1 row written after the response, so not counted in x-d1-rows-written.
 */
/** "DB=1,DB_2=6": statements per binding, in the order first used. */
const bindingCounts = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([binding, n]) => `${binding}=${n}`)
    .join(",");

export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const meter = c.get("database").meter;
  // The id the change feed and the log name, so a client or support can quote it
  // (handlers that build their own Response drop what hono/request-id set).
  if (!c.res.headers.has("x-request-id")) c.res.headers.set("X-Request-Id", c.get("requestId"));
  if (c.env.EXPOSE_DB_METRICS === "true") {
    c.res.headers.set("x-d1-rows-read", String(meter.rowsRead));
    c.res.headers.set("x-d1-rows-written", String(meter.rowsWritten));
    c.res.headers.set("x-d1-statements", String(meter.statements));
    // Per D1 binding (docs/sharding.md): a SCIM request sends its statements to one data shard.
    c.res.headers.set("x-d1-statements-by-binding", bindingCounts(meter.statementsByBinding));
    const attempts = c.get("writeAttempts");
    if (attempts !== undefined) c.res.headers.set("x-write-attempts", String(attempts));
  }
  console.log(
    JSON.stringify({
      level: c.res.status >= 500 ? "error" : "info",
      type: "request",
      requestId: c.get("requestId"),
      tenant: c.req.param("tenantId") ?? null,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Date.now() - started,
      d1Statements: meter.statements,
      d1StatementsByBinding: meter.statementsByBinding,
      rowsRead: meter.rowsRead,
      rowsWritten: meter.rowsWritten,
      writeAttempts: c.get("writeAttempts"),
    }),
  );
  scheduleProvisioningLog(c, started, Date.now() - started);
});
