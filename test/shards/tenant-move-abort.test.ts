/**
 * DELETE /admin/tenants/{id}/move: before the switch a move rolls back —
 * the tenant takes writes again at once, the copy made so far is deleted,
 * an old copy on the target is put back as it was, and a page a lost run
 * still had in flight cannot land; after the switch it is refused (the
 * tenant is moved back instead).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RunInterrupted } from "../../src/moves/advancer.js";
import { MoveFenced, readCopyPage, writeCopyPage } from "../../src/storage/tenant-copy.js";
import { admin } from "../support/admin-client.js";
import { binding, copyOn, countOn, holdings, moveOf, NOTHING, populatedTenant, runMove, startMove, TestClock, tick, usersOf, type MoveBody } from "./tenant-move-driver.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";

async function abort(tenantId: string): Promise<{ status: number; move: MoveBody }> {
  const res = await admin("DELETE", `/admin/tenants/${tenantId}/move`);
  const body = await res.json<{ move: MoveBody; detail?: string }>();
  return { status: res.status, move: body.move };
}

describe("aborting a move", () => {
  it("deletes the copy made so far and gives the tenant its writes back, at once", async () => {
    const { tenant } = await populatedTenant("DB_2");
    const users = await usersOf(tenant);
    await startMove(tenant.id, "DB_3");
    await tick(new TestClock(), { budget: { pagesPerRun: 12, pageRows: 2 } });
    expect(await countOn("DB_3", "users", tenant.id)).toBeGreaterThan(0);

    const { status, move } = await abort(tenant.id);
    expect(status).toBe(200);
    expect(move).toMatchObject({ state: "aborted", step: null, error: null });
    expect(move.finishedAt).not.toBeNull();
    expect(await holdings("DB_3", tenant.id)).toEqual(NOTHING);
    expect(await copyOn("DB_2", tenant.id)).toEqual({ shard: "DB_2", writes_paused_at: null, moved_to: null });
    expect(await usersOf(tenant)).toEqual(users);
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "again@example.com" })).status).toBe(201);
    expect((await moveOf(tenant.id)).state).toBe("aborted");
    // Over: another abort is refused, and a new move may start.
    expect((await admin("DELETE", `/admin/tenants/${tenant.id}/move`)).status).toBe(409);
    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());
    expect((await moveOf(tenant.id)).state).toBe("done");
    expect(await countOn("DB_3", "users", tenant.id)).toBe(users.length + 1);
  });

  it("aborts while verifying as well", async () => {
    const { tenant } = await populatedTenant("DB_2", { users: 2 });
    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock(), { budget: { pagesPerRun: 1, pageRows: 2 } }, (m) => m.state === "verifying");
    expect((await abort(tenant.id)).move.state).toBe("aborted");
    expect(await holdings("DB_3", tenant.id)).toEqual(NOTHING);
  });

  it("leaves a page still in flight from a run that lost the move unable to land on the target", async () => {
    const { tenant } = await populatedTenant("DB_2");
    await startMove(tenant.id, "DB_3");
    const clock = new TestClock();
    // A run that copied the first pages, read the next one and stalled (here: died) holding its lease.
    await expect(tick(clock, { budget: { pageRows: 2 }, interrupt: { units: 4, at: "saved" } })).rejects.toBeInstanceOf(RunInterrupted);
    const { startedAt } = (await env.DB.prepare(`SELECT started_at AS startedAt FROM tenant_moves WHERE tenant_id = ?1`).bind(tenant.id).first<{ startedAt: number }>())!;
    const inFlight = await readCopyPage(binding("DB_2"), "users", tenant.id, { limit: 100 });

    const { status, move } = await abort(tenant.id);
    expect(status).toBe(202);
    expect(move.state).toBe("rolling_back");
    // The next run takes the move once the lease has lapsed and fences the copy off first.
    clock.advance(60_000);
    await tick(clock, { budget: { pagesPerRun: 1 } });
    await expect(writeCopyPage(binding("DB_3"), "users", tenant.id, inFlight, startedAt, "DB_2")).rejects.toBeInstanceOf(MoveFenced);
    await runMove(tenant.id, clock);
    expect((await moveOf(tenant.id)).state).toBe("aborted");
    expect(await holdings("DB_3", tenant.id)).toEqual(NOTHING);
    await expect(writeCopyPage(binding("DB_3"), "users", tenant.id, inFlight, startedAt, "DB_2")).rejects.toBeInstanceOf(MoveFenced);
    expect(await countOn("DB_3", "users", tenant.id)).toBe(0);
  });

  it("is refused once the move has switched: the tenant is moved back instead", async () => {
    const { tenant } = await populatedTenant("DB_2", { users: 2 });
    await startMove(tenant.id, "DB_3");
    const clock = new TestClock();
    await runMove(tenant.id, clock, { budget: { pagesPerRun: 1, pageRows: 50 } }, (m) => m.state === "switching");
    for (const state of ["switching", "cleaning"]) {
      await runMove(tenant.id, clock, { budget: { pagesPerRun: 1, pageRows: 50 } }, (m) => m.state === state);
      const res = await admin("DELETE", `/admin/tenants/${tenant.id}/move`);
      expect(res.status).toBe(409);
      expect((await res.json<{ detail: string }>()).detail).toMatch(/move it back instead/);
    }
    await runMove(tenant.id, clock);
    expect((await moveOf(tenant.id)).state).toBe("done");
    expect((await admin("DELETE", `/admin/tenants/${tenant.id}/move`)).status).toBe(409);
  });

  it("puts an old copy back as it was when a move back to its shard is aborted", async () => {
    const { tenant } = await populatedTenant("DB_2");
    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());
    const oldCopy = await copyOn("DB_2", tenant.id);
    const oldEvents = await countOn("DB_2", "events", tenant.id);
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "three@example.com" })).status).toBe(201);
    const users = await usersOf(tenant);

    await startMove(tenant.id, "DB_2");
    // Far enough for DB_2 to hold copied users, groups and some of DB_3's events.
    await runMove(tenant.id, new TestClock(), { budget: { pagesPerRun: 1, pageRows: 2 } }, (m) => m.step === "request_log");
    expect(await countOn("DB_2", "events", tenant.id)).toBeGreaterThan(oldEvents);

    expect((await abort(tenant.id)).move.state).toBe("aborted");
    expect(await copyOn("DB_2", tenant.id)).toEqual(oldCopy);
    expect(await holdings("DB_2", tenant.id)).toEqual({ ...NOTHING, tenants: 1, events: oldEvents });
    expect(await usersOf(tenant)).toEqual(users);
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "still-three@example.com" })).status).toBe(201);
    expect(await countOn("DB_3", "users", tenant.id)).toBe(users.length + 1);
  });
});
