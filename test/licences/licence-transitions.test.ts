/**
 * Pro licences from group membership (README, "The licence model"):
 * every transition through the real worker, with exact counters and the
 * invariant "active licence ⇔ active user in a licensing group" checked after each.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listLicences } from "../../src/licence/current-licences.js";
import { dbFor } from "../../src/storage/database.js";
import { admin } from "../support/admin-client.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { expectLicenceInvariant, licenceOf, type StoredLicence } from "../support/licences.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const EXT = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
const HOUR = 3_600_000;

const check = expectLicenceInvariant;
type Lic = StoredLicence;
const lic = (t: ScimTenant, userId: string): Promise<Lic | null> => licenceOf(t.id, userId);

async function user(t: ScimTenant, name: string, active = true): Promise<string> {
  const r = await t.request("POST", "/Users", { userName: `${name}@contoso.com`, active });
  expect(r.status).toBe(201);
  return r.body.id;
}
async function group(t: ScimTenant, displayName: string, licence?: unknown, members: string[] = []) {
  const body: Record<string, unknown> = { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) };
  if (licence !== undefined) {
    (body.schemas as string[]).push(EXT);
    body[EXT] = { license: licence };
  }
  return t.request("POST", "/Groups", body);
}
function patch(t: ScimTenant, id: string, Operations: unknown[]) {
  return t.request("PATCH", `/Groups/${id}`, { schemas: [PATCH_OP], Operations });
}
const setLicence = (t: ScimTenant, g: string, value: unknown) => patch(t, g, [{ op: "replace", path: `${EXT}:license`, value }]);
const add = (t: ScimTenant, g: string, ...ids: string[]) => patch(t, g, [{ op: "add", path: "members", value: ids.map((value) => ({ value })) }]);
const remove = (t: ScimTenant, g: string, ...ids: string[]) => patch(t, g, [{ op: "remove", path: "members", value: ids.map((value) => ({ value })) }]);
const setActive = (t: ScimTenant, u: string, value: unknown) => t.request("PATCH", `/Users/${u}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value }] });

/** Asserts a fresh downgrade at a time within [from, to], with the tenant's grace. */
function expectDowngraded(l: Lic | null, from: number, to: number, graceHours: number) {
  expect(l?.status).toBe("downgraded");
  expect(l!.downgraded_at).toBeGreaterThanOrEqual(from);
  expect(l!.downgraded_at).toBeLessThanOrEqual(to);
  expect(l!.expires_at).toBe(l!.downgraded_at! + graceHours * HOUR);
}

describe("licence attribute of a group", () => {
  it("true/\"true\"/\"True\"/absent license; false/\"false\"/\"False\" do not; anything else → 400 invalidValue", async () => {
    const t = await newScimTenant();
    let i = 0;
    for (const [value, licensing] of [[true, true], ["true", true], ["True", true], [undefined, true], [false, false], ["false", false], ["False", false]] as const) {
      const u = await user(t, `v${i}`);
      const r = await group(t, `G${i++}`, value, [u]);
      expect(r.status, String(value)).toBe(201);
      expect((await lic(t, u))?.status ?? null, String(value)).toBe(licensing ? "active" : null);
      const row = await env.DB.prepare(`SELECT licensing FROM groups WHERE tenant_id = ?1 AND id = ?2`).bind(t.id, r.body.id).first<{ licensing: number }>();
      expect(row!.licensing).toBe(licensing ? 1 : 0);
      // Kept as sent (Entra compares and would re-send a difference).
      if (value !== undefined) expect(r.body[EXT].license).toEqual(value);
    }
    for (const bad of ["yes", "TRUE", 1, 0, "no", "1", { x: 1 }, [true]]) {
      const r = await group(t, `Bad ${JSON.stringify(bad)}`, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.scimType).toBe("invalidValue");
    }
    const g = (await group(t, "Flip")).body.id;
    const r = await setLicence(t, g, "maybe");
    expect(r.status).toBe(400);
    expect(r.body.scimType).toBe("invalidValue");
    expect(await check(t.id)).toMatchObject({ groups: 8, proLicenses: 4, downgradedLicenses: 0 });
  });
});

