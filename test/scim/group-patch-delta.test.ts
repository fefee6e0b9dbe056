/**
 * Group member PATCHes are deltas: every shape, all-or-nothing on bad member
 * ids, cascades on user/group delete, 1,000-member PATCHes, exact counters.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { memberIdsOf, newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async function users(t: ScimTenant, n: number, prefix = "u"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await t.request("POST", "/Users", { userName: `${prefix}${i}@contoso.com`, active: true });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  return ids;
}

/** Bulk users straight into D1 with the row shape the API writes (for the 1,000-member PATCHes). */
async function seedUsers(tenantId: string, n: number, prefix: string): Promise<string[]> {
  const now = Date.now();
  await env.DB.prepare(
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
     INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
     SELECT ?1, ?3 || printf('%07d', i), ?3 || i || '@contoso.com', ?3 || i || '@contoso.com', NULL, NULL, NULL, 1,
            json_object('userName', ?3 || i || '@contoso.com', 'active', json('true')), ?4, ?4, 'e' || i FROM s`,
  )
    .bind(tenantId, n, prefix, now)
    .run();
  await env.DB.prepare(`UPDATE tenant_stats SET users = users + ?2, active_users = active_users + ?2 WHERE tenant_id = ?1`).bind(tenantId, n).run();
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(7, "0")}`);
}

