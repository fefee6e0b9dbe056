/**
 * Three data shards (DATA_SHARDS = "DB,DB_2,DB_3"): a tenant is placed on
 * one — least-loaded, or the one asked for — its SCIM requests reach that
 * shard only, and tenants on different shards never see each other.
 */
import { describe, expect, it } from "vitest";
import { admin, createTenant, type TenantBody } from "../support/admin-client.js";
import { newScimTenant } from "../support/scim-tenant.js";
import { binding, countOn } from "./local-shards.js";


describe("placing tenants", () => {
  it("puts a tenant on the shard it names, and shows it", async () => {
    const t = await createTenant({ id: "on-three", name: "Three", shard: "DB_3" });
    expect(t.shard).toBe("DB_3");
    const read = await (await admin("GET", "/admin/tenants/on-three")).json<TenantBody>();
    expect(read.shard).toBe("DB_3");
    // The control row says where; the shard keeps its own copy (policy read by the write SQL) and counters.
    expect(await binding("DB").prepare(`SELECT shard FROM tenants WHERE id = 'on-three'`).first("shard")).toBe("DB_3");
    expect(await binding("DB_3").prepare(`SELECT count(*) AS n FROM tenants WHERE id = 'on-three'`).first("n")).toBe(1);
    expect(await binding("DB_3").prepare(`SELECT count(*) AS n FROM tenant_stats WHERE tenant_id = 'on-three'`).first("n")).toBe(1);
    expect(await binding("DB_2").prepare(`SELECT count(*) AS n FROM tenants WHERE id = 'on-three'`).first("n")).toBe(0);
  });

  it("refuses a shard that is not in DATA_SHARDS, naming the field", async () => {
    const res = await admin("POST", "/admin/tenants", { id: "nowhere", name: "Nowhere", shard: "DB_9" });
    expect(res.status).toBe(400);
    const body = await res.json<{ fields: Array<{ field: string }> }>();
    expect(body.fields.map((f) => f.field)).toEqual(["shard"]);
    expect((await admin("GET", "/admin/tenants/nowhere")).status).toBe(404);
  });

  it("places a tenant without a shard on the one with the fewest tenants", async () => {
    await createTenant({ id: "a1", name: "A1", shard: "DB" });
    await createTenant({ id: "a2", name: "A2", shard: "DB_3" });
    // The tests of a file share its databases: DB 1 (a1), DB_2 0, DB_3 2 (on-three, a2) → DB_2; then DB and DB_2 have one each → DB, first in DATA_SHARDS order.
    expect((await createTenant({ id: "auto-1", name: "Auto 1" })).shard).toBe("DB_2");
    expect((await createTenant({ id: "auto-2", name: "Auto 2" })).shard).toBe("DB");
  });
});

describe("routing", () => {
  it("serves a tenant's SCIM requests from its shard alone", async () => {
    const t = await newScimTenant({ shard: "DB_2" });
    const created = await t.request("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@example.com" });
    expect(created.status).toBe(201);
    expect(await countOn("DB_2", "users", t.id)).toBe(1);
    expect(await countOn("DB", "users", t.id)).toBe(0);
    expect(await countOn("DB_3", "users", t.id)).toBe(0);
    const got = await t.request("GET", `/Users/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.userName).toBe("ada@example.com");
    expect(await countOn("DB_2", "events", t.id)).toBe(1);
  });

  it("keeps tenants on different shards apart: same userName, own ids, own lists", async () => {
    const a = await newScimTenant({ shard: "DB" });
    const b = await newScimTenant({ shard: "DB_3" });
    const user = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "same@example.com" };
    const ua = await a.request("POST", "/Users", user);
    const ub = await b.request("POST", "/Users", user);
    expect([ua.status, ub.status]).toEqual([201, 201]);
    expect((await a.request("GET", `/Users/${ub.body.id}`)).status).toBe(404);
    expect((await b.request("GET", `/Users/${ua.body.id}`)).status).toBe(404);
    expect((await a.request("GET", "/Users")).body.totalResults).toBe(1);
    // A's token on B's URL is refused like any bad token.
    expect((await b.request("GET", "/Users", undefined, { authorization: `Bearer ${a.token}` })).status).toBe(401);
  });

  it("reports each tenant's stats from its own shard", async () => {
    const t = await newScimTenant({ shard: "DB_3" });
    await t.request("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "x@example.com" });
    const read = await (await admin("GET", `/admin/tenants/${t.id}`)).json<TenantBody>();
    expect(read.stats?.users).toBe(1);
  });

  it("deletes a tenant's data on its shard and frees its id", async () => {
    const t = await newScimTenant({ id: "gone-soon", shard: "DB_2" });
    await t.request("POST", "/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "y@example.com" });
    expect((await admin("DELETE", "/admin/tenants/gone-soon")).status).toBe(204);
    expect(await countOn("DB_2", "users", "gone-soon")).toBe(0);
    expect(await binding("DB_2").prepare(`SELECT count(*) AS n FROM tenants WHERE id = 'gone-soon'`).first("n")).toBe(0);
    expect((await t.request("GET", "/Users")).status).toBe(401);
    expect((await createTenant({ id: "gone-soon", name: "Again", shard: "DB_3" })).shard).toBe("DB_3");
  });
});
