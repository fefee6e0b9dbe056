/**
 * Reading the change feed: pages in order, every event exactly once across
 * pages read while writes happen, a stable opaque cursor present on an
 * empty page too, bounded page sizes, filters, and retention with 410 for a
 * cursor older than it.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pruneEvents } from "../../src/feed/retention.js";
import { admin } from "../support/admin-client.js";
import { createUser, patchUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

interface Page {
  events: Array<{ id: string; tenantId: string; sequence: number; type: string; resourceId: string }>;
  nextCursor: string;
}

async function page(path: string): Promise<Page> {
  const res = await admin("GET", path);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<Page>();
}

/** Pages through a feed from `after`, `limit` at a time, until an empty page. */
async function drain(base: string, after = "", limit = 3): Promise<{ ids: string[]; cursor: string }> {
  const ids: string[] = [];
  let cursor = after;
  for (;;) {
    const p = await page(`${base}?limit=${limit}${cursor ? `&after=${cursor}` : ""}`);
    ids.push(...p.events.map((e) => e.id));
    cursor = p.nextCursor;
    if (p.events.length === 0) return { ids, cursor };
  }
}

async function renameMany(t: ScimTenant, id: string, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) expect((await patchUser(t, id, [{ op: "replace", path: "displayName", value: `${tag} ${i}` }])).status).toBe(200);
}

describe("paging", () => {
  it("a tenant's feed, read in pages between writes, yields every event once, in sequence", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "a@contoso.com");
    await renameMany(t, u, 4, "first");
    const base = `/admin/tenants/${t.id}/events`;
    const first = await page(`${base}?limit=2`);
    expect(first.events.map((e) => e.sequence)).toEqual([1, 2]);
    // Writes land between the reader's pages.
    await renameMany(t, u, 5, "second");
    const rest = await drain(base, first.nextCursor, 2);
    const all = [...first.events.map((e) => e.id), ...rest.ids];
    expect(all).toHaveLength(10);
    expect(new Set(all).size).toBe(10);
    // The empty page still has a cursor; polling it later returns only what came after.
    const empty = await page(`${base}?after=${rest.cursor}`);
    expect(empty.events).toEqual([]);
    expect(empty.nextCursor).toBe(rest.cursor);
    await renameMany(t, u, 1, "third");
    const polled = await page(`${base}?after=${rest.cursor}`);
    expect(polled.events.map((e) => e.sequence)).toEqual([11]);
  });

  it("the all-tenants feed, read while two tenants write concurrently, yields every event exactly once in one order", async () => {
    const [t1, t2] = [await newScimTenant(), await newScimTenant()];
    const [u1, u2] = [await createUser(t1, "b@contoso.com"), await createUser(t2, "c@contoso.com")];
    const start = (await drain("/admin/events", "", 1000)).cursor;
    const seen: string[] = [];
    let cursor = start;
    const reader = (async () => {
      for (let i = 0; i < 40; i++) {
        const p = await page(`/admin/events?limit=2&after=${cursor}`);
        seen.push(...p.events.map((e) => e.id));
        cursor = p.nextCursor;
      }
    })();
    await Promise.all([renameMany(t1, u1, 10, "one"), renameMany(t2, u2, 10, "two"), reader]);
    seen.push(...(await drain("/admin/events", cursor, 5)).ids);
    const truth = (await drain("/admin/events", start, 1000)).ids;
    expect(truth).toHaveLength(20);
    expect(seen).toEqual(truth);
    const numbers = truth.map((id) => Number(id.slice(4)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it("filters by type and resourceId; limit is bounded; a cursor from another feed or garbage is 400", async () => {
    const t = await newScimTenant();
    const [a, b] = [await createUser(t, "d@contoso.com"), await createUser(t, "e@contoso.com")];
    await renameMany(t, a, 2, "x");
    const base = `/admin/tenants/${t.id}/events`;
    expect((await page(`${base}?type=user.created`)).events.map((e) => e.resourceId)).toEqual([a, b]);
    expect((await page(`${base}?resourceId=${a}`)).events.map((e) => e.type)).toEqual(["user.created", "user.updated", "user.updated"]);
    for (const bad of ["limit=0", "limit=1001", "type=user.exploded", "after=garbage!", "sort=asc"]) {
      expect((await admin("GET", `${base}?${bad}`)).status, bad).toBe(400);
    }
    const tenantCursor = (await page(`${base}?limit=1`)).nextCursor;
    expect((await admin("GET", `/admin/events?after=${tenantCursor}`)).status).toBe(400);
    expect((await admin("GET", `/admin/tenants/no-such-tenant/events`)).status).toBe(404);
  });

  it("another tenant's events never appear in a tenant's feed", async () => {
    const [t1, t2] = [await newScimTenant(), await newScimTenant()];
    await createUser(t1, "f@contoso.com");
    await createUser(t2, "g@contoso.com");
    const p = await page(`/admin/tenants/${t1.id}/events`);
    expect(p.events.map((e) => e.tenantId)).toEqual([t1.id]);
  });
});

describe("retention", () => {
  it("prunes events older than retention in bounded pages; a cursor older than that gets 410 with the oldest available cursor", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "h@contoso.com");
    await renameMany(t, u, 5, "old");
    const base = `/admin/tenants/${t.id}/events`;
    const early = (await page(`${base}?limit=2`)).nextCursor;
    const globalEarly = (await drain("/admin/events", "", 1000)).cursor;
    // Age the events of this test, then run retention with a 30-day window, two events a page.
    await env.DB.prepare(`UPDATE events SET occurred_at = occurred_at - 40 * 86400000 WHERE tenant_id = ?1 AND tenant_seq <= 4`).bind(t.id).run();
    await env.DB.prepare(`UPDATE events SET occurred_at = occurred_at - 40 * 86400000 WHERE tenant_id <> ?1`).bind(t.id).run();
    const report = await pruneEvents(env.DB, Date.now(), 30, { pageSize: 2 });
    expect(report.complete).toBe(true);
    expect((await page(base)).events.map((e) => e.sequence)).toEqual([5, 6]);
    const gone = await admin("GET", `${base}?after=${early}`);
    expect(gone.status).toBe(410);
    const body = await gone.json<{ error: string; oldestCursor: string }>();
    expect(body.error).toBe("cursor_expired");
    expect((await page(`${base}?after=${body.oldestCursor}`)).events.map((e) => e.sequence)).toEqual([5, 6]);
    expect((await admin("GET", `/admin/events?after=${globalEarly}`)).status).toBe(200);
    // Numbering continues after pruning, even once every event of the tenant is gone.
    await env.DB.prepare(`UPDATE events SET occurred_at = occurred_at - 40 * 86400000 WHERE tenant_id = ?1`).bind(t.id).run();
    await pruneEvents(env.DB, Date.now(), 30);
    const emptied = await page(base);
    expect(emptied.events).toEqual([]);
    // A consumer starting now polls from where pruning stopped, without a 410.
    expect((await admin("GET", `${base}?after=${emptied.nextCursor}`)).status).toBe(200);
    const stale = await admin("GET", `${base}?after=${body.oldestCursor}`);
    expect(stale.status).toBe(410);
    const { oldestCursor } = await stale.json<{ oldestCursor: string }>();
    await renameMany(t, u, 1, "new");
    expect((await page(`${base}?after=${oldestCursor}`)).events.map((e) => e.sequence)).toEqual([7]);
  });
});
