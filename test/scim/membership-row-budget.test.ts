/**
 * Row budgets with a seeded 100,000-member group (docs/membership-model.md): one
 * member added / removed / re-added costs ≤ MEMBER_READ rows read and ≤
 * MEMBER_WRITTEN written — the membership and licence change (≤ 10 / 5) plus
 * their change-feed events (3 rows written each: the row and two indexes) —
 * the same at 10 and at 100,000 members, licensing or not; excludedAttributes=
 * members reads ≤ 3 rows; a full GET returns every member; concurrent PATCHes
 * lose nothing. Seeded with SQL in the exact shape the API writes.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const LICENCE_EXT = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
const BIG = 100_000;
/** A member change with its licence transition, and an event for each (docs/events.md, "Cost"). */
const MEMBER_READ = 40;
const MEMBER_WRITTEN = 11;
const measured: Record<string, { read: number; written: number }> = {};

let t: ScimTenant;
const groups: Record<"bigLicensing" | "bigPlain" | "smallLicensing" | "smallPlain", string> = {} as never;
const fresh: string[] = [];

async function createGroup(displayName: string, licence: boolean, members: string[] = []): Promise<string> {
  const r = await t.request("POST", "/Groups", {
    schemas: [GROUP, LICENCE_EXT],
    displayName,
    [LICENCE_EXT]: { license: licence },
    members: members.map((value) => ({ value })),
  });
  expect(r.status).toBe(201);
  return r.body.id;
}

/** Copies the template user (made by the API) into `n` users, and adds them to groups (and licences) by SQL. */
async function seed(templateUser: string, n: number, prefix: string, into: Array<{ group: string; licensing: boolean }>): Promise<void> {
  const now = Date.now();
  const tpl = await env.DB.prepare(`SELECT * FROM users WHERE tenant_id = ?1 AND id = ?2`).bind(t.id, templateUser).first<Record<string, unknown>>();
  expect(tpl).not.toBeNull();
  await env.DB.prepare(
    `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
     INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
     SELECT ?1, ?3 || printf('%07d', i), ?3 || i || '@contoso.com', ?3 || i || '@contoso.com', NULL, NULL, 'User ' || i, 1,
            json_set(?4, '$.userName', ?3 || i || '@contoso.com', '$.displayName', 'User ' || i), ?5, ?5, printf('%016x', i) FROM s`,
  )
    .bind(t.id, n, prefix, tpl!.doc, now)
    .run();
  let memberships = 0;
  let licensed = false;
  for (const { group, licensing } of into) {
    await env.DB.prepare(
      `INSERT INTO memberships (tenant_id, group_id, user_id) SELECT ?1, ?2, id FROM users WHERE tenant_id = ?1 AND id >= ?3 AND id < ?4`,
    )
      .bind(t.id, group, prefix, `${prefix}~`)
      .run();
    memberships += n;
    licensed ||= licensing;
  }
  if (licensed) {
    await env.DB.prepare(
      `INSERT INTO licences (tenant_id, user_id, status, since, downgraded_at, expires_at, transition)
       SELECT ?1, id, 'active', ?2, NULL, NULL, NULL FROM users WHERE tenant_id = ?1 AND id >= ?3 AND id < ?4`,
    )
      .bind(t.id, now, prefix, `${prefix}~`)
      .run();
  }
  await env.DB.prepare(
    `UPDATE tenant_stats SET users = users + ?2, active_users = active_users + ?2, memberships = memberships + ?3, pro_licenses = pro_licenses + ?4 WHERE tenant_id = ?1`,
  )
    .bind(t.id, n, memberships, licensed ? n : 0)
    .run();
}

