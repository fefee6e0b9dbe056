import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../context.js";
import { meteredDatabase } from "./index.js";

describe("meteredDatabase", () => {
  it("sums the rows of raw statements, batches and Drizzle queries as D1 reports them", async () => {
    const app = new Hono<AppEnv>();
    app.use("*", meteredDatabase);
    let expected = 0;
    app.get("/", async (c) => {
      const rd = c.get("database");
      const single = await rd.d1.prepare("SELECT count(*) AS n FROM tenants").all();
      const batch = await rd.d1.batch([rd.d1.prepare("SELECT 1 AS one"), rd.d1.prepare("SELECT count(*) AS n FROM users")]);
      await rd.db.query.tenants.findMany({ limit: 1 });
      // The same Drizzle query straight on the binding, for D1's own figure.
      const direct = await env.DB.prepare(`SELECT "id" FROM "tenants" LIMIT 1`).all();
      expected = single.meta.rows_read + batch.reduce((n, r) => n + r.meta.rows_read, 0) + direct.meta.rows_read;
      return c.json({ rowsRead: rd.meter.rowsRead, statements: rd.meter.statements, config: c.get("config").groupLicenceAttribute });
    });
    const res = await app.request("/", {}, env);
    const body = await res.json<{ rowsRead: number; statements: number; config: string }>();
    expect(body.rowsRead).toBe(expected);
    expect(body.statements).toBe(4);
    expect(body.config).toBe("license");
  });
});
