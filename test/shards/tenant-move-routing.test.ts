/**
 * Routing after a move (src/moves/switching.ts): every KV token record of
 * the tenant names the new shard, so its SCIM reads and writes land there
 * only; a request still routed to the old shard (a location's cached KV
 * record) gets 503 with Retry-After and writes nothing; and a tenant can
 * move back to a shard it left, the control database included.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tokenKey, sha256Hex, type TokenRecord } from "../../src/storage/tokens.js";
import { admin, issueToken, scim, type TenantBody } from "../support/admin-client.js";
import { binding, copyOn, countOn, holdings, populatedTenant, runMove, startMove, TestClock, usersOf } from "./tenant-move-driver.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";

async function shardsOfTokens(tenantId: string): Promise<string[]> {
  const { keys } = await env.TOKENS.list({ prefix: `token:${tenantId}:` });
  return Promise.all(keys.map(async (k) => (await env.TOKENS.get<TokenRecord>(k.name, "json"))!.shard ?? "DB"));
}

async function eventsInOrder(shard: string, tenantId: string): Promise<Array<{ tenant_seq: number; origin: string | null }>> {
  const { results } = await binding(shard)
    .prepare(`SELECT tenant_seq, origin FROM events WHERE tenant_id = ?1 ORDER BY tenant_seq`)
    .bind(tenantId)
    .all<{ tenant_seq: number; origin: string | null }>();
  return results;
}

describe("routing after a move", () => {
  it("serves SCIM reads and writes from the new shard only, through every token of the tenant", async () => {
    const { tenant, users } = await populatedTenant("DB_2");
    const second = await issueToken(tenant.id, { label: "second" });
    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());

    expect(await shardsOfTokens(tenant.id)).toEqual(["DB_3", "DB_3"]);
    const created = await tenant.request("POST", "/Users", { schemas: [USER], userName: "after@example.com" });
    expect(created.status).toBe(201);
    const patched = await tenant.request("PATCH", `/Users/${users[0]}`, {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "displayName", value: "Moved" }],
    });
    expect(patched.status).toBe(200);
    expect(await countOn("DB_3", "users", tenant.id)).toBe(users.length + 1);
    expect(await countOn("DB_2", "users", tenant.id)).toBe(0);
    expect(await binding("DB_3").prepare(`SELECT display_name FROM users WHERE tenant_id = ?1 AND id = ?2`).bind(tenant.id, users[0]).first("display_name")).toBe("Moved");
    // The writes' events continue the tenant's sequence on the new shard.
    const last = await binding("DB_3").prepare(`SELECT max(tenant_seq) AS s, count(*) AS n FROM events WHERE tenant_id = ?1`).bind(tenant.id).first<{ s: number; n: number }>();
    expect(last!.s).toBe(last!.n);

    const read = await scim(tenant.id, `/Users/${created.body.id}`, { token: second.token });
    expect(read.status).toBe(200);
    // A token issued after the move is routed to the new shard from the start.
    await issueToken(tenant.id, { label: "third" });
    expect((await shardsOfTokens(tenant.id)).sort()).toEqual(["DB_3", "DB_3", "DB_3"]);
    expect((await (await admin("GET", `/admin/tenants/${tenant.id}`)).json<TenantBody>()).stats).toMatchObject({ users: users.length + 1 });
  });

  it("answers 503 with Retry-After to a request still routed to the old shard, and writes nothing there", async () => {
    const { tenant, users } = await populatedTenant("DB_2");
    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());
    const onNew = await holdings("DB_3", tenant.id);

    // A location whose KV cache still holds the record from before the switch.
    const key = tokenKey(tenant.id, await sha256Hex(tenant.token));
    const record = (await env.TOKENS.get<TokenRecord>(key, "json"))!;
    await env.TOKENS.put(key, JSON.stringify({ ...record, shard: "DB_2" }));

    const write = await tenant.request("POST", "/Users", { schemas: [USER], userName: "stale@example.com" });
    expect(write.status).toBe(503);
    expect(Number(write.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(write.body.status).toBe("503");
    const read = await tenant.request("GET", `/Users/${users[0]}`);
    expect(read.status).toBe(503);
    expect(Number(read.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await countOn("DB_2", "users", tenant.id)).toBe(0);
    const { request_log: _log, ...dataOnNew } = onNew;
    const { request_log: _log2, ...dataNow } = await holdings("DB_3", tenant.id);
    expect(dataNow).toEqual(dataOnNew);

    // Once the location's cache expires, the same token is served again.
    await env.TOKENS.put(key, JSON.stringify(record));
    expect((await tenant.request("GET", `/Users/${users[0]}`)).status).toBe(200);
  });

  it("moves a tenant back to a shard it left: the old copy there is replaced, and its events continue in order", async () => {
    const { tenant } = await populatedTenant("DB_2");
    const firstEvents = await countOn("DB_2", "events", tenant.id);
    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());
    // Written on DB_3: events DB_2's old copy does not have.
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "on-three@example.com" })).status).toBe(201);
    const users = await usersOf(tenant);
    const onThree = await holdings("DB_3", tenant.id);

    await startMove(tenant.id, "DB_2");
    await runMove(tenant.id, new TestClock());
    expect(await copyOn("DB_2", tenant.id)).toEqual({ shard: "DB_2", writes_paused_at: null, moved_to: null });
    expect(await copyOn("DB_3", tenant.id)).toMatchObject({ moved_to: "DB_2" });
    expect(await usersOf(tenant)).toEqual(users);
    const { request_log: _a, ...dataThen } = onThree;
    const { request_log: _b, ...dataNow } = await holdings("DB_2", tenant.id);
    expect(dataNow).toEqual(dataThen);

    // DB_2 kept its own events from before (native), and got DB_3's as copies: one sequence, no gap.
    const events = await eventsInOrder("DB_2", tenant.id);
    expect(events.map((e) => e.tenant_seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events.slice(0, firstEvents).every((e) => e.origin === null)).toBe(true);
    expect(events.slice(firstEvents).every((e) => e.origin?.startsWith("DB_3:"))).toBe(true);
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "back@example.com" })).status).toBe(201);
    expect(await countOn("DB_2", "users", tenant.id)).toBe(users.length + 1);
  });

  it("moves a tenant off the control database and back: there its copy is the control row itself", async () => {
    const { tenant } = await populatedTenant("DB");
    const users = await usersOf(tenant);
    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());
    expect(await copyOn("DB", tenant.id)).toMatchObject({ shard: "DB_3", moved_to: "DB_3" });
    expect(await countOn("DB", "users", tenant.id)).toBe(0);
    expect(await usersOf(tenant)).toEqual(users);

    await startMove(tenant.id, "DB");
    await runMove(tenant.id, new TestClock());
    expect(await copyOn("DB", tenant.id)).toEqual({ shard: "DB", writes_paused_at: null, moved_to: null });
    expect(await usersOf(tenant)).toEqual(users);
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "home@example.com" })).status).toBe(201);
    expect(await countOn("DB", "users", tenant.id)).toBe(users.length + 1);
    expect(await countOn("DB_3", "users", tenant.id)).toBe(0);
  });
});
