/**
 * Verification (src/moves/verifying.ts) catches a copy that is not the
 * source — a row changed, missing or extra on the target, a policy changed
 * on the source after it was copied — and a move that keeps failing is
 * failed too. A failed move rolls back: the tenant stays on its shard,
 * readable and writable, with nothing lost, and the target keeps nothing.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_CONSECUTIVE_ERRORS } from "../../src/moves/plan.js";
import { advanceTenantMoves } from "../../src/moves/advancer.js";
import { admin, type TenantBody } from "../support/admin-client.js";
import { binding, countOn, holdings, moveOf, NOTHING, populatedTenant, runMove, startMove, TestClock, usersOf, type MoveBody } from "./tenant-move-driver.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const stepwise = { budget: { pagesPerRun: 1, pageRows: 2 } };

/** A tenant on DB_2 whose move to DB_3 has copied everything and not verified anything yet. */
async function copiedAwaitingVerification() {
  const populated = await populatedTenant("DB_2");
  const resources = await usersOf(populated.tenant);
  const before = await holdings("DB_2", populated.tenant.id);
  await startMove(populated.tenant.id, "DB_3");
  const clock = new TestClock();
  await runMove(populated.tenant.id, clock, stepwise, (m) => m.state === "verifying");
  return { ...populated, resources, before, clock };
}

/** Runs the move to its end and checks what a failed move leaves: the tenant on DB_2, whole and writable; nothing on DB_3. */
async function expectFailedAndRolledBack(t: Awaited<ReturnType<typeof copiedAwaitingVerification>>, error: RegExp): Promise<MoveBody> {
  const states = await runMove(t.tenant.id, t.clock, stepwise);
  expect(states).toEqual(["verifying", "rolling_back", "failed"]);
  const move = await moveOf(t.tenant.id);
  expect(move.error).toMatch(error);
  expect(move.finishedAt).not.toBeNull();
  expect(await holdings("DB_3", t.tenant.id)).toEqual(NOTHING);
  expect((await (await admin("GET", `/admin/tenants/${t.tenant.id}`)).json<TenantBody>()).shard).toBe("DB_2");
  expect(await usersOf(t.tenant)).toEqual(t.resources);
  expect((await t.tenant.request("POST", "/Users", { schemas: [USER], userName: "after-failure@example.com" })).status).toBe(201);
  expect(await countOn("DB_2", "users", t.tenant.id)).toBe(t.before.users + 1);
  return move;
}

describe("verification of a moved tenant", () => {
  it("fails the move when a row of the copy differs, and the tenant stays on its shard", async () => {
    const t = await copiedAwaitingVerification();
    await binding("DB_3").prepare(`UPDATE users SET display_name = 'Tampered' WHERE tenant_id = ?1 AND id = ?2`).bind(t.tenant.id, t.users[3]).run();
    await expectFailedAndRolledBack(t, /users differ in a page of 2 rows between DB_2 and DB_3/);
  });

  it("fails the move when the copy misses a row", async () => {
    const t = await copiedAwaitingVerification();
    await binding("DB_3").prepare(`DELETE FROM memberships WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.tenant.id, t.users[5]).run();
    await expectFailedAndRolledBack(t, /memberships count \d+ rows against \d+/);
  });

  it("fails the move when the copy has a row the source does not", async () => {
    const t = await copiedAwaitingVerification();
    await binding("DB_3")
      .prepare(
        `INSERT INTO groups (tenant_id, id, display_name, display_name_key, licensing, doc, created_at, last_modified, etag)
         VALUES (?1, 'ffffffff-ffff-7fff-bfff-ffffffffffff', 'Extra', 'extra', 0, '{}', 0, 0, 'e')`,
      )
      .bind(t.tenant.id)
      .run();
    await expectFailedAndRolledBack(t, /groups has rows on DB_3 only/);
  });

  it("fails the move when an event of the copy differs", async () => {
    const t = await copiedAwaitingVerification();
    await binding("DB_3").prepare(`UPDATE events SET data = '{}' WHERE tenant_id = ?1 AND tenant_seq = 3`).bind(t.tenant.id).run();
    await expectFailedAndRolledBack(t, /events differ/);
  });

  it("fails the move when a settled entry of the provisioning log differs", async () => {
    const t = await copiedAwaitingVerification();
    await binding("DB_3").prepare(`UPDATE request_log SET status = 500 WHERE tenant_id = ?1 AND request_id = 'earlier-2'`).bind(t.tenant.id).run();
    await expectFailedAndRolledBack(t, /request_log differ/);
  });

  it("fails the move when the tenant's policy changed on its shard after the copy was made", async () => {
    const t = await copiedAwaitingVerification();
    // A policy change whose check for a move ran just before the move began (routes/admin.ts), landing after the copy.
    await binding("DB_2").prepare(`UPDATE tenants SET locations = '["Paris"]' WHERE id = ?1`).bind(t.tenant.id).run();
    await expectFailedAndRolledBack(t, /the tenant's locations differ/);
  });

  it(`fails a move whose runs fail ${MAX_CONSECUTIVE_ERRORS} times in a row, and gives the tenant its writes back`, async () => {
    const { tenant } = await populatedTenant("DB_2", { users: 2 });
    await startMove(tenant.id, "DB_3");
    const clock = new TestClock();
    // A deployment where DB_3 went missing from DATA_SHARDS: every run fails to open it.
    const withoutTarget = { ...env, DATA_SHARDS: "DB,DB_2" };
    for (let i = 1; i < MAX_CONSECUTIVE_ERRORS; i++) {
      expect(await advanceTenantMoves(withoutTarget, clock.now, { clock: clock.read })).toMatchObject({ moves: 1, ended: 0 });
      expect((await moveOf(tenant.id)).state).toBe("copying");
    }
    await advanceTenantMoves(withoutTarget, clock.now, { clock: clock.read });
    const failing = await moveOf(tenant.id);
    expect(failing).toMatchObject({ state: "rolling_back" });
    expect(failing.error).toMatch(new RegExp(`failed ${MAX_CONSECUTIVE_ERRORS} runs in a row at copying`));
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "writable@example.com" })).status).toBe(201);
    // The roll-back needs DB_3 too; once it is back, it finishes.
    await runMove(tenant.id, clock);
    expect((await moveOf(tenant.id)).state).toBe("failed");
    expect(await holdings("DB_3", tenant.id)).toEqual(NOTHING);
  });
});