beforeAll(async () => {
  t = await newScimTenant({ proGraceHours: 23 });
  // One user and group through the API: the shape the seed copies.
  const tpl = await t.request("POST", "/Users", { userName: "template@contoso.com", displayName: "Template", active: true, name: { givenName: "T", familyName: "P" } });
  expect(tpl.status).toBe(201);
  groups.bigLicensing = await createGroup("Big licensing", true, [tpl.body.id]);
  groups.bigPlain = await createGroup("Big plain", false, [tpl.body.id]);
  groups.smallLicensing = await createGroup("Small licensing", true);
  groups.smallPlain = await createGroup("Small plain", false);
  const rows = await env.DB.prepare(`SELECT * FROM memberships WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, tpl.body.id).all();
  expect(rows.results).toHaveLength(2);
  const lic = await env.DB.prepare(`SELECT * FROM licences WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, tpl.body.id).first();
  expect(lic).toMatchObject({ status: "active", downgraded_at: null, expires_at: null });

  await seed(tpl.body.id, BIG - 1, "b", [
    { group: groups.bigLicensing, licensing: true },
    { group: groups.bigPlain, licensing: false },
  ]);
  await seed(tpl.body.id, 10, "s", [
    { group: groups.smallLicensing, licensing: true },
    { group: groups.smallPlain, licensing: false },
  ]);
  await expectExactCounters(t.id);
  // Users in no group yet, through the API: the ones the measured PATCHes move.
  for (let i = 0; i < 24; i++) {
    const r = await t.request("POST", "/Users", { userName: `fresh${i}@contoso.com`, active: true });
    fresh.push(r.body.id);
  }
}, 300_000);

function patch(id: string, Operations: unknown[]) {
  return t.request("PATCH", `/Groups/${id}`, { schemas: [PATCH_OP], Operations });
}

