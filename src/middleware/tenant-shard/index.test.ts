import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import type { AppEnv } from "../../context.js";
import { scimErrorResponse, ScimError } from "../../scim/errors.js";
import { meteredDatabase } from "../metered-database/index.js";
import { SHARD_UNAVAILABLE_RETRY_AFTER_SECONDS, tenantShard } from "./index.js";

/** A request whose token named `shard` (scim-auth sets it), behind meteredDatabase and tenantShard. */
function appFor(shard: string | undefined, extra: Record<string, unknown> = {}) {
  const app = new Hono<AppEnv>();
  app.onError((err) => scimErrorResponse(err instanceof ScimError ? err : new ScimError(500, "Internal error.")));
  app.use("*", meteredDatabase);
  app.use("*", async (c, next) => {
    if (shard !== undefined) c.set("shard", shard);
    await next();
  });
  app.use("*", tenantShard);
  app.get("/", async (c) => {
    const rd = c.get("database");
    await rd.d1.prepare("SELECT 1").all();
    return c.json({ binding: rd.binding, movable: rd.movable, byBinding: rd.meter.statementsByBinding });
  });
  return app.request("/", {}, { ...env, ...extra });
}

describe("tenantShard", () => {
  it("keeps the control database when the tenant's shard is DB (the default, single-database configuration)", async () => {
    const res = await appFor("DB");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ binding: "DB", movable: false, byBinding: { DB: 1 } });
  });

  it("treats a token record without a shard (written before sharding) as DB", async () => {
    expect(await (await appFor(undefined)).json()).toMatchObject({ binding: "DB" });
  });

  it("opens the shard the token names, on the request's meter, when it is a data shard of this deployment", async () => {
    // The same local database under a second binding name: what matters here is the choice and the meter.
    const res = await appFor("DB_2", { DB_2: env.DB, DATA_SHARDS: "DB,DB_2" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ binding: "DB_2", movable: true, byBinding: { DB_2: 1 } });
  });

  it("answers a SCIM 503 with Retry-After, and logs which shard, for a shard DATA_SHARDS does not list", async () => {
    const errors = vi.spyOn(console, "error");
    const res = await appFor("DB_9");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(res.headers.get("retry-after")).toBe(String(SHARD_UNAVAILABLE_RETRY_AFTER_SECONDS));
    expect((await res.json<{ status: string }>()).status).toBe("503");
    const lines = errors.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"shard-unavailable"'));
    expect(lines.some((l) => l.includes('"shard":"DB_9"') && l.includes('"reason":"unknown"'))).toBe(true);
    errors.mockRestore();
  });
});
