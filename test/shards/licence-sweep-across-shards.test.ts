/**
 * The licence sweep with three data shards (DB, DB_2, DB_3): one cron run
 * sweeps every shard and reports each shard's figures; licences of a tenant
 * whose writes are paused on its shard (a move is copying them) are left for
 * the shard it moves to, without a page re-reading them; a shard that
 * cannot be swept does not stop the others, and the run still fails.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.js";
import { runLicenceSweep, sweepLicences } from "../../src/licence/sweep.js";
import { admin } from "../support/admin-client.js";
import { createGroup, createUser, patchGroup } from "../support/licences.js";
import { newScimTenant } from "../support/scim-tenant.js";
import { binding as shard } from "./local-shards.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Scheduled times a week ahead of the wall clock; the licences below expire before them. */
const FUTURE = Math.ceil(Date.now() / DAY) * DAY + 7 * DAY;


type Line = Record<string, unknown> & { level: string; type: string };

/** The JSON lines written to console.log / console.error while `run` ran, of the given type. */
async function linesOf<T>(type: string, run: () => Promise<T>): Promise<{ result: T | undefined; error: unknown; lines: Line[] }> {
  const log = vi.spyOn(console, "log");
  const error = vi.spyOn(console, "error");
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = await run();
  } catch (err) {
    thrown = err;
  }
  const lines = [...log.mock.calls, ...error.mock.calls]
    .map((args) => String(args[0]))
    .filter((text) => text.startsWith("{"))
    .map((text) => JSON.parse(text) as Line)
    .filter((l) => l.type === type);
  log.mockRestore();
  error.mockRestore();
  return { result, error: thrown, lines };
}

afterEach(() => vi.restoreAllMocks());

async function licencesOn(name: string, tenantId: string): Promise<Array<{ user_id: string; status: string }>> {
  const { results } = await shard(name)
    .prepare(`SELECT user_id, status FROM licences WHERE tenant_id = ?1 ORDER BY user_id`)
    .bind(tenantId)
    .all<{ user_id: string; status: string }>();
  return results;
}

async function downgradedCounter(name: string, tenantId: string): Promise<number> {
  return (await shard(name).prepare(`SELECT downgraded_licenses AS n FROM tenant_stats WHERE tenant_id = ?1`).bind(tenantId).first<{ n: number }>())!.n;
}

/** `n` users of a tenant with a downgraded licence each, all due by `expiresAt`, seeded on its shard as the API would leave them. */
async function seedDue(name: string, tenantId: string, n: number, expiresAt: number): Promise<void> {
  const db = shard(name);
  await db.batch([
    db
      .prepare(
        `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
         INSERT INTO users (tenant_id, id, user_name, user_name_key, active, doc, created_at, last_modified, etag)
         SELECT ?1, printf('x%07d', i), printf('x%d@contoso.com', i), printf('x%d@contoso.com', i), 1, '{}', ?3, ?3, 'e' FROM s`,
      )
      .bind(tenantId, n, expiresAt - DAY),
    db
      .prepare(
        `INSERT INTO licences (tenant_id, user_id, status, since, downgraded_at, expires_at)
         SELECT ?1, id, 'downgraded', ?2 - 48 * 3600000, ?2 - 23 * 3600000, ?2 - CAST(substr(id, 2) AS INTEGER) FROM users WHERE tenant_id = ?1`,
      )
      .bind(tenantId, expiresAt),
    db.prepare(`UPDATE tenant_stats SET users = ?2, active_users = ?2, downgraded_licenses = ?2 WHERE tenant_id = ?1`).bind(tenantId, n),
  ]);
}

async function cron(scheduledTime: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/15 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("one sweep run over every shard", () => {
  it("expires the due licences of tenants on DB, DB_2 and DB_3, with each shard's figures in the summary", async () => {
    const tenants = [];
    for (const name of ["DB", "DB_2", "DB_3"]) {
      const t = await newScimTenant({ shard: name, proGraceHours: 1 });
      const [kept, dropped] = [await createUser(t, "kept@contoso.com"), await createUser(t, "dropped@contoso.com")];
      const pro = await createGroup(t, "Pro", "true", [kept, dropped]);
      expect((await patchGroup(t, pro, [{ op: "remove", path: `members[value eq "${dropped}"]` }])).status).toBe(204);
      tenants.push({ t, name, kept, dropped });
    }
    const T = FUTURE;
    for (const { name, t } of tenants) {
      expect(await licencesOn(name, t.id)).toHaveLength(2);
      // Only the tenant's own shard holds its licences.
      for (const other of ["DB", "DB_2", "DB_3"].filter((n) => n !== name)) expect(await licencesOn(other, t.id)).toEqual([]);
    }

    const { lines } = await linesOf("licence-sweep-summary", () => cron(T));
    for (const { name, t, kept } of tenants) {
      expect(await licencesOn(name, t.id)).toEqual([{ user_id: kept, status: "active" }]);
      const stats = (await (await admin("GET", `/admin/tenants/${t.id}`)).json<{ stats: Record<string, number> }>()).stats;
      expect(stats).toMatchObject({ proLicenses: 1, downgradedLicenses: 0 });
      // The licence.expired event is in the tenant's feed, read from its shard.
      const feed = await (await admin("GET", `/admin/tenants/${t.id}/events?type=licence.expired`)).json<{ events: Array<{ id: string; requestId: string }> }>();
      expect(feed.events).toHaveLength(1);
      expect(feed.events[0]!.requestId).toBe("sweep");
      expect(feed.events[0]!.id).toMatch(name === "DB" ? /^evt_\d+$/ : new RegExp(`^evt_${name}_\\d+$`));
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      expired: 3,
      complete: true,
      failedShards: [],
      shards: { DB: { ok: true, expired: 1, complete: true }, DB_2: { ok: true, expired: 1, complete: true }, DB_3: { ok: true, expired: 1, complete: true } },
    });
  });
});

