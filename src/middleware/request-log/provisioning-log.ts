/**
 * The provisioning log's write (README, "Provisioning log"): one
 * `request_log` row per SCIM request of a tenant, written after the response
 * (ExecutionContext.waitUntil) through its own D1 handle, so it neither
 * delays nor fails the request, and is not in the request's x-d1-rows-*
 * headers, which are sent before it exists. A failure is one JSON log line
 * at level "error"; nothing else changes.
 *
 * Which requests: every SCIM request whose token was verified for the
 * tenant, and the 401 of a failed authentication (what an admin needs to see
 * after "Test Connection" fails). Other refusals before authentication (a
 * body over 1 MiB, a throttled guesser's 429) are not logged: anyone can send
 * them, and they would let anyone write rows. The entry is written only for
 * a live tenant (storage/request-log.ts), so an unknown tenant id costs at
 * most a read, never a row.
 *
 * What is kept: time, method, the path relative to the Tenant URL (no query
 * string: a filter names people), status, the SCIM error's scimType and its
 * detail without the values the request sent (loggable-detail.ts), the
 * resource named or created, duration, User-Agent, request id. Never a body,
 * another header or a token.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../context.js";
import { errorFields, log } from "../../log.js";
import { writeRequestLogEntry, type RequestLogEntry } from "../../storage/request-log.js";
import { CONTROL_BINDING, openShard } from "../../storage/shards.js";
import { shardOfTenant, TENANT_ID_PATTERN } from "../../storage/tenants.js";
import { loggableDetail, sentValues, withoutSecrets } from "./loggable-detail.js";

const SCIM_PATH = /^\/tenants\/([^/]+)\/scim\/v2(\/.*)?$/;
const MAX_PATH = 300;
const MAX_USER_AGENT = 256;
/** Resource ids are ours (UUIDv7); whatever else a client puts in the path is cut to this. */
const MAX_RESOURCE_ID = 200;

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Called by requestLog once the response is final. Schedules the entry's
 * write, or does nothing for a request that is not logged. Never throws.
 */
export function scheduleProvisioningLog(c: Context<AppEnv>, started: number, durationMs: number): void {
  try {
    const match = SCIM_PATH.exec(c.req.path);
    if (!match) return;
    const status = c.res.status;
    let tenantId: string | undefined = c.get("tenantId");
    if (tenantId === undefined) {
      if (status !== 401 || !TENANT_ID_PATTERN.test(match[1] ?? "")) return;
      tenantId = match[1] as string;
    }
    // Without an execution context (a bare app.request in a unit test) nothing would keep the write alive.
    let ctx: { waitUntil(promise: Promise<unknown>): void };
    try {
      ctx = c.executionCtx;
    } catch {
      return;
    }
    // The error the SCIM sub-app rendered, if this is still its response (the auth throttle may have replaced it).
    const error = c.get("scimError");
    const scimError = error && error.status === status ? error : undefined;
    const resourceId = c.get("resourceId");
    const entry: RequestLogEntry = {
      tenantId,
      at: started,
      requestId: c.get("requestId"),
      resourceId: resourceId ? cut(resourceId, MAX_RESOURCE_ID) : null,
      method: c.req.method,
      path: cut(withoutSecrets(match[2] ?? "/"), MAX_PATH),
      status,
      scimType: scimError?.scimType ?? null,
      detail: null,
      durationMs,
      userAgent: ((ua) => (ua ? cut(withoutSecrets(ua), MAX_USER_AGENT) : null))(c.req.header("user-agent")),
    };
    const shard = c.get("shard");
    const metrics = c.env.EXPOSE_DB_METRICS === "true";
    ctx.waitUntil(
      (async () => {
        // On the tenant's data shard (docs/sharding.md). A refused authentication did not learn it from a
        // token: one read of the control database, here after the response (the failure throttle bounds them).
        const rd = await openShard(c.env, shard ?? (await shardOfTenant(c.env.DB, entry.tenantId)) ?? CONTROL_BINDING);
        if (scimError) {
          // The body was read by the route (Hono keeps it): its values are what the detail must not quote.
          const bodyText = c.req.raw.bodyUsed ? await c.req.text().catch(() => undefined) : undefined;
          entry.detail = loggableDetail(scimError.detail, sentValues(bodyText, new URL(c.req.url).searchParams), c.get("config"));
        }
        await writeRequestLogEntry(rd.d1, entry);
        // Local only (EXPOSE_DB_METRICS): what the entry cost, for the bench, which cannot see it in the headers.
        if (metrics) log("info", { type: "provisioning-log-write", requestId: entry.requestId, rowsRead: rd.meter.rowsRead, rowsWritten: rd.meter.rowsWritten });
      })().catch((err: unknown) => log("error", { type: "provisioning-log-failed", requestId: entry.requestId, tenant: entry.tenantId, ...errorFields(err) })),
    );
  } catch (err) {
    log("error", { type: "provisioning-log-failed", requestId: c.get("requestId"), ...errorFields(err) });
  }
}