async function licence(userId: string) {
  return env.DB.prepare(`SELECT status, downgraded_at, expires_at FROM licences WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, userId).first();
}

describe("one-member PATCH row budget, at 10 and at 100,000 members", () => {
  const cases = [
    ["smallPlain", 10, false],
    ["bigPlain", BIG, false],
    ["smallLicensing", 10, true],
    ["bigLicensing", BIG, true],
  ] as const;
  let next = 0;
  for (const [key, size, licensing] of cases) {
    it(`${key} (${size} members, licensing ${licensing}): add, remove, re-add (revive) each ≤ ${MEMBER_READ}/${MEMBER_WRITTEN}`, async () => {
      const u = fresh[next++]!;
      const g = groups[key];
      const count = async () =>
        (await env.DB.prepare(`SELECT count(*) AS n FROM memberships WHERE tenant_id = ?1 AND group_id = ?2`).bind(t.id, g).first<{ n: number }>())!.n;
      expect(await count()).toBe(size);

      const add = await patch(g, [{ op: "add", path: "members", value: [{ value: u, $ref: null }] }]);
      expect(add.status).toBe(204);
      measured[`${key} add`] = { read: add.rowsRead, written: add.rowsWritten };
      expect(add.rowsRead).toBeLessThanOrEqual(MEMBER_READ);
      expect(add.rowsWritten).toBeLessThanOrEqual(MEMBER_WRITTEN);
      expect(await count()).toBe(size + 1);
      expect(await licence(u)).toEqual(licensing ? { status: "active", downgraded_at: null, expires_at: null } : null);
      await expectExactCounters(t.id);

      const remove = await patch(g, [{ op: "remove", path: "members", value: [{ value: u }] }]);
      expect(remove.status).toBe(204);
      measured[`${key} remove`] = { read: remove.rowsRead, written: remove.rowsWritten };
      expect(remove.rowsRead).toBeLessThanOrEqual(MEMBER_READ);
      expect(remove.rowsWritten).toBeLessThanOrEqual(MEMBER_WRITTEN);
      expect(await count()).toBe(size);
      expect((await licence(u))?.status ?? null).toBe(licensing ? "downgraded" : null);
      await expectExactCounters(t.id);

      const revive = await patch(g, [{ op: "add", path: "members", value: [{ value: u }] }]);
      expect(revive.status).toBe(204);
      measured[`${key} revive`] = { read: revive.rowsRead, written: revive.rowsWritten };
      expect(revive.rowsRead).toBeLessThanOrEqual(MEMBER_READ);
      expect(revive.rowsWritten).toBeLessThanOrEqual(MEMBER_WRITTEN);
      expect((await licence(u))?.status ?? null).toBe(licensing ? "active" : null);
      await expectExactCounters(t.id);

      // The Entra flag dialect for the remove costs the same.
      const filterRemove = await patch(g, [{ op: "remove", path: `members[value eq "${u}"]` }]);
      expect(filterRemove.status).toBe(204);
      measured[`${key} remove(filter)`] = { read: filterRemove.rowsRead, written: filterRemove.rowsWritten };
      expect(filterRemove.rowsRead).toBeLessThanOrEqual(MEMBER_READ);
      expect(filterRemove.rowsWritten).toBeLessThanOrEqual(MEMBER_WRITTEN);
      expect(await count()).toBe(size);
      await expectExactCounters(t.id);
    });
  }

  it("GET with excludedAttributes=members reads ≤ 3 rows at 100,000 members (GET and list)", async () => {
    for (const g of [groups.bigLicensing, groups.bigPlain]) {
      const r = await t.request("GET", `/Groups/${g}?excludedAttributes=members`);
      expect(r.status).toBe(200);
      expect(r.body).not.toHaveProperty("members");
      expect(r.rowsRead).toBeLessThanOrEqual(3);
      measured["GET excludedAttributes=members"] = { read: r.rowsRead, written: r.rowsWritten };
    }
    const list = await t.request("GET", `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Big plain"')}`);
    expect(list.body.Resources).toHaveLength(1);
    expect(list.body.Resources[0]).not.toHaveProperty("members");
    expect(list.rowsRead).toBeLessThanOrEqual(3);
    const all = await t.request("GET", `/Groups?excludedAttributes=members`);
    expect(all.body.totalResults).toBe(4);
    expect(all.rowsRead).toBeLessThanOrEqual(5);
  });

  it("GET of the full 100,000-member group answers with every member", async () => {
    const r = await t.request("GET", `/Groups/${groups.bigPlain}`);
    expect(r.status).toBe(200);
    const members = r.body.members as Array<{ value: string; display?: string; $ref: string }>;
    expect(members).toHaveLength(BIG);
    expect(new Set(members.map((m) => m.value)).size).toBe(BIG);
    expect(members.find((m) => m.value === "b0000001")).toMatchObject({ display: "User 1", $ref: `${t.base}/Users/b0000001` });
    expect(r.body.displayName).toBe("Big plain");
  });

  it("10 concurrent PATCHes adding different members lose nothing; counters exact", async () => {
    const adds = fresh.slice(10, 20);
    const before = await expectExactCounters(t.id);
    const replies = await Promise.all(adds.map((u) => patch(groups.bigLicensing, [{ op: "add", path: "members", value: [{ value: u }] }])));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(204));
    const { results } = await env.DB.prepare(
      `SELECT user_id FROM memberships WHERE tenant_id = ?1 AND group_id = ?2 AND user_id IN (SELECT value FROM json_each(?3))`,
    )
      .bind(t.id, groups.bigLicensing, JSON.stringify(adds))
      .all<{ user_id: string }>();
    expect(results.map((r) => r.user_id).sort()).toEqual([...adds].sort());
    const after = await expectExactCounters(t.id);
    expect(after.memberships).toBe(before.memberships! + 10);
    expect(after.proLicenses).toBe(before.proLicenses! + 10);
    // And concurrent removes + adds mixed, on two groups.
    const mixed = await Promise.all([
      ...adds.slice(0, 5).map((u) => patch(groups.bigLicensing, [{ op: "remove", path: `members[value eq "${u}"]` }])),
      ...adds.slice(5).map((u) => patch(groups.bigPlain, [{ op: "add", path: "members", value: [{ value: u }] }])),
    ]);
    expect(mixed.every((r) => r.status === 204)).toBe(true);
    const final = await expectExactCounters(t.id);
    expect(final.memberships).toBe(after.memberships);
    expect(final.downgradedLicenses).toBe(after.downgradedLicenses! + 5);
  });

  it("costs the same rows at 10 and at 100,000 members, licensing or not (and reports them)", () => {
    console.log(JSON.stringify({ type: "row-budget", measured }, null, 1));
    for (const kind of ["Plain", "Licensing"]) {
      for (const op of ["add", "remove", "revive", "remove(filter)"]) {
        const small = measured[`small${kind} ${op}`];
        const big = measured[`big${kind} ${op}`];
        expect(small, `small${kind} ${op} measured`).toBeDefined();
        expect(big, `big${kind} ${op} at ${BIG} members`).toEqual(small);
      }
    }
  });
});
