/**
 * The move routes' refusals (src/routes/admin-moves.ts): the admin error
 * shape with the field named, and the statuses the OpenAPI document states —
 * 404 for an unknown tenant or one that never moved, 400 for a body that is
 * not `{ "to": <a shard of DATA_SHARDS> }`, 409 for the tenant's own shard
 * or a move already under way.
 */
import { describe, expect, it } from "vitest";
import { admin, createTenant } from "../support/admin-client.js";
import { binding, holdings, moveOf, NOTHING, runMove, SHARDS, startMove, TestClock } from "./tenant-move-driver.js";

async function refusal(method: string, path: string, body?: unknown): Promise<{ status: number; error: string; fields: string[] }> {
  const res = await admin(method, path, body);
  const json = await res.json<{ error: string; detail: string; fields?: Array<{ field: string }> }>();
  expect(typeof json.detail).toBe("string");
  return { status: res.status, error: json.error, fields: (json.fields ?? []).map((f) => f.field) };
}

describe("the move routes", () => {
  it("refuse a body that is not { to: <shard> }, naming the field", async () => {
    await createTenant({ id: "move-bodies", name: "Bodies", shard: "DB_2" });
    const path = "/admin/tenants/move-bodies/move";
    expect(await refusal("POST", path, {})).toEqual({ status: 400, error: "invalid_request", fields: ["to"] });
    expect(await refusal("POST", path, { to: 3 })).toEqual({ status: 400, error: "invalid_request", fields: ["to"] });
    expect(await refusal("POST", path, { to: "DB_3", shard: "DB_3" })).toEqual({ status: 400, error: "invalid_request", fields: ["shard"] });
    expect(await refusal("POST", path, "{not json")).toEqual({ status: 400, error: "invalid_request", fields: ["body"] });
    expect(await refusal("POST", path, { to: "DB_9" })).toEqual({ status: 400, error: "invalid_request", fields: ["to"] });
    expect(await refusal("POST", path, { to: "DB_2" })).toEqual({ status: 409, error: "conflict", fields: ["to"] });
    // Nothing was started by any of them.
    expect((await refusal("GET", path)).status).toBe(404);
  });

  it("answer 404 for an unknown tenant and for one that never moved", async () => {
    expect((await refusal("POST", "/admin/tenants/no-such-tenant/move", { to: "DB_3" })).status).toBe(404);
    expect((await refusal("GET", "/admin/tenants/no-such-tenant/move")).status).toBe(404);
    expect((await refusal("DELETE", "/admin/tenants/no-such-tenant/move")).status).toBe(404);
    await createTenant({ id: "never-moved", name: "Still", shard: "DB" });
    expect(await refusal("GET", "/admin/tenants/never-moved/move")).toMatchObject({ status: 404, error: "not_found" });
    expect(await refusal("DELETE", "/admin/tenants/never-moved/move")).toMatchObject({ status: 404, error: "not_found" });
  });

  it("refuse a second move while one is under way, and show the one under way", async () => {
    await createTenant({ id: "busy-mover", name: "Busy", shard: "DB" });
    const move = await startMove("busy-mover", "DB_2");
    expect(await refusal("POST", "/admin/tenants/busy-mover/move", { to: "DB_3" })).toMatchObject({ status: 409, error: "conflict" });
    expect(await moveOf("busy-mover")).toEqual(move);
    await runMove("busy-mover", new TestClock());
    // Once it is over, the tenant may move again: the new move replaces the old one's record.
    const next = await startMove("busy-mover", "DB_3");
    expect(next.id).not.toBe(move.id);
    expect(next).toMatchObject({ from: "DB_2", to: "DB_3", state: "copying" });
    await runMove("busy-mover", new TestClock());
    expect((await moveOf("busy-mover")).state).toBe("done");
  });

  it("show a tenant created again under an id no move of an earlier tenant of that id", async () => {
    await createTenant({ id: "reborn", name: "First", shard: "DB_2" });
    await startMove("reborn", "DB_3");
    await runMove("reborn", new TestClock());
    expect((await admin("DELETE", "/admin/tenants/reborn")).status).toBe(204);
    // The delete took the moves' record with it, and purged every shard: the old copy's tombstone and events too.
    expect(await binding("DB").prepare(`SELECT count(*) AS n FROM tenant_moves WHERE tenant_id = 'reborn'`).first("n")).toBe(0);
    for (const shard of SHARDS) expect(await holdings(shard, "reborn")).toEqual(NOTHING);
    await createTenant({ id: "reborn", name: "Second", shard: "DB_3" });
    expect((await refusal("GET", "/admin/tenants/reborn/move")).status).toBe(404);
    expect((await refusal("DELETE", "/admin/tenants/reborn/move")).status).toBe(404);
  });
});
