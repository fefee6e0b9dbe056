/**
 * The migrations in migrations/ (applied to the empty per-file database by
 * test/setup/apply-migrations.ts, exactly as `wrangler d1 migrations apply`
 * would) produce the schema the code relies on.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

async function schemaObjects(): Promise<MasterRow[]> {
  const { results } = await env.DB.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").all<MasterRow>();
  return results;
}

describe("migrations", () => {
  it("are all recorded as applied", async () => {
    const { results } = await env.DB.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>();
    expect(results.map((r) => r.name)).toEqual(env.TEST_MIGRATIONS.map((m) => m.name));
    expect(results.length).toBeGreaterThan(0);
  });

  it("create every table", async () => {
    const tables = (await schemaObjects()).filter((o) => o.type === "table").map((o) => o.name);
    for (const table of ["tenants", "tenant_stats", "tokens", "users", "groups", "memberships", "licences"]) {
      expect(tables).toContain(table);
    }
  });

  it("create the indexes behind every tenant-scoped lookup", async () => {
    const indexes = new Map((await schemaObjects()).filter((o) => o.type === "index").map((o) => [o.name, o.tbl_name]));
    expect(Object.fromEntries(
      ["users_user_name_key_uq", "users_external_id_idx", "users_work_email_idx", "groups_display_name_key_uq", "groups_external_id_idx", "memberships_user_idx", "licences_expiry_idx", "tokens_tenant_idx"].map((n) => [n, indexes.get(n)]),
    )).toEqual({
      users_user_name_key_uq: "users",
      users_external_id_idx: "users",
      users_work_email_idx: "users",
      groups_display_name_key_uq: "groups",
      groups_external_id_idx: "groups",
      memberships_user_idx: "memberships",
      licences_expiry_idx: "licences",
      tokens_tenant_idx: "tokens",
    });
  });

  it("make memberships and licences WITHOUT ROWID tables", async () => {
    const objects = await schemaObjects();
    for (const table of ["memberships", "licences"]) {
      const ddl = objects.find((o) => o.type === "table" && o.name === table)?.sql ?? "";
      expect(ddl).toMatch(/\)\s*WITHOUT ROWID\s*$/i);
    }
    // And the engine agrees: a WITHOUT ROWID table has no rowid column to select.
    await expect(env.DB.prepare("SELECT rowid FROM memberships LIMIT 1").all()).rejects.toThrow(/rowid/);
    await expect(env.DB.prepare("SELECT rowid FROM licences LIMIT 1").all()).rejects.toThrow(/rowid/);
  });

  it("add tenants.licence_when_absent, NOT NULL DEFAULT 'pro' (the SCIM SQL reads it by this name)", async () => {
    const { results } = await env.DB.prepare(`SELECT name, type, "notnull" AS required, dflt_value AS dflt FROM pragma_table_info('tenants')`).all<{
      name: string;
      type: string;
      required: number;
      dflt: string | null;
    }>();
    expect(results.find((c) => c.name === "licence_when_absent")).toEqual({ name: "licence_when_absent", type: "TEXT", required: 1, dflt: "'pro'" });
  });

  it("create the current_licences view for the vendor's app (docs/licences.md)", async () => {
    const views = (await schemaObjects()).filter((o) => o.type === "view");
    expect(views.map((v) => [v.name, v.tbl_name])).toContainEqual(["current_licences", "current_licences"]);
    const { results } = await env.DB.prepare(`SELECT name FROM pragma_table_info('current_licences') ORDER BY cid`).all<{ name: string }>();
    expect(results.map((r) => r.name)).toEqual(["tenant_id", "user_id", "status", "since", "downgraded_at", "expires_at"]);
  });

  it("after the initial one, are additive: no table rebuild, drop or foreign-key pragma (docs/storage.md, Migrations)", () => {
    // D1 ignores PRAGMA foreign_keys=OFF, so a drizzle-kit rebuild (__new_ table, copy, DROP) of a
    // parent table would delete child rows; and a rebuilt memberships/licences would lose WITHOUT ROWID.
    for (const migration of env.TEST_MIGRATIONS.slice(1)) {
      for (const query of migration.queries) {
        expect(query, migration.name).not.toMatch(/DROP\s+TABLE|__new_|PRAGMA\s+foreign_keys|ALTER\s+TABLE\s+\S+\s+RENAME/i);
      }
    }
  });

  it("leave users and groups as rowid tables and use no cascading deletes", async () => {
    const objects = await schemaObjects();
    for (const table of ["users", "groups"]) {
      expect(objects.find((o) => o.name === table)?.sql ?? "").not.toMatch(/WITHOUT ROWID/i);
    }
    // A table rebuild would fire a CASCADE and silently delete children (docs/storage.md, "Migrations").
    for (const o of objects) expect(o.sql ?? "").not.toMatch(/ON DELETE CASCADE/i);
  });
});
