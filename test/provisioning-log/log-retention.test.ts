/**
 * Provisioning log retention: the cron deletes entries once their whole hour
 * is older than EVENT_RETENTION_DAYS (30 here), for every tenant, in bounded
 * pages, and says in a JSON line with a level whether it finished; deleting
 * a tenant deletes its log at once, so a tenant created again under the id
 * starts with an empty one.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.js";
import { pruneRequestLog } from "../../src/provisioning-log/retention.js";
import { admin, createTenant } from "../support/admin-client.js";
import { adminGet, insertEntry, loggedTenant, logRows } from "../support/provisioning-log.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("provisioning log retention", () => {
  it("deletes every tenant's entries whose hour is past retention, and keeps the rest", async () => {
    const [a, b] = [await loggedTenant(), await loggedTenant()];
    const now = Date.now();
    const cutoffHourStart = Math.floor((now - 30 * DAY) / HOUR) * HOUR;
    const kept = [
      await insertEntry(a.id, { at: now - 29 * DAY }),
      await insertEntry(a.id, { at: cutoffHourStart }), // in the hour retention ends in: kept until that hour is past
      await insertEntry(b.id, { at: now - 1000 }),
    ];
    for (const t of [a, b]) for (let i = 0; i < 5; i++) await insertEntry(t.id, { at: now - (31 + i) * DAY });
    await insertEntry(a.id, { at: cutoffHourStart - 1 });
    const report = await pruneRequestLog(env.DB, now, 30, { pageSize: 2 });
    expect(report).toMatchObject({ deleted: 11, complete: true });
    expect(report.tenants).toBeGreaterThanOrEqual(2);
    const left = [...(await logRows(a.id)), ...(await logRows(b.id))].map((r) => r.request_id).sort();
    expect(left).toEqual([...kept].sort());
    // Nothing left to do: a second run deletes nothing.
    expect(await pruneRequestLog(env.DB, now, 30)).toMatchObject({ deleted: 0, complete: true });
  });

  it("stops at its time budget and says it did not finish; the next run goes on", async () => {
    const t = await loggedTenant();
    const now = Date.now();
    for (let i = 0; i < 6; i++) await insertEntry(t.id, { at: now - 40 * DAY - i * HOUR });
    // A clock that passes the budget after the first page.
    let ticks = 0;
    const clock = () => now + (ticks++ >= 2 ? 10_000 : 0);
    const first = await pruneRequestLog(env.DB, now, 30, { pageSize: 2, budgetMs: 5_000, clock });
    expect(first.complete).toBe(false);
    expect(first.deleted).toBeGreaterThan(0);
    expect(first.deleted).toBeLessThan(6);
    const second = await pruneRequestLog(env.DB, now, 30, { pageSize: 2 });
    expect(first.deleted + second.deleted).toBe(6);
    expect(second.complete).toBe(true);
    expect(await logRows(t.id)).toEqual([]);
  });

  it("runs in the scheduled handler after the feed's retention, with a JSON line", async () => {
    const t = await loggedTenant();
    const now = Date.now();
    const recent = await insertEntry(t.id, { at: now - DAY });
    await insertEntry(t.id, { at: now - 45 * DAY });
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await logRows(t.id)).map((r) => r.request_id)).toEqual([recent]);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["type"] === "request-log-retention");
    expect(line).toMatchObject({ level: "info", retentionDays: 30, complete: true });
    expect(line?.["deleted"]).toBeGreaterThanOrEqual(1);
  });

  it("goes with its tenant: a tenant created again under the id starts with an empty log", async () => {
    const t = await loggedTenant();
    expect((await t.request("GET", "/Users")).status).toBe(200);
    await insertEntry(t.id, { at: Date.now() - DAY });
    expect(await logRows(t.id)).toHaveLength(2);
    expect((await admin("DELETE", `/admin/tenants/${t.id}`)).status).toBe(204);
    expect(await logRows(t.id)).toEqual([]);
    await createTenant({ id: t.id, name: "Again" });
    expect((await adminGet<{ requests: unknown[] }>(`/admin/tenants/${t.id}/requests`)).requests).toEqual([]);
  });
});
