/**
 * The sweep catches up after missed runs: a run whose time budget
 * runs out with licences still due logs one JSON line at level "error" with
 * the backlog (counted with a bounded query: "at least N" past the cap), and
 * the next run continues and finishes. Every sweep log line is a JSON object
 * with a `level`. The budget is spent through the sweep's controllable
 * clock; nothing sleeps.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import worker from "../../src/index.js";
import { sweepLicences } from "../../src/licence/sweep.js";
import { SWEEP_BACKLOG_CAP, sweepBacklog } from "../../src/licence/sweep-page.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Scheduled times a week ahead of the wall clock; the licences below expire before them. */
const FUTURE = Math.ceil(Date.now() / DAY) * DAY + 7 * DAY;

let logSpy: MockInstance<typeof console.log>;
let errorSpy: MockInstance<typeof console.error>;

beforeEach(() => {
  // Spied, not silenced: the lines still print, and the tests read exactly what the sweep wrote.
  logSpy = vi.spyOn(console, "log");
  errorSpy = vi.spyOn(console, "error");
});

afterEach(() => {
  vi.restoreAllMocks();
});

type Line = Record<string, unknown> & { level: string; type: string };

/** The sweep's lines written so far (request-log lines of the seeding requests are left out). */
function sweepLines(spy: MockInstance<(...args: unknown[]) => void>): Line[] {
  return spy.mock.calls
    .map((args) => String(args[0]))
    .filter((text) => text.includes("licence-sweep"))
    .map((text) => JSON.parse(text) as Line);
}

/** A clock for sweepLicences that lets exactly `pages` pages run, then says the budget is spent. */
function budgetFor(pages: number): () => number {
  let calls = 0;
  // Call 1 sets the deadline (0 + budgetMs 1); calls 2..pages+1 are the loop checks that run a page.
  return () => (calls++ <= pages ? 0 : 1);
}

/** `n` downgraded licences of one tenant, all expired by `expiresAt`, seeded in the API's shape. */
async function seedExpired(n: number, expiresAt: number): Promise<ScimTenant> {
  const t = await newScimTenant({ proGraceHours: 23 });
  await env.DB.batch([
    env.DB.prepare(
      `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
       INSERT INTO users (tenant_id, id, user_name, user_name_key, active, doc, created_at, last_modified, etag)
       SELECT ?1, printf('x%07d', i), printf('x%d@contoso.com', i), printf('x%d@contoso.com', i), 1, '{}', ?3, ?3, 'e' FROM s`,
    ).bind(t.id, n, expiresAt - DAY),
    env.DB.prepare(
      `INSERT INTO licences (tenant_id, user_id, status, since, downgraded_at, expires_at)
       SELECT ?1, id, 'downgraded', ?2 - 48 * 3600000, ?2 - 23 * 3600000, ?2 - CAST(substr(id, 2) AS INTEGER) FROM users WHERE tenant_id = ?1`,
    ).bind(t.id, expiresAt),
    env.DB.prepare(`UPDATE tenant_stats SET users = ?2, active_users = ?2, downgraded_licenses = ?2 WHERE tenant_id = ?1`).bind(t.id, n),
  ]);
  return t;
}

async function stored(tenantId: string): Promise<number> {
  return (await env.DB.prepare(`SELECT count(*) AS n FROM licences WHERE tenant_id = ?1`).bind(tenantId).first<{ n: number }>())!.n;
}

