/**
 * The all-tenants change feed (GET /admin/events) with three data shards:
 * one cursor across shards, every event exactly once while writes land on
 * every shard between (and during) a consumer's pages, each shard's events
 * in that shard's order, ids distinct across shards, a cursor of the
 * single-shard era still accepted, 410 with a cursor that resumes when one
 * shard's retention passed it, a move's copies left out (they stay in the
 * tenant's feed), and a page that reads a bounded number of rows per shard.
 */
import { describe, expect, it } from "vitest";
import { pruneEvents } from "../../src/feed/retention.js";
import { admin } from "../support/admin-client.js";
import { createUser, patchUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { eventIdsSince, lastSeqs, SHARDS, shard, shardOfId } from "./shard-events.js";

const DAY = 86_400_000;

interface FeedEvent {
  id: string;
  tenantId: string;
  sequence: number;
  type: string;
  resourceId: string;
  occurredAt: string;
}

interface Page {
  events: FeedEvent[];
  nextCursor: string;
}

async function page(path: string): Promise<Page & { rowsRead: number }> {
  const res = await admin("GET", path);
  expect(res.status, await res.clone().text()).toBe(200);
  return { ...(await res.json<Page>()), rowsRead: Number(res.headers.get("x-d1-rows-read")) };
}

/** Pages through a feed from `after`, `limit` at a time, until an empty page. */
async function drain(base: string, after = "", limit = 3): Promise<{ events: FeedEvent[]; cursor: string }> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const p = await page(`${base}?limit=${limit}${cursor ? `&after=${cursor}` : ""}`);
    events.push(...p.events);
    cursor = p.nextCursor;
    if (p.events.length === 0) return { events, cursor };
  }
}

/** The all-tenants feed's cursor at its end now. */
async function feedEnd(): Promise<string> {
  return (await drain("/admin/events", "", 1000)).cursor;
}

/** The shard an event id names. */

function expectEachShardInOrder(events: FeedEvent[], stored: Map<string, string[]>): void {
  for (const name of SHARDS) expect(events.filter((e) => shardOfId(e.id) === name).map((e) => e.id), name).toEqual(stored.get(name));
}

const base64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function renameMany(t: ScimTenant, id: string, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) expect((await patchUser(t, id, [{ op: "replace", path: "displayName", value: `${tag} ${i}` }])).status).toBe(200);
}

/** One tenant per shard, with one user each. */
async function tenantPerShard(): Promise<Array<{ t: ScimTenant; user: string; name: string }>> {
  const out = [];
  for (const name of SHARDS) {
    const t = await newScimTenant({ shard: name });
    out.push({ t, name, user: await createUser(t, `first@${name.toLowerCase()}.example.com`) });
  }
  return out;
}

describe("every event exactly once, across shards", () => {
  it("names events by shard: evt_<seq> on DB, evt_<shard>_<seq> elsewhere, each id once although every shard counts from 1", async () => {
    // The first test of the file: every shard's feed starts here at seq 1.
    const since = await lastSeqs();
    expect([...since.values()]).toEqual([0, 0, 0]);
    await tenantPerShard();
    const { events } = await drain("/admin/events", "", 10);
    expect(events.map((e) => e.id).sort()).toEqual(["evt_1", "evt_DB_2_1", "evt_DB_3_1"]);
    // The tenant's feed shows the same ids.
    for (const e of events) {
      const own = await page(`/admin/tenants/${e.tenantId}/events`);
      expect(own.events.map((x) => x.id)).toEqual([e.id]);
    }
  });

  it("a consumer paging with small limits between writes on every shard gets each event once, each shard's in its order", async () => {
    const since = await lastSeqs();
    let cursor = await feedEnd();
    const tenants = await tenantPerShard();
    const seen: FeedEvent[] = [];
    for (let round = 0; round < 6; round++) {
      // Writes land on the three shards between the consumer's pages, one shard at a time in turn.
      const { t, user } = tenants[round % 3]!;
      await renameMany(t, user, 2, `round ${round}`);
      const p = await page(`/admin/events?limit=2&after=${cursor}`);
      seen.push(...p.events);
      cursor = p.nextCursor;
    }
    seen.push(...(await drain("/admin/events", cursor, 2)).events);
    const stored = await eventIdsSince(since);
    const all = [...stored.values()].flat();
    expect(all).toHaveLength(3 + 12);
    expect(seen.map((e) => e.id).sort()).toEqual([...all].sort());
    expect(new Set(seen.map((e) => e.id)).size).toBe(all.length);
    expectEachShardInOrder(seen, stored);
  });

  it("the same while three tenants on three shards write concurrently with the consumer", async () => {
    const tenants = await tenantPerShard();
    const since = await lastSeqs();
    const start = await feedEnd();
    const seen: FeedEvent[] = [];
    let cursor = start;
    const reader = (async () => {
      for (let i = 0; i < 30; i++) {
        const p = await page(`/admin/events?limit=2&after=${cursor}`);
        seen.push(...p.events);
        cursor = p.nextCursor;
      }
    })();
    await Promise.all([...tenants.map(({ t, user, name }) => renameMany(t, user, 8, name)), reader]);
    seen.push(...(await drain("/admin/events", cursor, 5)).events);
    expect(seen).toHaveLength(24);
    expect(new Set(seen.map((e) => e.id)).size).toBe(24);
    expectEachShardInOrder(seen, await eventIdsSince(since));
  });

  it("a cursor's shards move only past what was returned: a page cut short on one shard resumes there", async () => {
    const since = await lastSeqs();
    const start = await feedEnd();
    const tenants = await tenantPerShard();
    for (const { t, user, name } of tenants) await renameMany(t, user, 4, name);
    const first = await page(`/admin/events?limit=4&after=${start}`);
    expect(first.events).toHaveLength(4);
    const rest = await drain("/admin/events", first.nextCursor, 4);
    const stored = await eventIdsSince(since);
    expectEachShardInOrder([...first.events, ...rest.events], stored);
    expect(first.events.length + rest.events.length).toBe(15);
  });
});

