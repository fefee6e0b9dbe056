/**
 * Migrations on every shard (docs/sharding.md, "Migrations"): every D1
 * binding of DATA_SHARDS carries every migration, and a database whose
 * schema is behind this build is never half-used — a data shard behind
 * answers its own tenants 503 with Retry-After and a log line naming it
 * while the other shards serve; the control database behind answers every
 * route 503. "Behind" is constructed: the newest d1_migrations row is taken
 * out (and put back), and the isolate is told to forget what it knew.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assertSchemaCurrent, forgetSchemaState, LATEST_MIGRATION, SCHEMA_RECHECK_MS, shardNames, ShardUnavailable } from "../../src/storage/shards.js";
import { admin, call } from "../support/admin-client.js";
import { newScimTenant } from "../support/scim-tenant.js";
import { binding } from "./local-shards.js";

const USER = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@example.com" };

interface MigrationRow {
  id: number;
  name: string;
  applied_at: string;
}

/** Takes the newest migration off a database's record, as if it had not been applied yet; returns the row. */
async function setBehind(shard: string): Promise<MigrationRow> {
  const row = await binding(shard).prepare(`DELETE FROM d1_migrations WHERE id = (SELECT max(id) FROM d1_migrations) RETURNING id, name, applied_at`).first<MigrationRow>();
  expect(row?.name).toBe(LATEST_MIGRATION);
  forgetSchemaState();
  return row!;
}

async function restore(shard: string, row: MigrationRow): Promise<void> {
  await binding(shard).prepare(`INSERT INTO d1_migrations (id, name, applied_at) VALUES (?1, ?2, ?3)`).bind(row.id, row.name, row.applied_at).run();
  forgetSchemaState();
}

/** The worker's error log lines (src/log.ts writes level "error" with console.error), parsed. */
function errorLines(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => {
    try {
      lines.push(JSON.parse(String(line)) as Record<string, unknown>);
    } catch {
      // Not one of ours.
    }
  });
  return lines;
}

afterEach(() => {
  vi.restoreAllMocks();
  forgetSchemaState();
});

describe("migrations on every shard", () => {
  it("applies every migration to every binding of DATA_SHARDS, the control database included", async () => {
    const names = shardNames(env);
    expect(names).toEqual(["DB", "DB_2", "DB_3"]);
    const expected = env.TEST_MIGRATIONS.map((m) => m.name);
    expect(expected.at(-1)).toBe(LATEST_MIGRATION);
    for (const name of names) {
      const { results } = await binding(name).prepare(`SELECT name FROM d1_migrations ORDER BY id`).all<{ name: string }>();
      expect(results.map((r) => r.name), name).toEqual(expected);
      // The newest migration's columns are there, not only its record.
      const { results: columns } = await binding(name).prepare(`SELECT name FROM pragma_table_info('tenants')`).all<{ name: string }>();
      expect(columns.map((c) => c.name), name).toEqual(expect.arrayContaining(["shard", "writes_paused_at", "moved_to"]));
    }
  });

  it("answers a behind data shard's tenants 503 with Retry-After and a log line, serves the other shards, and serves again once migrated", async () => {
    const behindTenant = await newScimTenant({ shard: "DB_2" });
    const otherTenant = await newScimTenant({ shard: "DB_3" });
    expect((await behindTenant.request("POST", "/Users", USER)).status).toBe(201);

    const row = await setBehind("DB_2");
    const lines = errorLines();

    const refused = await behindTenant.request("GET", "/Users");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toContain("application/scim+json");
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
    // A write is refused before anything is written: the shard is not touched at all.
    expect((await behindTenant.request("POST", "/Users", { ...USER, userName: "bob@example.com" })).status).toBe(503);
    expect(await binding("DB_2").prepare(`SELECT count(*) AS n FROM users WHERE tenant_id = ?1`).bind(behindTenant.id).first("n")).toBe(1);

    const logged = lines.filter((l) => l.type === "shard-unavailable");
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]).toMatchObject({ level: "error", shard: "DB_2", reason: "behind" });
    expect(String(logged[0]!.detail)).toContain(LATEST_MIGRATION);

    // The admin API reads the tenant's data on its shard: refused the same way, in the admin shape.
    const adminRead = await admin("GET", `/admin/tenants/${behindTenant.id}`);
    expect(adminRead.status).toBe(503);
    expect(adminRead.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await adminRead.json()).toMatchObject({ error: "unavailable" });

    // A tenant on another shard is not affected, over SCIM or the admin API.
    expect((await otherTenant.request("POST", "/Users", USER)).status).toBe(201);
    expect((await otherTenant.request("GET", "/Users")).body.totalResults).toBe(1);
    expect((await admin("GET", `/admin/tenants/${otherTenant.id}`)).status).toBe(200);

    await restore("DB_2", row);
    const served = await behindTenant.request("GET", "/Users");
    expect(served.status).toBe(200);
    expect(served.body.totalResults).toBe(1);
    expect((await admin("GET", `/admin/tenants/${behindTenant.id}`)).status).toBe(200);
  });

  it("answers every route 503 while the control database is behind: admin in the admin shape, SCIM as a SCIM error", async () => {
    const tenant = await newScimTenant({ shard: "DB_3" });
    const row = await setBehind("DB");
    const lines = errorLines();

    const adminList = await admin("GET", "/admin/tenants");
    expect(adminList.status).toBe(503);
    expect(adminList.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await adminList.json()).toMatchObject({ error: "unavailable" });

    // Its data shard is current, but the tenant's requests also pass through the control database.
    const scim = await tenant.request("GET", "/Users");
    expect(scim.status).toBe(503);
    expect(scim.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(scim.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });

    expect((await call("/healthz")).status).toBe(503);
    expect(lines.filter((l) => l.type === "shard-unavailable").map((l) => [l.level, l.shard, l.reason])).toContainEqual(["error", "DB", "behind"]);

    await restore("DB", row);
    expect((await admin("GET", "/admin/tenants")).status).toBe(200);
    expect((await tenant.request("GET", "/Users")).status).toBe(200);
  });

  it("keeps a 'behind' answer for SCHEMA_RECHECK_MS, then asks the shard again; a current one for good", async () => {
    const t0 = Date.now();
    const row = await setBehind("DB_3");
    await expect(assertSchemaCurrent(env, "DB_3", t0)).rejects.toMatchObject({ shard: "DB_3", reason: "behind" });
    const applied = binding("DB_3").prepare(`INSERT INTO d1_migrations (id, name, applied_at) VALUES (?1, ?2, ?3)`).bind(row.id, row.name, row.applied_at);
    await applied.run();
    // Migrated now, but within the recheck window the isolate does not ask again: one read per SCHEMA_RECHECK_MS, not per request.
    await expect(assertSchemaCurrent(env, "DB_3", t0 + SCHEMA_RECHECK_MS - 1)).rejects.toBeInstanceOf(ShardUnavailable);
    await expect(assertSchemaCurrent(env, "DB_3", t0 + SCHEMA_RECHECK_MS)).resolves.toBeUndefined();
    // Once current, the isolate never reads d1_migrations again (migrations only ever add).
    await binding("DB_3").prepare(`DELETE FROM d1_migrations WHERE id = ?1`).bind(row.id).run();
    await expect(assertSchemaCurrent(env, "DB_3", t0 + 10 * SCHEMA_RECHECK_MS)).resolves.toBeUndefined();
    await applied.run();
  });

  it("refuses a shard name that is not a D1 binding of this worker", async () => {
    await expect(assertSchemaCurrent(env, "DB_9")).rejects.toMatchObject({ shard: "DB_9", reason: "unknown" });
  });
});
