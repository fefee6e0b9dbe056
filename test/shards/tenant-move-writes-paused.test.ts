/**
 * While a tenant is copied its SCIM writes are refused — 503 with
 * Retry-After, nothing written, checked inside the write batch
 * (storage/write-guard.ts) — and its reads are served from its shard as
 * before; an abort gives the writes back at once. The tenant's policies and
 * its deletion wait for the move too.
 */
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-client.js";
import { GROUP_SCHEMA, PATCH_OP } from "../support/licences.js";
import { countOn, holdings, moveOf, populatedTenant, runMove, startMove, TestClock, tick, usersOf } from "./tenant-move-driver.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";

describe("SCIM writes while a tenant moves", () => {
  it("are answered 503 with Retry-After and change nothing, in copying and in verifying, while reads are served", async () => {
    const { tenant, users, groups } = await populatedTenant("DB_2");
    const users0 = await usersOf(tenant);
    await startMove(tenant.id, "DB_3");
    const clock = new TestClock();
    // Part-way through copying, then at verifying.
    await tick(clock, { budget: { pagesPerRun: 5, pageRows: 2 } });

    for (const until of ["copying", "verifying"]) {
      await runMove(tenant.id, clock, { budget: { pagesPerRun: 3, pageRows: 2 } }, (m) => m.state === until);
      const held = await holdings("DB_2", tenant.id);
      const writes = [
        tenant.request("POST", "/Users", { schemas: [USER], userName: "new@example.com" }),
        tenant.request("PATCH", `/Users/${users[0]}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "x" }] }),
        tenant.request("PUT", `/Users/${users[0]}`, { schemas: [USER], userName: "user0@example.com", active: false }),
        tenant.request("DELETE", `/Users/${users[2]}`),
        tenant.request("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "New" }),
        tenant.request("PATCH", `/Groups/${groups[0]}`, { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${users[0]}"]` }] }),
        tenant.request("DELETE", `/Groups/${groups[1]}`),
      ];
      for (const w of await Promise.all(writes)) {
        expect(w.status, JSON.stringify(w.body)).toBe(503);
        expect(Number(w.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(w.body).toMatchObject({ status: "503", schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"] });
      }
      // Nothing written but the provisioning log of those requests.
      const { request_log: _a, ...heldData } = held;
      const { request_log: _b, ...nowData } = await holdings("DB_2", tenant.id);
      expect(nowData).toEqual(heldData);
      expect(await usersOf(tenant)).toEqual(users0);
      expect((await tenant.request("GET", `/Groups/${groups[0]}`)).status).toBe(200);
      expect((await moveOf(tenant.id)).state).toBe(until);
    }

    await runMove(tenant.id, clock);
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "new@example.com" })).status).toBe(201);
    expect(await countOn("DB_3", "users", tenant.id)).toBe(users.length + 1);
  });

  it("are taken again on the tenant's shard as soon as the move is aborted", async () => {
    const { tenant, users } = await populatedTenant("DB_2");
    await startMove(tenant.id, "DB_3");
    await tick(new TestClock(), { budget: { pagesPerRun: 6, pageRows: 2 } });
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "blocked@example.com" })).status).toBe(503);

    const aborted = await admin("DELETE", `/admin/tenants/${tenant.id}/move`);
    expect(aborted.status).toBe(200);
    expect((await aborted.json<{ move: { state: string } }>()).move.state).toBe("aborted");
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "blocked@example.com" })).status).toBe(201);
    expect(await countOn("DB_2", "users", tenant.id)).toBe(users.length + 1);
  });

  it("hold back a change of the tenant's policies and its deletion until the move is over", async () => {
    const { tenant } = await populatedTenant("DB_2", { users: 2 });
    await startMove(tenant.id, "DB_3");
    const patch = await admin("PATCH", `/admin/tenants/${tenant.id}`, { name: "Renamed" });
    expect(patch.status).toBe(409);
    expect((await patch.json<{ detail: string }>()).detail).toMatch(/moving to DB_3/);
    expect((await admin("DELETE", `/admin/tenants/${tenant.id}`)).status).toBe(409);
    expect((await admin("POST", `/admin/tenants/${tenant.id}/move`, { to: "DB" })).status).toBe(409);

    await runMove(tenant.id, new TestClock());
    expect((await admin("PATCH", `/admin/tenants/${tenant.id}`, { name: "Renamed" })).status).toBe(200);
    // The policy lives on the new shard's copy, which the SCIM writes read.
    expect((await admin("DELETE", `/admin/tenants/${tenant.id}`)).status).toBe(204);
    expect(await countOn("DB_3", "tenants", tenant.id)).toBe(0);
    expect(await countOn("DB_2", "tenants", tenant.id)).toBe(0);
    expect(await countOn("DB_2", "events", tenant.id)).toBe(0);
  });
});