describe("cursors of the single-shard era", () => {
  it('a v1 cursor ("v1:g:<n>") reads as the position on DB, the beginning on the other shards', async () => {
    const tenants = await tenantPerShard();
    for (const { t, user, name } of tenants) await renameMany(t, user, 2, name);
    const dbSeq = (await lastSeqs()).get("DB")!;
    // Written by the single-shard release: a position on DB only, two events before DB's last.
    const v1 = base64url(`v1:g:${dbSeq - 2}`);
    const { events } = await drain("/admin/events", v1, 4);
    const stored = await eventIdsSince(new Map([["DB", dbSeq - 2]]));
    expectEachShardInOrder(events, stored);
    expect(events.filter((e) => shardOfId(e.id) === "DB").map((e) => e.id)).toEqual([`evt_${dbSeq - 1}`, `evt_${dbSeq}`]);
  });

  it("a cursor that is not one of this feed is 400 naming `after`", async () => {
    const res = await admin("GET", `/admin/events?after=${base64url("v2:g:DB=1,bad shard=2")}`);
    expect(res.status).toBe(400);
    expect((await res.json<{ fields: Array<{ field: string }> }>()).fields.map((f) => f.field)).toEqual(["after"]);
  });
});

describe("retention on one shard", () => {
  it("a cursor older than one shard's retention is 410 with an oldestCursor that resumes there, and keeps the other shards' positions", async () => {
    const since = await lastSeqs();
    const start = await feedEnd();
    const tenants = await tenantPerShard();
    const two = tenants[1]!;
    await renameMany(two.t, two.user, 3, "old");
    const first = await page(`/admin/events?limit=1&after=${start}`);
    expect(first.events).toHaveLength(1);
    // DB_2's events so far are older than retention; DB and DB_3 keep theirs.
    const onTwo = (await shard("DB_2").prepare(`SELECT count(*) AS n FROM events`).first<{ n: number }>())!.n;
    await shard("DB_2").prepare(`UPDATE events SET occurred_at = occurred_at - 60 * ?1`).bind(DAY).run();
    expect((await pruneEvents(shard("DB_2"), Date.now(), 30)).deleted).toBe(onTwo);
    await renameMany(two.t, two.user, 2, "new");

    const gone = await admin("GET", `/admin/events?after=${first.nextCursor}`);
    expect(gone.status).toBe(410);
    const body = await gone.json<{ error: string; oldestCursor: string }>();
    expect(body.error).toBe("cursor_expired");
    const resumed = await drain("/admin/events", body.oldestCursor, 2);
    // Everything still stored that the first page had not returned: DB_2's new events, and DB's / DB_3's from where the cursor was.
    const returned = new Set(first.events.map((e) => e.id));
    const stored = await eventIdsSince(since);
    expectEachShardInOrder(resumed.events, new Map([...stored].map(([name, ids]) => [name, ids.filter((id) => !returned.has(id))])));
    expect(resumed.events.filter((e) => shardOfId(e.id) === "DB_2")).toHaveLength(2);
  });
});