for (const grace of [0, 23]) {
  describe(`transitions (proGraceHours ${grace})`, () => {
    // Downgraded licences `stats` still reports: with grace 0 a downgrade expires at once, and an
    // expired licence is never reported as held, swept or not (test/licences/licence-expiry-at-read.test.ts).
    const held = (downgraded: number) => (grace === 0 ? 0 : downgraded);
    it("add → active; remove last licensing membership → downgraded (now, now+grace); two groups losing one stays active; re-add revives", async () => {
      const t = await newScimTenant({ proGraceHours: grace });
      const a = await user(t, "a");
      const b = await user(t, "b");
      const g1 = (await group(t, "G1", true)).body.id;
      const g2 = (await group(t, "G2", "True")).body.id;
      const plain = (await group(t, "Plain", "False")).body.id;

      let before = Date.now();
      await add(t, g1, a, b);
      let l = await lic(t, a);
      expect(l).toMatchObject({ status: "active", downgraded_at: null, expires_at: null });
      expect(l!.since).toBeGreaterThanOrEqual(before);
      expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: 0 });

      // Non-licensing membership gives nothing, and does not keep a licence.
      const c = await user(t, "c");
      await add(t, plain, c, a);
      expect(await lic(t, c)).toBeNull();
      expect(await check(t.id)).toMatchObject({ proLicenses: 2 });

      // a is in G1 and G2: losing G1 keeps it active.
      await add(t, g2, a);
      await remove(t, g1, a);
      expect((await lic(t, a))?.status).toBe("active");
      expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: 0 });

      before = Date.now();
      await patch(t, g2, [{ op: "remove", path: `members[value eq "${a}"]` }]);
      expectDowngraded(await lic(t, a), before, Date.now(), grace);
      expect(await check(t.id)).toMatchObject({ proLicenses: 1, downgradedLicenses: held(1) });
      const since = (await lic(t, a))!.since;

      // Removing again (or from the non-licensing group) changes nothing.
      const first = await lic(t, a);
      await remove(t, g2, a);
      await remove(t, plain, a);
      expect(await lic(t, a)).toEqual(first);
      expect(await check(t.id)).toMatchObject({ proLicenses: 1, downgradedLicenses: held(1) });

      // Re-upgrade: back to active, downgrade cleared — the same licence within the grace,
      // a new one (a new `since`) once it has expired, swept or not.
      before = Date.now();
      await add(t, g1, a);
      l = await lic(t, a);
      expect(l).toMatchObject({ status: "active", downgraded_at: null });
      if (grace > 0) expect(l!.since).toBe(since);
      else expect(l!.since).toBeGreaterThanOrEqual(before);
      expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: 0 });
      const listed = await listLicences(dbFor(env.DB).db, t.id, {});
      expect(listed.licenses.find((x) => x.userId === a)).toMatchObject({ status: "active", downgradedAt: null, expiresAt: null });

      // Entra's cycles: remove then re-add, many times — no flapping counters.
      for (let i = 0; i < 3; i++) {
        await remove(t, g1, a);
        expect((await lic(t, a))?.status).toBe("downgraded");
        await add(t, g1, a);
        expect((await lic(t, a))?.status).toBe("active");
        await check(t.id);
      }

      // replace members / PUT downgrade those who leave.
      before = Date.now();
      await patch(t, g1, [{ op: "replace", path: "members", value: [{ value: b }] }]);
      expectDowngraded(await lic(t, a), before, Date.now(), grace);
      expect((await lic(t, b))?.status).toBe("active");
      expect(await check(t.id)).toMatchObject({ proLicenses: 1, downgradedLicenses: held(1) });
      await t.request("PUT", `/Groups/${g1}`, { schemas: [GROUP], displayName: "G1", members: [{ value: a }] });
      expect((await lic(t, a))?.status).toBe("active");
      expect((await lic(t, b))?.status).toBe("downgraded");
      expect(await check(t.id)).toMatchObject({ proLicenses: 1, downgradedLicenses: held(1) });
      // Remove all members.
      await patch(t, g1, [{ op: "remove", path: "members" }]);
      expect((await lic(t, a))?.status).toBe("downgraded");
      expect(await check(t.id)).toMatchObject({ proLicenses: 0, downgradedLicenses: held(2) });
    });

    it("deactivate → downgraded, reactivate → active; user delete → licence gone at once; group delete → downgraded", async () => {
      const t = await newScimTenant({ proGraceHours: grace });
      const a = await user(t, "a");
      const b = await user(t, "b");
      const c = await user(t, "c");
      const g = (await group(t, "G", undefined, [a, b, c])).body.id;
      const other = (await group(t, "Other", "true", [c])).body.id;
      expect(await check(t.id)).toMatchObject({ proLicenses: 3 });

      let before = Date.now();
      expect((await setActive(t, a, "False")).status).toBe(200);
      expectDowngraded(await lic(t, a), before, Date.now(), grace);
      expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: held(1) });
      // Adding an inactive user to a licensing group grants nothing.
      await add(t, other, a);
      expect((await lic(t, a))?.status).toBe("downgraded");
      expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: held(1) });
      expect((await setActive(t, a, true)).status).toBe(200);
      expect(await lic(t, a)).toMatchObject({ status: "active", downgraded_at: null });
      expect(await check(t.id)).toMatchObject({ proLicenses: 3, downgradedLicenses: 0 });

      // User delete: licence gone at once (active or downgraded).
      expect((await t.request("DELETE", `/Users/${b}`)).status).toBe(204);
      expect(await lic(t, b)).toBeNull();
      expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: 0 });
      await setActive(t, a, false);
      expect((await t.request("DELETE", `/Users/${a}`)).status).toBe(204);
      expect(await lic(t, a)).toBeNull();
      expect(await check(t.id)).toMatchObject({ proLicenses: 1, downgradedLicenses: 0 });

      // Group delete: c still in Other stays active; d only in G is downgraded.
      const d = await user(t, "d");
      await add(t, g, d);
      before = Date.now();
      expect((await t.request("DELETE", `/Groups/${g}`)).status).toBe(204);
      expectDowngraded(await lic(t, d), before, Date.now(), grace);
      expect((await lic(t, c))?.status).toBe("active");
      expect(await check(t.id)).toMatchObject({ groups: 1, proLicenses: 1, downgradedLicenses: held(1) });
      // Deleting a non-licensing group downgrades nobody.
      const plain = (await group(t, "Plain", false, [c])).body.id;
      await t.request("DELETE", `/Groups/${plain}`);
      expect((await lic(t, c))?.status).toBe("active");
      expect(await check(t.id)).toMatchObject({ groups: 1, proLicenses: 1, downgradedLicenses: held(1) });
    });
  });
}

