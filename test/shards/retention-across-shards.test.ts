/**
 * Event and provisioning log retention with three data shards: one cron run
 * prunes every shard, in bounded pages each, with each shard's figures in
 * its log line; a tenant's cursor older than its shard's retention gets 410;
 * a shard that cannot be pruned does not stop the others, and the run fails.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.js";
import { runEventRetention } from "../../src/feed/retention.js";
import { runRequestLogRetention } from "../../src/provisioning-log/retention.js";
import { admin } from "../support/admin-client.js";
import { createUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { binding as shard, SHARDS } from "./local-shards.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;

type Line = Record<string, unknown> & { level: string; type: string };

/** The JSON lines of `type` written while `run` ran, and what it threw. */
async function linesOf(type: string, run: () => Promise<unknown>): Promise<{ lines: Line[]; error: unknown }> {
  const spies = [vi.spyOn(console, "log"), vi.spyOn(console, "warn"), vi.spyOn(console, "error")];
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  const lines = spies
    .flatMap((s) => s.mock.calls)
    .map((args) => String(args[0]))
    .filter((text) => text.startsWith("{"))
    .map((text) => JSON.parse(text) as Line)
    .filter((l) => l.type === type);
  for (const s of spies) s.mockRestore();
  return { lines, error };
}

afterEach(() => vi.restoreAllMocks());

async function cron(scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/15 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const count = async (name: string, table: string, tenantId: string) =>
  (await shard(name).prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?1`).bind(tenantId).first<{ n: number }>())!.n;

/**
 * A tenant on each shard with three events made 40 days old, then one fresh.
 * Retention prunes a prefix of each shard's feed, so everything the shard
 * held before is made old too (the tests of this file share the shards).
 */
async function agedTenants(): Promise<Array<{ t: ScimTenant; name: string }>> {
  const out = [];
  for (const name of SHARDS) {
    const t = await newScimTenant({ shard: name });
    for (const n of [1, 2, 3]) await createUser(t, `old${n}@example.com`);
    await shard(name).prepare(`UPDATE events SET occurred_at = occurred_at - 40 * ?1`).bind(DAY).run();
    await createUser(t, "fresh@example.com");
    out.push({ t, name });
  }
  return out;
}

/** A provisioning log entry of `tenantId` on its shard, `at` ms. */
async function logEntry(name: string, tenantId: string, at: number, requestId: string): Promise<void> {
  await shard(name)
    .prepare(
      `INSERT INTO request_log (tenant_id, hour, resource_id, at, request_id, method, path, status, duration_ms)
       VALUES (?1, ?2, '', ?3, ?4, 'GET', '/Users', 200, 1)`,
    )
    .bind(tenantId, Math.floor(at / HOUR), at, requestId)
    .run();
}

describe("event retention on every shard", () => {
  it("prunes each shard's old events in one cron run; each shard's figures are in the line; a tenant's stale cursor is 410", async () => {
    const tenants = await agedTenants();
    // A tenant cursor at the start of its feed, taken before the pruning.
    const staleCursor = (await (await admin("GET", `/admin/tenants/${tenants[1]!.t.id}/events?limit=1`)).json<{ nextCursor: string }>()).nextCursor;
    const { lines } = await linesOf("event-retention", () => cron(Date.now()));
    for (const { t, name } of tenants) {
      expect(await count(name, "events", t.id), name).toBe(1);
      const feed = await (await admin("GET", `/admin/tenants/${t.id}/events`)).json<{ events: Array<{ sequence: number }> }>();
      expect(feed.events.map((e) => e.sequence)).toEqual([4]);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "info", complete: true, shards: { DB: { complete: true }, DB_2: { complete: true }, DB_3: { complete: true } } });
    for (const name of SHARDS) expect((lines[0]!.shards as Record<string, { deleted: number }>)[name]!.deleted).toBeGreaterThanOrEqual(3);
    const gone = await admin("GET", `/admin/tenants/${tenants[1]!.t.id}/events?after=${staleCursor}`);
    expect(gone.status).toBe(410);
    const resumed = await admin("GET", `/admin/tenants/${tenants[1]!.t.id}/events?after=${(await gone.json<{ oldestCursor: string }>()).oldestCursor}`);
    expect((await resumed.json<{ events: Array<{ sequence: number }> }>()).events.map((e) => e.sequence)).toEqual([4]);
  });

  it("a shard that cannot be pruned does not stop the others; the line says which, redacted, and the run fails", async () => {
    const tenants = await agedTenants();
    const { lines, error } = await linesOf("event-retention", () => runEventRetention({ ...env, DATA_SHARDS: "DB,DB_9,DB_2,DB_3" }, Date.now()));
    expect((error as Error).message).toBe("Event retention failed on DB_9; see the log line of type event-retention.");
    for (const { t, name } of tenants) expect(await count(name, "events", t.id), name).toBe(1);
    expect(lines[0]).toMatchObject({ level: "error", complete: false, shards: { DB_9: { error: "ShardUnavailable" }, DB_2: { complete: true } } });
  });
});

describe("provisioning log retention on every shard", () => {
  it("deletes each shard's entries past retention and keeps the recent ones", async () => {
    const now = Date.now();
    const tenants = [];
    for (const name of SHARDS) {
      const t = await newScimTenant({ shard: name });
      await logEntry(name, t.id, now - 45 * DAY, `old-${name}`);
      await logEntry(name, t.id, now - 31 * DAY, `older-${name}`);
      await logEntry(name, t.id, now - DAY, `recent-${name}`);
      tenants.push({ t, name });
    }
    const { lines } = await linesOf("request-log-retention", () => runRequestLogRetention(env, now));
    for (const { t, name } of tenants) {
      const { results } = await shard(name).prepare(`SELECT request_id FROM request_log WHERE tenant_id = ?1`).bind(t.id).all<{ request_id: string }>();
      expect(results.map((r) => r.request_id), name).toEqual([`recent-${name}`]);
    }
    expect(lines[0]).toMatchObject({ level: "info", complete: true });
    for (const name of SHARDS) expect((lines[0]!.shards as Record<string, { deleted: number }>)[name]!.deleted, name).toBeGreaterThanOrEqual(2);
  });

  it("a shard that cannot be pruned does not stop the others, and the run fails", async () => {
    const now = Date.now();
    const t = await newScimTenant({ shard: "DB_3" });
    await logEntry("DB_3", t.id, now - 45 * DAY, "old");
    const { lines, error } = await linesOf("request-log-retention", () => runRequestLogRetention({ ...env, DATA_SHARDS: "DB_9,DB_3" }, now));
    expect((error as Error).message).toBe("Provisioning log retention failed on DB_9; see the log line of type request-log-retention.");
    expect(await count("DB_3", "request_log", t.id)).toBe(0);
    expect(lines[0]).toMatchObject({ level: "error", shards: { DB_9: { error: "ShardUnavailable" }, DB_3: { complete: true } } });
  });
});