describe("events a tenant move copied", () => {
  it("are left out of the all-tenants feed of the shard they were copied to, but are in the tenant's feed there", async () => {
    const start = await feedEnd();
    const t = await newScimTenant({ shard: "DB_3" });
    const u = await createUser(t, "moved@example.com");
    // A copy as a move leaves it: written on DB_2 as its seq 7, now on DB_3 with its origin.
    const db3 = shard("DB_3");
    await db3
      .prepare(
        `INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id, origin)
         VALUES ((SELECT max(seq) FROM events) + 1, ?1, (SELECT max(tenant_seq) FROM events WHERE tenant_id = ?1) + 1, ?2, 'user.updated', ?3, NULL, '{}', 'copied', 'DB_2:7')`,
      )
      .bind(t.id, Date.now(), u)
      .run();
    await renameMany(t, u, 1, "after");
    const { results } = await db3.prepare(`SELECT seq FROM events WHERE tenant_id = ?1 ORDER BY seq`).bind(t.id).all<{ seq: number }>();
    const [created, copy, renamed] = results.map((r) => r.seq);
    expect(copy).toBe(created! + 1);
    const all = (await drain("/admin/events", start, 1)).events;
    expect(all.map((e) => e.id)).toEqual([`evt_DB_3_${created}`, `evt_DB_3_${renamed}`]);
    const own = (await drain(`/admin/tenants/${t.id}/events`, "", 1)).events;
    // Its id is the one it was first delivered under, on the shard it was written on.
    expect(own.map((e) => [e.id, e.sequence])).toEqual([
      [`evt_DB_3_${created}`, 1],
      ["evt_DB_2_7", 2],
      [`evt_DB_3_${renamed}`, 3],
    ]);
  });

  it("a block of copies longer than a page is passed over in the same page, so an empty page still means caught up", async () => {
    const start = await feedEnd();
    const t = await newScimTenant({ shard: "DB_2" });
    const u = await createUser(t, "big@example.com");
    // 300 copies, as a move leaves a tenant's history on the shard it went to.
    await shard("DB_2")
      .prepare(
        `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300)
         INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id, origin)
         SELECT (SELECT max(seq) FROM events) + i, ?1, 1 + i, ?2, 'user.updated', ?3, NULL, '{}', 'copied', 'DB_3:' || i FROM s`,
      )
      .bind(t.id, Date.now(), u)
      .run();
    await renameMany(t, u, 1, "after the copies");
    const first = await page(`/admin/events?limit=1&after=${start}`);
    expect(first.events.map((e) => e.type)).toEqual(["user.created"]);
    const next = await page(`/admin/events?limit=5&after=${first.nextCursor}`);
    expect(next.events.map((e) => [e.type, e.sequence])).toEqual([["user.updated", 302]]);
    // Bounded: the copies read (doubling from the page size) plus the pages, not the tenant's history at large.
    expect(next.rowsRead).toBeLessThanOrEqual(2 * 300 + 3 * (5 + 3));
    expect((await page(`/admin/events?after=${next.nextCursor}`)).events).toEqual([]);
  });
});

describe("bounded work", () => {
  it("a page reads about `limit` rows on each shard, at the start of the feed and deep in it", async () => {
    const start = await feedEnd();
    const tenants = await tenantPerShard();
    // 300 events on each shard, written directly (the feed reads rows, however they were written).
    for (const { t, name } of tenants) {
      await shard(name)
        .prepare(
          `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300)
           INSERT INTO events (seq, tenant_id, tenant_seq, occurred_at, type, resource_id, external_id, data, request_id)
           SELECT (SELECT max(seq) FROM events) + i, ?1, 1 + i, ?2 + i, 'user.updated', 'r', NULL, '{}', 'bulk' FROM s`,
        )
        .bind(t.id, Date.now())
        .run();
    }
    const LIMIT = 10;
    const first = await page(`/admin/events?limit=${LIMIT}&after=${start}`);
    expect(first.events).toHaveLength(LIMIT);
    // Per shard: its page (≤ limit rows) and its retention bound; nothing grows with the 900 events.
    expect(first.rowsRead).toBeLessThanOrEqual(3 * (LIMIT + 3));
    let cursor = first.nextCursor;
    for (let i = 0; i < 40; i++) cursor = (await page(`/admin/events?limit=${LIMIT}&after=${cursor}`)).nextCursor;
    const deep = await page(`/admin/events?limit=${LIMIT}&after=${cursor}`);
    expect(deep.events).toHaveLength(LIMIT);
    expect(deep.rowsRead).toBeLessThanOrEqual(3 * (LIMIT + 3));
  });
});
