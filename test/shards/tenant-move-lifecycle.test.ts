/**
 * A tenant moved between data shards (POST /admin/tenants/{id}/move and
 * the scheduled runs of src/moves/): copying → verifying → switching →
 * cleaning → done, after which the tenant is served from the new shard with
 * everything it had, and the old shard keeps only its old copy row (503 for
 * a stale route) and its events (the all-tenants feed's positions there).
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.js";
import { KV_SETTLE_MS } from "../../src/moves/plan.js";
import { WEBHOOK_CRON } from "../../src/webhooks/delivery.js";
import { admin, type TenantBody } from "../support/admin-client.js";
import { binding, copyOn, holdings, moveOf, populatedTenant, runMove, startMove, TestClock, tick, usersOf } from "./tenant-move-driver.js";

describe("a tenant moved to another shard", () => {
  it("goes copying → verifying → switching → cleaning → done and keeps every row, counter and event", async () => {
    const { tenant, groups } = await populatedTenant("DB_2");
    const usersBefore = await usersOf(tenant);
    const groupBefore = (await tenant.request("GET", `/Groups/${groups[0]}`)).body;
    const licencesBefore = await (await admin("GET", `/admin/tenants/${tenant.id}/licenses`)).json();
    const before = await holdings("DB_2", tenant.id);
    const stats = await binding("DB_2").prepare(`SELECT * FROM tenant_stats WHERE tenant_id = ?1`).bind(tenant.id).first();

    const started = await startMove(tenant.id, "DB_3");
    expect(started).toMatchObject({ state: "copying", from: "DB_2", to: "DB_3", step: "prepare", rowsCopied: 0, switchedAt: null, finishedAt: null, error: null });

    // One unit of work per run, two rows a page: every state is seen between runs.
    expect(await runMove(tenant.id, new TestClock(), { budget: { pagesPerRun: 1, pageRows: 2 } })).toEqual(["copying", "verifying", "switching", "cleaning", "done"]);
    const done = await moveOf(tenant.id);
    expect(done).toMatchObject({ state: "done", step: null, error: null });
    expect(done.switchedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    // Verification compared every row of the tables it covers.
    expect(done.verification).toMatchObject({
      users: { rows: before.users },
      groups: { rows: before.groups },
      memberships: { rows: before.memberships },
      licences: { rows: before.licences },
      events: { rows: before.events },
      // The log's settled hours: the three entries from hours before the move (populatedTenant).
      request_log: { rows: 3 },
    });
    expect(done.rowsCopied).toBeGreaterThanOrEqual(before.users + before.groups + before.memberships + before.licences + before.events);

    // The new shard holds it all; the old one its row (an old copy) and its events.
    expect(await holdings("DB_3", tenant.id)).toEqual(before);
    expect(await holdings("DB_2", tenant.id)).toEqual({ users: 0, groups: 0, memberships: 0, licences: 0, events: before.events, request_log: 0, tenant_stats: 0, tenants: 1 });
    expect(await binding("DB_3").prepare(`SELECT * FROM tenant_stats WHERE tenant_id = ?1`).bind(tenant.id).first()).toEqual(stats);
    expect(await copyOn("DB_3", tenant.id)).toEqual({ shard: "DB_3", writes_paused_at: null, moved_to: null });
    expect(await copyOn("DB_2", tenant.id)).toMatchObject({ moved_to: "DB_3" });
    expect((await copyOn("DB_2", tenant.id))!.writes_paused_at).not.toBeNull();
    expect(await env.DB.prepare(`SELECT shard FROM tenants WHERE id = ?1`).bind(tenant.id).first("shard")).toBe("DB_3");

    // The admin API and SCIM see the same tenant as before, now from DB_3.
    const read = await (await admin("GET", `/admin/tenants/${tenant.id}`)).json<TenantBody>();
    expect(read.shard).toBe("DB_3");
    expect(read.stats).toMatchObject({ users: before.users });
    expect(await usersOf(tenant)).toEqual(usersBefore);
    expect((await tenant.request("GET", `/Groups/${groups[0]}`)).body).toEqual(groupBefore);
    expect(await (await admin("GET", `/admin/tenants/${tenant.id}/licenses`)).json()).toEqual(licencesBefore);
  });

  it("reads about the same number of rows per unit of work whatever the tenant's size", async () => {
    const heaviest: number[] = [];
    for (const users of [3, 24]) {
      const { tenant } = await populatedTenant("DB_2", { users });
      await startMove(tenant.id, "DB_3");
      const clock = new TestClock();
      let max = 0;
      for (let i = 0; i < 400 && (await moveOf(tenant.id)).state !== "done"; i++) {
        const report = await tick(clock, { budget: { pagesPerRun: 1, pageRows: 5 } });
        max = Math.max(max, report.rowsRead);
        clock.advance(KV_SETTLE_MS + 1);
      }
      expect((await moveOf(tenant.id)).state).toBe("done");
      heaviest.push(max);
    }
    // Pages of 5 rows: the largest unit reads a few dozen rows for 3 users and for 24 alike
    // (an event copied costs its index checks; the moves under way are found through their state's index).
    expect(heaviest[1]!).toBeLessThanOrEqual(heaviest[0]! + 5);
    expect(heaviest[1]!).toBeLessThan(12 * 5);
  });

  it("is advanced by the scheduled handler on both of its triggers", async () => {
    for (const cron of [WEBHOOK_CRON, "*/15 * * * *"]) {
      const { tenant } = await populatedTenant("DB_2", { users: 2 });
      await startMove(tenant.id, "DB_3");
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron }), env, ctx);
      await waitOnExecutionContext(ctx);
      // One run copies, verifies and switches a small tenant; the old copy waits for KV's caches.
      expect(await moveOf(tenant.id)).toMatchObject({ state: "cleaning", step: "settle" });
      expect(await env.DB.prepare(`SELECT shard FROM tenants WHERE id = ?1`).bind(tenant.id).first("shard")).toBe("DB_3");
      const clock = new TestClock();
      clock.advance(KV_SETTLE_MS + 1);
      await runMove(tenant.id, clock);
      expect((await moveOf(tenant.id)).state).toBe("done");
    }
  });
});