describe("a tenant whose writes are paused on its shard (a move is copying it)", () => {
  it("keeps its due licences and counters; its neighbours on the shard are swept; after the pause they go too", async () => {
    const moving = await newScimTenant({ shard: "DB_2" });
    const staying = await newScimTenant({ shard: "DB_2" });
    const T = FUTURE;
    await seedDue("DB_2", moving.id, 1000, T);
    await seedDue("DB_2", staying.id, 30, T);
    await shard("DB_2").prepare(`UPDATE tenants SET writes_paused_at = ?2 WHERE id = ?1`).bind(moving.id, T - HOUR).run();

    const PAGE = 50;
    const { result, lines } = await linesOf("licence-sweep-page", () => sweepLicences(shard("DB_2"), T, { pageSize: PAGE, movable: true, shard: "DB_2" }));
    expect(result).toMatchObject({ complete: true, expired: 30, heldTenants: [moving.id], expiredByTenant: { [staying.id]: 30 } });
    expect(await licencesOn("DB_2", staying.id)).toEqual([]);
    expect(await downgradedCounter("DB_2", staying.id)).toBe(0);
    expect(await licencesOn("DB_2", moving.id)).toHaveLength(1000);
    expect(await downgradedCounter("DB_2", moving.id)).toBe(1000);
    const expired = await shard("DB_2").prepare(`SELECT count(*) AS n FROM events WHERE tenant_id = ?1`).bind(moving.id).first<{ n: number }>();
    expect(expired!.n).toBe(0);
    // The run walks past the held licences once: every page reads about its own size, never the tenant's 1,000.
    expect(lines.length).toBeGreaterThanOrEqual(1000 / PAGE);
    for (const page of lines) {
      expect(page.shard).toBe("DB_2");
      expect(page.rowsRead as number).toBeLessThanOrEqual(12 * PAGE);
    }

    // The move is over (aborted here): the next run expires them.
    await shard("DB_2").prepare(`UPDATE tenants SET writes_paused_at = NULL WHERE id = ?1`).bind(moving.id).run();
    expect(await sweepLicences(shard("DB_2"), T, { movable: true })).toMatchObject({ expired: 1000, heldTenants: [] });
    expect(await licencesOn("DB_2", moving.id)).toEqual([]);
    expect(await downgradedCounter("DB_2", moving.id)).toBe(0);
  });

  it("paused between the page's read and its batch: the batch leaves it alone", async () => {
    const moving = await newScimTenant({ shard: "DB_3" });
    const staying = await newScimTenant({ shard: "DB_3" });
    const T = FUTURE;
    await seedDue("DB_3", moving.id, 5, T);
    await seedDue("DB_3", staying.id, 5, T);
    const real = shard("DB_3");
    // A second writer between read and write: the move pauses the tenant right before the sweep's first batch.
    let paused = false;
    const racing = new Proxy(real, {
      get(target, prop) {
        if (prop === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            if (!paused) {
              paused = true;
              await target.prepare(`UPDATE tenants SET writes_paused_at = ?2 WHERE id = ?1`).bind(moving.id, T).run();
            }
            return target.batch(statements);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const report = await sweepLicences(racing, T, { movable: true });
    expect(paused).toBe(true);
    expect(report).toMatchObject({ expired: 5, heldTenants: [moving.id] });
    expect(await licencesOn("DB_3", moving.id)).toHaveLength(5);
    expect(await downgradedCounter("DB_3", moving.id)).toBe(5);
    expect(await licencesOn("DB_3", staying.id)).toEqual([]);
  });

  it("with a single shard nothing can move: the sweep does not ask", async () => {
    const t = await newScimTenant({ shard: "DB" });
    const T = FUTURE;
    await seedDue("DB", t.id, 3, T);
    // Even a paused copy is swept when the sweep is told tenants cannot move (one data shard: write-guard.ts).
    await shard("DB").prepare(`UPDATE tenants SET writes_paused_at = ?2 WHERE id = ?1`).bind(t.id, T).run();
    const report = await sweepLicences(shard("DB"), T);
    expect(report).toMatchObject({ expired: 3, heldTenants: [], statements: 5 });
  });
});

describe("a shard that cannot be swept", () => {
  it("does not stop the others; the run logs it, redacted, and fails", async () => {
    const onDb = await newScimTenant({ shard: "DB" });
    const onTwo = await newScimTenant({ shard: "DB_2" });
    const T = FUTURE;
    await seedDue("DB", onDb.id, 2, T);
    await seedDue("DB_2", onTwo.id, 2, T);
    // DB_9 is listed but is no D1 binding of this worker.
    const broken = { ...env, DATA_SHARDS: "DB,DB_9,DB_2" };
    const failed = await linesOf("licence-sweep-shard-failed", () => runLicenceSweep(broken, T, createExecutionContext()));
    expect(failed.error).toBeInstanceOf(Error);
    expect((failed.error as Error).message).toBe("Licence sweep failed on DB_9; see the log lines of type licence-sweep-shard-failed.");
    expect(failed.lines).toHaveLength(1);
    expect(failed.lines[0]).toMatchObject({ level: "error", shard: "DB_9", error: "ShardUnavailable" });
    expect(await licencesOn("DB", onDb.id)).toEqual([]);
    expect(await licencesOn("DB_2", onTwo.id)).toEqual([]);
  });
});
