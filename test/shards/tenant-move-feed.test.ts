/**
 * The change feed across a move (docs/sharding.md): the tenant's feed
 * continues from a cursor taken before the move with no gap and no repeat
 * (its tenant_seq is the same on every shard), and the all-tenants feed
 * returns each of the tenant's events exactly once, under the id it was
 * first delivered with — the old shard keeps its events until retention,
 * and the copies on the new one stay out of that feed.
 */
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-client.js";
import { populatedTenant, runMove, startMove, TestClock } from "./tenant-move-driver.js";

interface FeedPage {
  events: Array<{ id: string; tenantId: string; sequence: number; type: string }>;
  nextCursor: string;
}

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";

/** Every page from `after` to the end of a feed; the events and the cursor to continue from. */
async function readToEnd(path: string, after?: string): Promise<{ events: FeedPage["events"]; cursor: string }> {
  const events: FeedPage["events"] = [];
  let cursor = after;
  for (let i = 0; i < 200; i++) {
    const res = await admin("GET", `${path}?limit=7${cursor ? `&after=${encodeURIComponent(cursor)}` : ""}`);
    expect(res.status).toBe(200);
    const page = await res.json<FeedPage>();
    events.push(...page.events);
    if (page.events.length === 0) return { events, cursor: page.nextCursor };
    cursor = page.nextCursor;
  }
  throw new Error("the feed did not end");
}

describe("the change feed across a move", () => {
  it("continues the tenant's feed from a cursor taken before the move, with no gap and no repeat", async () => {
    const { tenant } = await populatedTenant("DB_2");
    const first = await admin("GET", `/admin/tenants/${tenant.id}/events?limit=5`);
    const page = await first.json<FeedPage>();
    expect(page.events).toHaveLength(5);

    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "later@example.com" })).status).toBe(201);

    const rest = await readToEnd(`/admin/tenants/${tenant.id}/events`, page.nextCursor);
    const all = [...page.events, ...rest.events];
    expect(all.map((e) => e.sequence)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    // The same events, in the same order and under the same ids, as a reader starting after the move.
    expect((await readToEnd(`/admin/tenants/${tenant.id}/events`)).events).toEqual(all);
    expect(all.at(-1)).toMatchObject({ type: "user.created" });
    // Ids say where each event was written: the ones before the move on DB_2, the new one on DB_3.
    expect(all.slice(0, -1).every((e) => e.id.startsWith("evt_DB_2_"))).toBe(true);
    expect(all.at(-1)!.id).toMatch(/^evt_DB_3_\d+$/);
  });

  it("returns each of the tenant's events once in the all-tenants feed across the move, under one id", async () => {
    const reader = await readToEnd("/admin/events");
    const { tenant } = await populatedTenant("DB_2");
    const before = await readToEnd("/admin/events", reader.cursor);

    await startMove(tenant.id, "DB_3");
    await runMove(tenant.id, new TestClock());
    expect((await tenant.request("POST", "/Users", { schemas: [USER], userName: "moved@example.com" })).status).toBe(201);
    const after = await readToEnd("/admin/events", before.cursor);

    const delivered = [...before.events, ...after.events].filter((e) => e.tenantId === tenant.id);
    const tenantFeed = (await readToEnd(`/admin/tenants/${tenant.id}/events`)).events;
    expect(delivered.map((e) => e.id)).toEqual(tenantFeed.map((e) => e.id));
    expect(new Set(delivered.map((e) => e.id)).size).toBe(delivered.length);
    // The copies on DB_3 were not delivered again: after the move, only the new event.
    expect(after.events.filter((e) => e.tenantId === tenant.id).map((e) => e.type)).toEqual(["user.created"]);
    // A reader from scratch gets each of them once too.
    const fresh = (await readToEnd("/admin/events")).events.filter((e) => e.tenantId === tenant.id);
    expect(fresh.map((e) => e.id)).toEqual(tenantFeed.map((e) => e.id));
  });
});