describe("licence flip on a group with many members", () => {
  it("2,000 seeded members: false → downgraded all (except those licensed elsewhere), true → active again, downgrade cleared", async () => {
    const t = await newScimTenant({ proGraceHours: 23 });
    const tpl = await user(t, "template");
    const g = (await group(t, "Many", "true", [tpl])).body.id;
    const elsewhere = (await group(t, "Elsewhere", true)).body.id;
    const now = Date.now();
    const N = 2000;
    await env.DB.batch([
      env.DB.prepare(
        `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
         INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
         SELECT ?1, 'm' || printf('%05d', i), 'm' || i || '@contoso.com', 'm' || i || '@contoso.com', NULL, NULL, NULL, 1,
                json_set((SELECT doc FROM users WHERE tenant_id = ?1 AND id = ?3), '$.userName', 'm' || i || '@contoso.com'), ?4, ?4, 'e' || i FROM s`,
      ).bind(t.id, N, tpl, now),
      env.DB.prepare(`INSERT INTO memberships (tenant_id, group_id, user_id) SELECT ?1, ?2, id FROM users WHERE tenant_id = ?1 AND id LIKE 'm%'`).bind(t.id, g),
      env.DB.prepare(`INSERT INTO licences (tenant_id, user_id, status, since) SELECT ?1, id, 'active', ?2 FROM users WHERE tenant_id = ?1 AND id LIKE 'm%'`).bind(t.id, now),
      env.DB.prepare(`UPDATE tenant_stats SET users = users + ?2, active_users = active_users + ?2, memberships = memberships + ?2, pro_licenses = pro_licenses + ?2 WHERE tenant_id = ?1`).bind(t.id, N),
    ]);
    await add(t, elsewhere, "m00001", "m00002");
    expect(await check(t.id)).toMatchObject({ proLicenses: N + 1, downgradedLicenses: 0, memberships: N + 1 + 2 });

    const before = Date.now();
    const off = await setLicence(t, g, "False");
    expect(off.status).toBe(204);
    const after = Date.now();
    expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: N - 1 });
    expectDowngraded(await lic(t, "m01000"), before, after, 23);
    expectDowngraded(await lic(t, tpl), before, after, 23);
    expect((await lic(t, "m00001"))?.status).toBe("active");
    const listed = await listLicences(dbFor(env.DB).db, t.id, { status: "downgraded", limit: 1000 });
    expect(listed.licenses).toHaveLength(1000);
    expect(listed.nextCursor).not.toBeNull();
    expect(listed.licenses[0]).toMatchObject({ status: "downgraded" });
    expect(listed.licenses[0]!.expiresAt).not.toBeNull();
    // Setting the same value again changes nothing.
    await setLicence(t, g, false);
    expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: N - 1 });

    const on = await setLicence(t, g, true);
    expect(on.status).toBe(204);
    expect(await check(t.id)).toMatchObject({ proLicenses: N + 1, downgradedLicenses: 0 });
    expect(await lic(t, "m01000")).toMatchObject({ status: "active", downgraded_at: null });
    const active = await listLicences(dbFor(env.DB).db, t.id, { status: "active", limit: 1000 });
    expect(active.licenses.every((l) => l.downgradedAt === null && l.expiresAt === null)).toBe(true);

    // Removing the attribute = licensing (absent) — stays active; flip with a PUT too.
    await t.request("PUT", `/Groups/${g}`, { schemas: [GROUP, EXT], displayName: "Many", [EXT]: { license: "false" }, members: (await t.request("GET", `/Groups/${g}`)).body.members });
    expect(await check(t.id)).toMatchObject({ proLicenses: 2, downgradedLicenses: N - 1 });
  });
});