describe("a sweep run that cannot finish", () => {
  it("logs one error line with the backlog it leaves; the next run continues and finishes without one", async () => {
    const T = FUTURE;
    const t = await seedExpired(9, T - HOUR);
    logSpy.mockClear();

    const partial = await sweepLicences(env.DB, T, { pageSize: 2, budgetMs: 1, clock: budgetFor(2) });
    expect(partial).toMatchObject({ pages: 2, expired: 4, complete: false, backlog: 5, backlogCapped: false });
    expect(await stored(t.id)).toBe(5);

    const errors = sweepLines(errorSpy);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      level: "error",
      type: "licence-sweep-backlog",
      scheduledTime: new Date(T).toISOString(),
      backlog: 5,
      backlogCapped: false,
      expired: 4,
      pages: 2,
    });
    expect(errors[0]!.message).toBe("Licence sweep stopped after its 1 ms budget with 5 licences still due; the next run continues.");
    // Every other line of the run: JSON with level "info".
    const infos = sweepLines(logSpy);
    expect(infos.map((l) => [l.level, l.type, l.page])).toEqual([
      ["info", "licence-sweep-page", 1],
      ["info", "licence-sweep-page", 2],
    ]);

    errorSpy.mockClear();
    logSpy.mockClear();
    const next = await sweepLicences(env.DB, T, { pageSize: 2 });
    expect(next).toMatchObject({ expired: 5, complete: true, backlog: null, backlogCapped: false });
    expect(sweepLines(errorSpy)).toEqual([]);
    expect(sweepLines(logSpy).every((l) => l.level === "info")).toBe(true);
    expect(await stored(t.id)).toBe(0);
    expect(await expectExactCounters(t.id)).toMatchObject({ downgradedLicenses: 0 });
  });

  it("a budget spent before the first page still reports the whole backlog", async () => {
    const T = FUTURE + DAY;
    const t = await seedExpired(3, T);
    const report = await sweepLicences(env.DB, T, { budgetMs: 1, clock: budgetFor(0) });
    expect(report).toMatchObject({ pages: 0, expired: 0, complete: false, backlog: 3 });
    expect(sweepLines(errorSpy).map((l) => l.backlog)).toEqual([3]);
    expect(await stored(t.id)).toBe(3);
    expect((await sweepLicences(env.DB, T)).expiredByTenant[t.id]).toBe(3);
  });

  it("a last full page that happened to be the remainder is a finished run: no error", async () => {
    const T = FUTURE + 2 * DAY;
    const t = await seedExpired(4, T);
    const report = await sweepLicences(env.DB, T, { pageSize: 2, budgetMs: 1, clock: budgetFor(2) });
    expect(report).toMatchObject({ pages: 2, expired: 4, complete: true, backlog: null });
    expect(sweepLines(errorSpy)).toEqual([]);
    expect(await stored(t.id)).toBe(0);
  });

  it(`past ${SWEEP_BACKLOG_CAP.toLocaleString("en")} licences due, the count stops at the cap and says "at least"`, async () => {
    const T = FUTURE + 3 * DAY;
    const t = await seedExpired(SWEEP_BACKLOG_CAP + 500, T);
    const counted = await sweepBacklog(env.DB, T);
    expect(counted).toMatchObject({ due: SWEEP_BACKLOG_CAP, capped: true });
    // Bounded: an index-only count of at most the cap, however large the backlog.
    expect(counted.rowsRead).toBeLessThanOrEqual(SWEEP_BACKLOG_CAP);
    expect(await sweepBacklog(env.DB, T, 10)).toMatchObject({ due: 10, capped: true });
    expect(await sweepBacklog(env.DB, T - DAY)).toMatchObject({ due: 0, capped: false });

    const partial = await sweepLicences(env.DB, T, { pageSize: 200, budgetMs: 1, clock: budgetFor(1) });
    expect(partial).toMatchObject({ expired: 200, complete: false, backlog: SWEEP_BACKLOG_CAP, backlogCapped: true });
    const [line] = sweepLines(errorSpy);
    expect(line).toMatchObject({ level: "error", backlog: SWEEP_BACKLOG_CAP, backlogCapped: true });
    expect(line!.message).toBe(`Licence sweep stopped after its 1 ms budget with at least ${SWEEP_BACKLOG_CAP} licences still due; the next run continues.`);

    // Below the cap again, the count is exact.
    const second = await sweepLicences(env.DB, T, { pageSize: 200, budgetMs: 1, clock: budgetFor(2) });
    expect(second).toMatchObject({ expired: 400, complete: false, backlog: SWEEP_BACKLOG_CAP - 100, backlogCapped: false });

    // An unhurried run finishes the rest.
    const rest = await sweepLicences(env.DB, T);
    expect(rest).toMatchObject({ complete: true, expired: SWEEP_BACKLOG_CAP - 100, backlog: null });
    expect(await stored(t.id)).toBe(0);
    expect(await expectExactCounters(t.id)).toMatchObject({ downgradedLicenses: 0 });
  });
});

describe("the scheduled handler's log lines", () => {
  it("are JSON objects with level \"info\": one per page, one per tenant, one summary", async () => {
    const T = FUTURE + 4 * DAY;
    const t = await seedExpired(3, T);
    logSpy.mockClear();
    const controller = createScheduledController({ scheduledTime: T, cron: "*/15 * * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    const lines = sweepLines(logSpy);
    expect(lines.map((l) => [l.level, l.type])).toEqual([
      ["info", "licence-sweep-page"],
      ["info", "licence-sweep"],
      ["info", "licence-sweep-summary"],
    ]);
    expect(lines[1]).toMatchObject({ tenant: t.id, expired: 3 });
    expect(lines[2]).toMatchObject({ complete: true, backlog: null, expired: 3 });
    expect(sweepLines(errorSpy)).toEqual([]);
  });
});