async function group(t: ScimTenant, displayName: string, members: string[] = []): Promise<string> {
  const r = await t.request("POST", "/Groups", { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
  expect(r.status).toBe(201);
  return r.body.id;
}

function patch(t: ScimTenant, id: string, Operations: unknown[]) {
  return t.request("PATCH", `/Groups/${id}`, { schemas: [PATCH_OP], Operations });
}

const sorted = (ids: string[]) => [...ids].sort();

describe("member PATCH shapes", () => {
  it("add with a value array; re-adding an existing member is a no-op", async () => {
    const t = await newScimTenant();
    const [a, b, c] = await users(t, 3);
    const g = await group(t, "G");
    expect((await patch(t, g, [{ op: "add", path: "members", value: [{ value: a }, { value: b }] }])).status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual(sorted([a!, b!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(2);
    const again = await patch(t, g, [{ op: "add", path: "members", value: [{ value: a }, { value: c }, { value: c }] }]);
    expect(again.status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual(sorted([a!, b!, c!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(3);
    // Adding only existing members changes nothing.
    expect((await patch(t, g, [{ op: "add", path: "members", value: [{ value: a }] }])).status).toBe(204);
    expect((await expectExactCounters(t.id)).memberships).toBe(3);
  });

  it("remove with a value array removes ONLY those; remove members[value eq]; remove path members without value empties", async () => {
    const t = await newScimTenant();
    const [a, b, c, d] = await users(t, 4);
    const g = await group(t, "G", [a!, b!, c!, d!]);
    expect((await patch(t, g, [{ op: "remove", path: "members", value: [{ value: a }] }])).status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual(sorted([b!, c!, d!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(3);
    // Removing a non-member is harmless.
    expect((await patch(t, g, [{ op: "remove", path: "members", value: [{ value: a }] }])).status).toBe(204);
    expect((await expectExactCounters(t.id)).memberships).toBe(3);
    expect((await patch(t, g, [{ op: "remove", path: `members[value eq "${b}"]` }])).status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual(sorted([c!, d!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(2);
    expect((await patch(t, g, [{ op: "remove", path: "members" }])).status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual([]);
    expect((await expectExactCounters(t.id)).memberships).toBe(0);
    // Other groups are untouched by these removes.
  });

  it("remove in one group leaves the user's other groups alone", async () => {
    const t = await newScimTenant();
    const [a, b] = await users(t, 2);
    const g1 = await group(t, "G1", [a!, b!]);
    const g2 = await group(t, "G2", [a!, b!]);
    await patch(t, g1, [{ op: "remove", path: "members" }]);
    expect(await memberIdsOf(t, g1)).toEqual([]);
    expect(await memberIdsOf(t, g2)).toEqual(sorted([a!, b!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(2);
  });

  it("replace with an array leaves exactly that set; PUT with the full list does the same", async () => {
    const t = await newScimTenant();
    const [a, b, c, d] = await users(t, 4);
    const g = await group(t, "G", [a!, b!]);
    expect((await patch(t, g, [{ op: "replace", path: "members", value: [{ value: b }, { value: c }] }])).status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual(sorted([b!, c!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(2);
    expect((await patch(t, g, [{ op: "replace", path: "members", value: [] }])).status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual([]);
    expect((await expectExactCounters(t.id)).memberships).toBe(0);
    const put = await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP], displayName: "G", members: [{ value: a }, { value: d }] });
    expect(put.status).toBe(200);
    expect(await memberIdsOf(t, g)).toEqual(sorted([a!, d!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(2);
    const put2 = await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP], displayName: "G", members: [{ value: d }, { value: c }, { value: b }] });
    expect(put2.status).toBe(200);
    expect(await memberIdsOf(t, g)).toEqual(sorted([b!, c!, d!]));
    expect((await expectExactCounters(t.id)).memberships).toBe(3);
    // PUT without members: none remain (RFC 7644 §3.5.1).
    await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP], displayName: "G" });
    expect(await memberIdsOf(t, g)).toEqual([]);
    expect((await expectExactCounters(t.id)).memberships).toBe(0);
  });

  it("several operations in one PATCH fold in order", async () => {
    const t = await newScimTenant();
    const [a, b, c] = await users(t, 3);
    const g = await group(t, "G", [a!]);
    const r = await patch(t, g, [
      { op: "add", path: "members", value: [{ value: b }, { value: c }] },
      { op: "remove", path: `members[value eq "${a}"]` },
      { op: "remove", path: "members", value: [{ value: c }] },
      { op: "replace", path: "displayName", value: "G2" },
    ]);
    expect(r.status).toBe(204);
    expect(await memberIdsOf(t, g)).toEqual([b]);
    expect((await t.request("GET", `/Groups/${g}`)).body.displayName).toBe("G2");
    expect((await expectExactCounters(t.id)).memberships).toBe(1);
  });

  it("unknown or other-tenant member ids → 400 invalidValue naming them, nothing applied", async () => {
    const t = await newScimTenant();
    const other = await newScimTenant();
    const [foreign] = await users(other, 1, "f");
    const [a, b, c] = await users(t, 3);
    const g = await group(t, "G", [a!]);
    const before = await expectExactCounters(t.id);
    const etag = (await t.request("GET", `/Groups/${g}`)).body.meta.version;

    const bad = await patch(t, g, [
      { op: "replace", path: "displayName", value: "Renamed" },
      { op: "remove", path: "members", value: [{ value: a }] },
      { op: "add", path: "members", value: [{ value: b }, { value: "no-such-user" }, { value: foreign }] },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe("invalidValue");
    expect(bad.body.detail).toContain("no-such-user");
    expect(bad.body.detail).toContain(foreign);
    expect(bad.body.detail).not.toContain(b);
    const after = await t.request("GET", `/Groups/${g}`);
    expect(after.body.displayName).toBe("G");
    expect(after.body.meta.version).toBe(etag);
    expect(await memberIdsOf(t, g)).toEqual([a]);
    expect(await expectExactCounters(t.id)).toEqual(before);

    // Same through replace, PUT and POST.
    expect((await patch(t, g, [{ op: "replace", path: "members", value: [{ value: c }, { value: foreign }] }])).status).toBe(400);
    expect(await memberIdsOf(t, g)).toEqual([a]);
    const put = await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP], displayName: "Put", members: [{ value: b }, { value: "ghost" }] });
    expect(put.status).toBe(400);
    expect(put.body.scimType).toBe("invalidValue");
    expect(put.body.detail).toContain("ghost");
    expect((await t.request("GET", `/Groups/${g}`)).body.displayName).toBe("G");
    expect(await memberIdsOf(t, g)).toEqual([a]);
    const post = await t.request("POST", "/Groups", { schemas: [GROUP], displayName: "New", members: [{ value: b }, { value: foreign }] });
    expect(post.status).toBe(400);
    expect(post.body.detail).toContain(foreign);
    expect((await t.request("GET", `/Groups?filter=${encodeURIComponent('displayName eq "New"')}`)).body.totalResults).toBe(0);
    expect(await expectExactCounters(t.id)).toEqual(before);
    // The other tenant is untouched too.
    expect((await expectExactCounters(other.id)).memberships).toBe(0);
  });

  it("PATCH on a missing group → 404", async () => {
    const t = await newScimTenant();
    const [a] = await users(t, 1);
    expect((await patch(t, "missing", [{ op: "add", path: "members", value: [{ value: a }] }])).status).toBe(404);
    expect((await patch(t, "missing", [{ op: "remove", path: "members", value: [{ value: a }] }])).status).toBe(404);
    expect((await patch(t, "missing", [{ op: "replace", path: "displayName", value: "x" }])).status).toBe(404);
    expect((await expectExactCounters(t.id)).memberships).toBe(0);
  });

  it("deleting a user removes its memberships; deleting a group removes its memberships", async () => {
    const t = await newScimTenant();
    const [a, b, c] = await users(t, 3);
    const g1 = await group(t, "G1", [a!, b!, c!]);
    const g2 = await group(t, "G2", [a!, c!]);
    expect((await expectExactCounters(t.id)).memberships).toBe(5);
    expect((await t.request("DELETE", `/Users/${a}`)).status).toBe(204);
    expect(await memberIdsOf(t, g1)).toEqual(sorted([b!, c!]));
    expect(await memberIdsOf(t, g2)).toEqual([c]);
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 2, groups: 2, memberships: 3 });
    expect((await t.request("DELETE", `/Groups/${g1}`)).status).toBe(204);
    const left = await env.DB.prepare(`SELECT count(*) AS n FROM memberships WHERE tenant_id = ?1 AND group_id = ?2`).bind(t.id, g1).first<{ n: number }>();
    expect(left!.n).toBe(0);
    expect(await memberIdsOf(t, g2)).toEqual([c]);
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 2, groups: 1, memberships: 1 });
    expect((await t.request("GET", `/Users/${b}`)).body.groups ?? []).toEqual([]);
  });

  it("adds 1,000 members in one PATCH and removes 1,000 in one PATCH, O(1,000) rows", async () => {
    const t = await newScimTenant();
    const ids = await seedUsers(t.id, 1500, "bulk");
    const g = await group(t, "Big", ids.slice(1000, 1500));
    expect((await expectExactCounters(t.id)).memberships).toBe(500);
    const add = await patch(t, g, [{ op: "add", path: "members", value: ids.slice(0, 1000).map((value) => ({ value, $ref: null })) }]);
    expect(add.status).toBe(204);
    expect((await memberIdsOf(t, g)).length).toBe(1500);
    expect((await expectExactCounters(t.id)).memberships).toBe(1500);
    expect(add.rowsWritten).toBeGreaterThanOrEqual(1000);
    // ~22 rows per member with its member_added event (docs/events.md, "Cost").
    expect(add.rowsRead).toBeLessThan(30_000);
    const remove = await patch(t, g, [{ op: "remove", path: "members", value: ids.slice(200, 1200).map((value) => ({ value })) }]);
    expect(remove.status).toBe(204);
    const left = await memberIdsOf(t, g);
    expect(left).toEqual(sorted([...ids.slice(0, 200), ...ids.slice(1200)]));
    expect((await expectExactCounters(t.id)).memberships).toBe(500);
    expect(remove.rowsRead).toBeLessThan(30_000);
    // 1,000 members of which one is unknown: nothing applied.
    const bad = await patch(t, g, [{ op: "add", path: "members", value: [...ids.slice(200, 1199), "missing-1"].map((value) => ({ value })) }]);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("missing-1");
    expect((await expectExactCounters(t.id)).memberships).toBe(500);
  });
});
