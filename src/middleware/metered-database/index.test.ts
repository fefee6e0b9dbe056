import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../context.js";
import { tenants } from "../../storage/schema.js";
import { meteredDatabase } from "./index.js";

/** D1's own rows for a statement, run on the bare binding. */
async function reference(query: string, params: unknown[]): Promise<{ read: number; written: number }> {
  const { meta } = await env.DB.prepare(query).bind(...params).run();
  return { read: meta.rows_read, written: meta.rows_written };
}

/** Runs `body` in a request behind meteredDatabase and answers what the meter counted. */
async function metered(body: (rd: AppEnv["Variables"]["database"]) => Promise<void>) {
  const app = new Hono<AppEnv>();
  app.use("*", meteredDatabase);
  app.get("/", async (c) => {
    await body(c.get("database"));
    const m = c.get("database").meter;
    return c.json({ read: m.rowsRead, written: m.rowsWritten, statements: m.statements, licence: c.get("config").groupLicenceAttribute });
  });
  return (await app.request("/", {}, env)).json<{ read: number; written: number; statements: number; licence: string }>();
}

describe("meteredDatabase", () => {
  it("opens the request's database and the vendor configuration", async () => {
    expect((await metered(async () => undefined)).licence).toBe("license");
  });

  it("counts raw statements and batches as D1 reports them", async () => {
    await env.DB.prepare(`INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('m1', 'M', 0, 0), ('m2', 'M', 0, 0)`).run();
    const expected = await reference("SELECT count(*) AS n FROM tenants", []);
    const counted = await metered(async (rd) => {
      await rd.d1.prepare("SELECT count(*) AS n FROM tenants").all();
      await rd.d1.prepare("SELECT count(*) AS n FROM tenants").first();
      await rd.d1.prepare("SELECT count(*) AS n FROM tenants").raw();
      await rd.d1.batch([rd.d1.prepare("SELECT count(*) AS n FROM tenants"), rd.d1.prepare("SELECT count(*) AS n FROM tenants")]);
    });
    expect(counted).toMatchObject({ read: 5 * expected.read, written: 0, statements: 5 });
  });

  it("counts every Drizzle query shape the storage modules use, whichever D1 method Drizzle calls", async () => {
    await env.DB.prepare(`INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('d1', 'D', 0, 0), ('d2', 'D', 0, 0), ('d3', 'D', 0, 0)`).run();
    const select = await reference(`SELECT "id", "name" FROM "tenants" WHERE "tenants"."id" = ?`, ["d2"]);
    const scan = await reference(`SELECT "id" FROM "tenants" ORDER BY "id" LIMIT 2`, []);
    // The same insert, update and delete on a sibling row, for D1's own write figures.
    const insert = await reference(`INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('ref', 'R', 0, 0)`, []);
    const update = await reference(`UPDATE tenants SET name = 'R2' WHERE id = 'ref'`, []);
    const remove = await reference(`DELETE FROM tenants WHERE id = 'ref'`, []);
    const counted = await metered(async (rd) => {
      await rd.db.select({ id: tenants.id, name: tenants.name }).from(tenants).where(eq(tenants.id, "d2"));
      await rd.db.query.tenants.findFirst({ columns: { id: true, name: true }, where: eq(tenants.id, "d2") });
      await rd.db.select({ id: tenants.id }).from(tenants).orderBy(tenants.id).limit(2);
      await rd.db.insert(tenants).values({ id: "new", name: "N", createdAt: 0, updatedAt: 0 });
      await rd.db.update(tenants).set({ name: sql`'N2'` }).where(eq(tenants.id, "new"));
      await rd.db.batch([rd.db.delete(tenants).where(eq(tenants.id, "new"))]);
    });
    expect(counted.statements).toBe(6);
    expect(counted.written).toBe(insert.written + update.written + remove.written);
    expect(counted.read).toBe(2 * select.read + scan.read + insert.read + update.read + remove.read);
  });
});
