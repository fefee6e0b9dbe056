/**
 * With one data shard (DATA_SHARDS = "DB", the default) nothing can move:
 * a move is refused naming `to`, and the scheduled runs of src/moves/ read
 * nothing at all. The shards project (test/shards/tenant-move-*.test.ts)
 * moves tenants between three.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advanceTenantMoves } from "../src/moves/advancer.js";
import { admin, createTenant } from "./support/admin-client.js";

describe("moves with one data shard", () => {
  it("refuses a move, naming the field, and starts nothing", async () => {
    await createTenant({ id: "single-shard", name: "Single" });
    for (const to of ["DB", "DB_2"]) {
      const res = await admin("POST", "/admin/tenants/single-shard/move", { to });
      expect(res.status).toBe(400);
      const body = await res.json<{ error: string; detail: string; fields: Array<{ field: string; message: string }> }>();
      expect(body.error).toBe("invalid_request");
      expect(body.fields.map((f) => f.field)).toEqual(["to"]);
      expect(body.detail).toMatch(/one data shard/);
    }
    expect((await admin("GET", "/admin/tenants/single-shard/move")).status).toBe(404);
  });

  it("costs the scheduled runs no read", async () => {
    expect(await advanceTenantMoves(env, Date.now())).toEqual({ moves: 0, pages: 0, ended: 0, complete: true, rowsRead: 0, rowsWritten: 0 });
  });
});