describe("admin licences listing", () => {
  it("GET /admin/tenants/{id}/licenses lists each licence with its user, status and dates; ?status= filters", async () => {
    const t = await newScimTenant({ proGraceHours: 5 });
    const a = await user(t, "a");
    const b = await user(t, "b");
    const g = (await group(t, "G", true, [a, b])).body.id;
    await remove(t, g, b);
    const direct = await listLicences(dbFor(env.DB).db, t.id, { status: "downgraded" });
    expect(direct.licenses).toEqual([
      expect.objectContaining({ userId: b, userName: "b@contoso.com", status: "downgraded" }),
    ]);

    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const stored = async (id: string) => (await lic(t, id))!;
    const [la, lb] = [await stored(a), await stored(b)];
    expect(lb.expires_at! - lb.downgraded_at!).toBe(5 * HOUR);
    const active = { userId: a, userName: "a@contoso.com", status: "active", since: iso(la.since), downgradedAt: null, expiresAt: null };
    const downgraded = { userId: b, userName: "b@contoso.com", status: "downgraded", since: iso(lb.since), downgradedAt: iso(lb.downgraded_at), expiresAt: iso(lb.expires_at) };
    // Ordered by user id (two ids of one millisecond are in random order).
    const both = [active, downgraded].sort((x, y) => (x.userId < y.userId ? -1 : 1));
    for (const [query, expected] of [
      ["", both],
      ["?status=active", [active]],
      ["?status=downgraded", [downgraded]],
    ] as const) {
      const res = await admin("GET", `/admin/tenants/${t.id}/licenses${query}`);
      expect(res.status, query).toBe(200);
      expect(await res.json(), query).toEqual({ licenses: expected });
    }
  });
});
