/**
 * A move interrupted at every unit of work (src/moves/advancer.ts): each
 * run dies after one unit — once it is saved, or after its D1 work and
 * before its save — as an isolate that ends would, keeping its lease. A run
 * while that lease holds does nothing (two runs never advance one move);
 * the next one after it resumes from the last save. Throughout, the tenant
 * is served — from its shard before the switch, from the new one after it,
 * and with 503 and Retry-After in between — and at the end nothing is lost.
 */
import { describe, expect, it } from "vitest";
import { LEASE_MARGIN_MS, RunInterrupted } from "../../src/moves/advancer.js";
import { DEFAULT_MOVE_BUDGET } from "../../src/moves/plan.js";
import { admin } from "../support/admin-client.js";
import { countOn, holdings, moveOf, NOTHING, populatedTenant, startMove, TestClock, tick, usersOf, type Holdings } from "./tenant-move-driver.js";

/** Past a dead run's lease (advancer.ts: the time budget plus its margin). */
const PAST_LEASE = DEFAULT_MOVE_BUDGET.timeBudgetMs + LEASE_MARGIN_MS + 1;
const budget = { pageRows: 2 };

const withoutLog = ({ request_log: _log, ...data }: Holdings) => data;

describe("a move interrupted at every unit of work", () => {
  for (const at of ["saved", "unsaved"] as const) {
    it(`resumes from its last save when each run dies ${at === "saved" ? "after saving" : "before saving"} its unit, and serves the tenant throughout`, async () => {
      const { tenant } = await populatedTenant("DB_2", { users: 4 });
      const users = await usersOf(tenant);
      const before = withoutLog(await holdings("DB_2", tenant.id));
      await startMove(tenant.id, "DB_3");
      const clock = new TestClock();
      const states = new Set<string>();
      let deaths = 0;
      for (let run = 0; run < 500; run++) {
        const move = await moveOf(tenant.id);
        states.add(move.state);
        if (move.state === "done") break;
        let died = false;
        try {
          // "unsaved": the run saves one unit, then dies after the next one's D1 work: every unit is done
          // twice, once without its save, so each must be safe to do again.
          await tick(clock, { budget, interrupt: { units: at === "saved" ? 1 : 2, at } });
        } catch (err) {
          expect(err).toBeInstanceOf(RunInterrupted);
          died = true;
          deaths += 1;
        }
        if (died) {
          // Its lease holds: another run now leaves the move alone.
          expect(await tick(clock, { budget })).toMatchObject({ moves: 0, pages: 0 });
        }
        // Never an error, never other data: the users as they were, or 503 while the routing switches.
        const read = await tenant.request("GET", "/Users?count=100");
        if (read.status === 503) expect(Number(read.headers.get("retry-after"))).toBeGreaterThan(0);
        else {
          expect(read.status).toBe(200);
          expect(read.body.Resources).toEqual(users);
        }
        clock.advance(PAST_LEASE);
      }
      expect([...states]).toEqual(["copying", "verifying", "switching", "cleaning", "done"]);
      expect(deaths).toBeGreaterThan(at === "saved" ? 60 : 30);
      expect(withoutLog(await holdings("DB_3", tenant.id))).toEqual(before);
      expect(await holdings("DB_2", tenant.id)).toEqual({ ...NOTHING, tenants: 1, events: before.events });
      // Every provisioning log entry, the reads during the move included, is on the new shard.
      expect(await countOn("DB_3", "request_log", tenant.id)).toBeGreaterThan(0);
      expect((await moveOf(tenant.id)).verification).toMatchObject({ users: { rows: before.users }, events: { rows: before.events } });
    });
  }

  it("rolls an abort back across interrupted runs, and leaves the tenant writable on its shard", async () => {
    const { tenant } = await populatedTenant("DB_2", { users: 4 });
    const before = withoutLog(await holdings("DB_2", tenant.id));
    await startMove(tenant.id, "DB_3");
    const clock = new TestClock();
    // A run dies with its lease, part-way through copying users and groups to DB_3.
    await expect(tick(clock, { budget, interrupt: { units: 7, at: "unsaved" } })).rejects.toBeInstanceOf(RunInterrupted);
    expect(await countOn("DB_3", "users", tenant.id)).toBeGreaterThan(0);

    // The abort cannot take the move from the dead run's lease: it answers 202, and the writes are back at once.
    const res = await admin("DELETE", `/admin/tenants/${tenant.id}/move`);
    expect(res.status).toBe(202);
    expect((await res.json<{ move: { state: string } }>()).move.state).toBe("rolling_back");
    expect((await tenant.request("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "during@example.com" })).status).toBe(201);

    for (let run = 0; run < 100 && (await moveOf(tenant.id)).state !== "aborted"; run++) {
      clock.advance(PAST_LEASE);
      await tick(clock, { budget, interrupt: { units: 1, at: run % 2 === 0 ? "unsaved" : "saved" } }).catch((err: unknown) => expect(err).toBeInstanceOf(RunInterrupted));
    }
    expect((await moveOf(tenant.id)).state).toBe("aborted");
    expect(await holdings("DB_3", tenant.id)).toEqual(NOTHING);
    expect(withoutLog(await holdings("DB_2", tenant.id))).toMatchObject({ ...before, users: before.users + 1, events: before.events + 1 });
  });
});
