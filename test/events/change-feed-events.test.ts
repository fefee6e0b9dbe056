/**
 * The change feed records every change, in the same D1 batch as the change:
 * each event type with its shape, a per-tenant sequence without gaps, the
 * request that caused it — and nothing for a request that changes nothing
 * or fails.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../../src/feed/events.js";
import { sweepLicences } from "../../src/licence/sweep.js";
import { admin } from "../support/admin-client.js";
import { createGroup, createUser, LICENCE_EXT, patchGroup, patchUser } from "../support/licences.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

/** The feed's event as the admin API shows it; `data` asserted field by field. */
type Event = Omit<FeedEvent, "data"> & { data: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- event data

/** Every event of the tenant, paging through the admin API. */
async function feed(t: ScimTenant, query = ""): Promise<Event[]> {
  const out: Event[] = [];
  for (let after = ""; ; ) {
    const res = await admin("GET", `/admin/tenants/${t.id}/events?limit=50${after ? `&after=${after}` : ""}${query}`);
    expect(res.status).toBe(200);
    const page = await res.json<{ events: Event[]; nextCursor: string }>();
    out.push(...page.events);
    if (page.events.length === 0) return out;
    after = page.nextCursor;
  }
}

const types = (events: Event[]) => events.map((e) => e.type);

describe("every change becomes an event", () => {
  it("users: created, updated (with the attributes), deactivated, reactivated, deleted — with the request that caused each", async () => {
    const t = await newScimTenant();
    const created = await t.request("POST", "/Users", { userName: "ann@contoso.com", externalId: "ext-ann", displayName: "Ann" });
    const id = created.body.id as string;
    const renamed = await patchUser(t, id, [{ op: "replace", path: "displayName", value: "Ann B." }, { op: "replace", path: "title", value: "CFO" }]);
    await patchUser(t, id, [{ op: "replace", path: "active", value: "False" }]);
    await patchUser(t, id, [{ op: "replace", path: "active", value: "True" }]);
    await t.request("DELETE", `/Users/${id}`);
    const events = await feed(t);
    expect(types(events)).toEqual(["user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted"]);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    for (const e of events) expect(e).toMatchObject({ tenantId: t.id, resourceId: id, externalId: "ext-ann" });
    expect(events[0]!.data.resource).toMatchObject({ id, userName: "ann@contoso.com", displayName: "Ann" });
    expect(events[0]!.requestId).toBe(created.headers.get("x-request-id"));
    expect(events[1]!.data.attributes).toEqual(["displayName", "title"]);
    expect(events[1]!.data.resource.displayName).toBe("Ann B.");
    expect(events[1]!.requestId).toBe(renamed.headers.get("x-request-id"));
    expect(events[2]!.data.resource.active).toBe(false);
    expect(events[4]!.data).toEqual({ id });
    expect(new Set(events.map((e) => e.id)).size).toBe(5);
    expect(Date.parse(events[0]!.occurredAt)).toBeGreaterThan(0);
  });

  it("groups and memberships: created, member_added, updated, member_removed, deleted; licence events for each member whose licence changed", async () => {
    const t = await newScimTenant({ proGraceHours: 5 });
    const a = await createUser(t, "a@contoso.com", { externalId: "ext-a" });
    const b = await createUser(t, "b@contoso.com");
    const g = await createGroup(t, "Pro", "True", [a]);
    await patchGroup(t, g, [{ op: "add", path: "members", value: [{ value: b }] }, { op: "replace", path: "displayName", value: "Pro Team" }]);
    await patchGroup(t, g, [{ op: "remove", path: "members", value: [{ value: a }] }]);
    await patchGroup(t, g, [{ op: "add", path: "members", value: [{ value: a }] }]);
    await t.request("DELETE", `/Groups/${g}`);
    const events = (await feed(t)).filter((e) => !e.type.startsWith("user."));
    expect(types(events)).toEqual([
      "group.created",
      "group.member_added",
      "licence.activated",
      "group.updated",
      "group.member_added",
      "licence.activated",
      "group.member_removed",
      "licence.downgraded",
      "group.member_added",
      "licence.reactivated",
      "licence.downgraded",
      "licence.downgraded",
      "group.deleted",
    ]);
    expect(events[1]!.data).toEqual({ groupId: g, userId: a });
    expect(events[1]!.resourceId).toBe(g);
    expect(events[2]).toMatchObject({ resourceId: a, externalId: "ext-a", data: { userId: a, status: "active", downgradedAt: null, expiresAt: null } });
    expect(events[3]!.data.attributes).toEqual(["displayName"]);
    const downgrade = events[7]!;
    expect(downgrade.data.status).toBe("downgraded");
    expect(Date.parse(downgrade.data.expiresAt) - Date.parse(downgrade.data.downgradedAt)).toBe(5 * 3_600_000);
    expect(events[9]!.data).toMatchObject({ userId: a, status: "active" });
    expect(new Set(events.slice(10, 12).map((e) => e.resourceId))).toEqual(new Set([a, b]));
  });

  it("licence.removed when a licensed user is deleted, with the member_removed of each of its groups; licence.expired from the sweep", async () => {
    const t = await newScimTenant({ proGraceHours: 0 });
    const a = await createUser(t, "c@contoso.com");
    const b = await createUser(t, "d@contoso.com");
    const g = await createGroup(t, "Pro", "True", [a, b]);
    await t.request("DELETE", `/Users/${a}`);
    await patchGroup(t, g, [{ op: "remove", path: "members", value: [{ value: b }] }]);
    await sweepLicences(env.DB, Date.now() + 1);
    const events = await feed(t);
    const tail = events.slice(-6);
    expect(types(tail)).toEqual(["group.member_removed", "licence.removed", "user.deleted", "group.member_removed", "licence.downgraded", "licence.expired"]);
    expect(tail[1]).toMatchObject({ resourceId: a, data: { userId: a, status: "active" } });
    expect(tail[5]).toMatchObject({ resourceId: b, requestId: "sweep", data: { userId: b, status: "downgraded" } });
  });
});

describe("nothing changes, nothing is recorded", () => {
  it("no-op PATCHes, a PUT of the same user, re-adding members, and refused requests add no event", async () => {
    const t = await newScimTenant();
    const u = await createUser(t, "e@contoso.com", { displayName: "E" });
    const g = await createGroup(t, "G", false, [u]);
    const before = (await feed(t)).length;
    await patchUser(t, u, [{ op: "replace", path: "displayName", value: "E" }]);
    const current = (await t.request("GET", `/Users/${u}`)).body;
    await t.request("PUT", `/Users/${u}`, current);
    await patchGroup(t, g, [{ op: "add", path: "members", value: [{ value: u }] }]);
    await patchGroup(t, g, [{ op: "replace", path: `${LICENCE_EXT}:license`, value: "False" }]);
    // Refused: an unknown member (the whole batch fails), a bad value, a duplicate userName.
    expect((await patchGroup(t, g, [{ op: "add", path: "members", value: [{ value: u }, { value: "nobody" }] }])).status).toBe(400);
    expect((await patchUser(t, u, [{ op: "replace", path: "active", value: "maybe" }])).status).toBe(400);
    expect((await t.request("POST", "/Users", { userName: "E@contoso.com" })).status).toBe(409);
    expect(await feed(t)).toHaveLength(before);
  });
});

describe("a licence flip on a large group", () => {
  it("records one event per member whose licence changed, set-based in the flip's batch", async () => {
    const t = await newScimTenant({ proGraceHours: 23 });
    const tpl = await createUser(t, "template@contoso.com");
    const g = await createGroup(t, "Many", "True", [tpl]);
    const N = 2000;
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
         INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
         SELECT ?1, 'm' || printf('%05d', i), 'm' || i || '@contoso.com', 'm' || i || '@contoso.com', 'x' || i, NULL, NULL, 1,
                json_set((SELECT doc FROM users WHERE tenant_id = ?1 AND id = ?3), '$.userName', 'm' || i || '@contoso.com'), ?4, ?4, 'e' || i FROM s`,
      ).bind(t.id, N, tpl, now),
      env.DB.prepare(`INSERT INTO memberships (tenant_id, group_id, user_id) SELECT ?1, ?2, id FROM users WHERE tenant_id = ?1 AND id LIKE 'm%'`).bind(t.id, g),
      env.DB.prepare(`INSERT INTO licences (tenant_id, user_id, status, since) SELECT ?1, id, 'active', ?2 FROM users WHERE tenant_id = ?1 AND id LIKE 'm%'`).bind(t.id, now),
      env.DB.prepare(`UPDATE tenant_stats SET users = users + ?2, active_users = active_users + ?2, memberships = memberships + ?2, pro_licenses = pro_licenses + ?2 WHERE tenant_id = ?1`).bind(t.id, N),
    ]);
    const before = (await feed(t)).length;
    const off = await patchGroup(t, g, [{ op: "replace", path: `${LICENCE_EXT}:license`, value: "False" }]);
    expect(off.status).toBe(204);
    const events = (await feed(t)).slice(before);
    expect(events[0]!.type).toBe("group.updated");
    const downgrades = events.filter((e) => e.type === "licence.downgraded");
    expect(downgrades).toHaveLength(N + 1);
    expect(new Set(downgrades.map((e) => e.resourceId)).size).toBe(N + 1);
    expect(new Set(events.map((e) => e.requestId))).toEqual(new Set([off.headers.get("x-request-id")]));
    expect(downgrades.find((e) => e.resourceId === "m00007")).toMatchObject({ externalId: "x7", data: { status: "downgraded" } });
    // Sequence numbers stay contiguous across the set-based insert.
    const seqs = (await feed(t)).map((e) => e.sequence);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // A page of n events reads about n rows, at the start or deep in a feed of 2,000+.
    const first = await admin("GET", `/admin/tenants/${t.id}/events?limit=100`);
    const deep = await admin("GET", `/admin/tenants/${t.id}/events?limit=100&after=${(await first.json<{ nextCursor: string }>()).nextCursor}`);
    for (const r of [first, deep]) expect(Number(r.headers.get("x-d1-rows-read"))).toBeLessThanOrEqual(100 + 5);
  });
});
