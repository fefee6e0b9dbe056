/**
 * A licence is never reported as held after its expiry: every
 * read — the admin licence list, the tenant's `stats`, and the
 * `current_licences` view the vendor's app reads from D1 — treats a
 * downgraded licence with expires_at <= now as expired, whether or not the
 * sweep has run. The "sweep has not run" state is built deterministically:
 * a tenant with proGraceHours 0 (a downgrade expires at once), or
 * expires_at written in the past in this file's D1. No cron runs here unless
 * a test runs it.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepLicences } from "../../src/licence/sweep.js";
import { dbFor } from "../../src/storage/database.js";
import { listLicences, type LicenceView } from "../../src/licence/current-licences.js";
import { getTenantStats } from "../../src/storage/tenants.js";
import { admin } from "../support/admin-client.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const EXT = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const HOUR = 3_600_000;

type ListedLicence = LicenceView;

interface ViewRow {
  tenant_id: string;
  user_id: string;
  status: string;
  since: number;
  downgraded_at: number | null;
  expires_at: number | null;
}

async function user(t: ScimTenant, name: string): Promise<string> {
  const r = await t.request("POST", "/Users", { userName: `${name}@contoso.com`, active: true });
  expect(r.status).toBe(201);
  return r.body.id;
}

/** A licensing group (the attribute sent explicitly, so the tenant's licenceWhenAbsent does not matter). */
async function proGroup(t: ScimTenant, members: string[]): Promise<string> {
  const r = await t.request("POST", "/Groups", {
    schemas: [GROUP, EXT],
    displayName: "Pro",
    [EXT]: { license: true },
    members: members.map((value) => ({ value })),
  });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function deactivate(t: ScimTenant, userId: string): Promise<void> {
  const r = await t.request("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] });
  expect(r.status).toBe(200);
}

async function removeMember(t: ScimTenant, groupId: string, userId: string): Promise<void> {
  const r = await t.request("PATCH", `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${userId}"]` }] });
  expect(r.status).toBe(204);
}

async function setExpiry(t: ScimTenant, userId: string, expiresAt: number): Promise<void> {
  await env.DB.prepare(`UPDATE licences SET downgraded_at = ?3 - 23 * 3600000, expires_at = ?3 WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, userId, expiresAt).run();
}

async function stored(t: ScimTenant, userId: string) {
  return env.DB.prepare(`SELECT status, expires_at FROM licences WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, userId).first<{ status: string; expires_at: number | null }>();
}

/** The counters row as stored: downgraded_licenses keeps counting a licence until the sweep deletes it. */
async function storedCounters(tenantId: string) {
  return env.DB.prepare(`SELECT pro_licenses, downgraded_licenses FROM tenant_stats WHERE tenant_id = ?1`).bind(tenantId).first();
}

async function adminList(tenantId: string, query = ""): Promise<ListedLicence[]> {
  const res = await admin("GET", `/admin/tenants/${tenantId}/licenses${query}`);
  expect(res.status).toBe(200);
  return (await res.json<{ licenses: ListedLicence[] }>()).licenses;
}

async function adminStats(tenantId: string): Promise<{ stats: Record<string, number>; rowsRead: number }> {
  const res = await admin("GET", `/admin/tenants/${tenantId}`);
  expect(res.status).toBe(200);
  const { stats } = await res.json<{ stats: Record<string, number> }>();
  return { stats, rowsRead: Number(res.headers.get("x-d1-rows-read")) };
}

async function view(tenantId: string): Promise<ViewRow[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM current_licences WHERE tenant_id = ?1 ORDER BY user_id`).bind(tenantId).all<ViewRow>();
  return results;
}

describe("proGraceHours 0: a licence downgraded through SCIM is expired at once, before any sweep", () => {
  it("is gone from the admin list (also ?status=downgraded), from stats and from current_licences, while still stored", async () => {
    const t = await newScimTenant({ proGraceHours: 0 });
    const [a, b, c] = [await user(t, "a"), await user(t, "b"), await user(t, "c")];
    const g = await proGroup(t, [a, b, c]);
    expect((await adminList(t.id)).map((l) => l.status)).toEqual(["active", "active", "active"]);

    await deactivate(t, a); // user disabled
    await removeMember(t, g, b); // left its last licensing group
    // The rows are still there: the sweep has not run.
    expect(await stored(t, a)).toMatchObject({ status: "downgraded" });
    expect(await stored(t, b)).toMatchObject({ status: "downgraded" });
    expect(await storedCounters(t.id)).toEqual({ pro_licenses: 1, downgraded_licenses: 2 });

    const listed = await adminList(t.id);
    expect(listed.map((l) => [l.userId, l.status])).toEqual([[c, "active"]]);
    expect(await adminList(t.id, "?status=downgraded")).toEqual([]);
    expect((await adminList(t.id, "?status=active")).map((l) => l.userId)).toEqual([c]);

    const { stats } = await adminStats(t.id);
    expect(stats).toMatchObject({ proLicenses: 1, downgradedLicenses: 0 });
    await expectExactCounters(t.id);

    expect((await view(t.id)).map((r) => [r.user_id, r.status])).toEqual([[c, "active"]]);

    // The sweep, when it runs, removes exactly what the reads already hid: nothing changes for readers.
    const report = await sweepLicences(env.DB, Date.now());
    expect(report.expiredByTenant[t.id]).toBe(2);
    expect(await stored(t, a)).toBeNull();
    expect(await expectExactCounters(t.id)).toMatchObject({ proLicenses: 1, downgradedLicenses: 0 });
    expect((await adminList(t.id)).map((l) => l.userId)).toEqual([c]);
    expect((await view(t.id)).map((r) => r.user_id)).toEqual([c]);
  });
});

describe("a missed sweep: downgraded licences whose expiresAt has passed", () => {
  it("only the unexpired downgraded ones and the active ones are reported, by the list, stats and the view", async () => {
    const t = await newScimTenant({ proGraceHours: 23 });
    const ids = [await user(t, "active"), await user(t, "pending"), await user(t, "expired1"), await user(t, "expired2"), await user(t, "revived")];
    const [active, pending, expired1, expired2, revived] = ids as [string, string, string, string, string];
    const g = await proGroup(t, ids);
    for (const u of [pending, expired1, expired2, revived]) await removeMember(t, g, u);
    const now = Date.now();
    await setExpiry(t, pending, now + HOUR);
    await setExpiry(t, expired1, now - 1);
    await setExpiry(t, expired2, now - 30 * HOUR); // several days of missed runs would look the same
    await setExpiry(t, revived, now - HOUR);
    // Re-added: active again, keeping its (past) expires_at as a stale sweep hint.
    const re = await t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: revived }] }] });
    expect(re.status).toBe(204);
    expect(await stored(t, revived)).toEqual({ status: "active", expires_at: now - HOUR });
    expect(await storedCounters(t.id)).toEqual({ pro_licenses: 2, downgraded_licenses: 3 });

    const listed = await adminList(t.id);
    expect(new Map(listed.map((l) => [l.userId, l.status]))).toEqual(
      new Map([
        [active, "active"],
        [pending, "downgraded"],
        [revived, "active"],
      ]),
    );
    expect(listed.find((l) => l.userId === pending)?.expiresAt).toBe(new Date(now + HOUR).toISOString());
    expect(listed.find((l) => l.userId === revived)).toMatchObject({ downgradedAt: null, expiresAt: null });
    expect((await adminList(t.id, "?status=downgraded")).map((l) => l.userId)).toEqual([pending]);
    expect((await adminList(t.id, "?status=active")).map((l) => l.userId).sort()).toEqual([active, revived].sort());

    expect((await adminStats(t.id)).stats).toMatchObject({ proLicenses: 2, downgradedLicenses: 1 });
    await expectExactCounters(t.id);

    const rows = await view(t.id);
    expect(new Map(rows.map((r) => [r.user_id, r]))).toEqual(
      new Map([
        [active, { tenant_id: t.id, user_id: active, status: "active", since: expect.any(Number), downgraded_at: null, expires_at: null }],
        [pending, { tenant_id: t.id, user_id: pending, status: "downgraded", since: expect.any(Number), downgraded_at: now + HOUR - 23 * HOUR, expires_at: now + HOUR }],
        // Active: its stale hint is not an expiry, as in the admin API.
        [revived, { tenant_id: t.id, user_id: revived, status: "active", since: expect.any(Number), downgraded_at: null, expires_at: null }],
      ]),
    );
  });

  it("expiresAt exactly now is expired (the sweep's <=); one millisecond later it is still held", async () => {
    const t = await newScimTenant({ proGraceHours: 23 });
    const [u, v] = [await user(t, "u"), await user(t, "v")];
    const g = await proGroup(t, [u, v]);
    await removeMember(t, g, u);
    const at = Date.UTC(2030, 0, 1);
    await setExpiry(t, u, at);
    const { db } = dbFor(env.DB);

    const before = await listLicences(db, t.id, { now: at - 1 });
    expect(before.licenses.map((l) => l.userId).sort()).toEqual([u, v].sort());
    expect((await getTenantStats(db, t.id, at - 1)).downgradedLicenses).toBe(1);

    const atExpiry = await listLicences(db, t.id, { now: at });
    expect(atExpiry.licenses.map((l) => l.userId)).toEqual([v]);
    expect(await listLicences(db, t.id, { now: at, status: "downgraded" })).toEqual({ licenses: [], nextCursor: null });
    expect(await getTenantStats(db, t.id, at)).toMatchObject({ proLicenses: 1, downgradedLicenses: 0 });
  });

  it("the list still pages through the live licences when expired ones sit between them", async () => {
    const t = await newScimTenant({ proGraceHours: 23 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await user(t, `p${i}`));
    const g = await proGroup(t, ids);
    const sorted = [...ids].sort();
    // Every other licence (in user-id order) expired, unswept.
    const expired = sorted.filter((_, i) => i % 2 === 1);
    for (const u of expired) {
      await removeMember(t, g, u);
      await setExpiry(t, u, Date.now() - HOUR);
    }
    const live = sorted.filter((u) => !expired.includes(u));
    const seen: string[] = [];
    let query = "?limit=2";
    for (;;) {
      const res = await admin("GET", `/admin/tenants/${t.id}/licenses${query}`);
      const body = await res.json<{ licenses: ListedLicence[]; next?: string }>();
      seen.push(...body.licenses.map((l) => l.userId));
      if (!body.next) break;
      query = `?limit=2&after=${body.next}`;
    }
    expect(seen).toEqual(live);
  });
});

describe("current_licences, the view for the vendor's app", () => {
  it("has exactly the documented columns", async () => {
    const { results } = await env.DB.prepare(`SELECT name FROM pragma_table_info('current_licences') ORDER BY cid`).all<{ name: string }>();
    expect(results.map((r) => r.name)).toEqual(["tenant_id", "user_id", "status", "since", "downgraded_at", "expires_at"]);
  });

  it("compares with D1's own clock in epoch milliseconds (the unit of expires_at)", async () => {
    const before = Date.now();
    const row = await env.DB.prepare(`SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER) AS now`).first<{ now: number }>();
    const after = Date.now();
    // workerd's Date.now() moves only with I/O; allow a little skew, far below the ×1000 of a seconds/milliseconds mix-up.
    expect(row!.now).toBeGreaterThanOrEqual(before - 2_000);
    expect(row!.now).toBeLessThanOrEqual(after + 2_000);
  });

  it("is scoped by tenant like the table: one tenant's query never returns another's licences", async () => {
    const t1 = await newScimTenant({ proGraceHours: 23 });
    const t2 = await newScimTenant({ proGraceHours: 23 });
    const u1 = await user(t1, "same");
    const u2 = await user(t2, "same");
    await proGroup(t1, [u1]);
    await proGroup(t2, [u2]);
    expect((await view(t1.id)).map((r) => [r.tenant_id, r.user_id])).toEqual([[t1.id, u1]]);
    expect((await view(t2.id)).map((r) => [r.tenant_id, r.user_id])).toEqual([[t2.id, u2]]);
    const one = await env.DB.prepare(`SELECT status FROM current_licences WHERE tenant_id = ?1 AND user_id = ?2`).bind(t1.id, u2).first();
    expect(one).toBeNull();
  });
});

describe("stats stay bounded", () => {
  it("GET /admin/tenants/{id} reads the same few rows for a tenant of 3,000 licences as for one of 1, whatever the tenant's size", async () => {
    const now = Date.now();
    const seed = async (t: ScimTenant, n: number, downgradedPending: number, downgradedExpired: number) => {
      await env.DB.batch([
        env.DB.prepare(
          `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2)
           INSERT INTO users (tenant_id, id, user_name, user_name_key, active, doc, created_at, last_modified, etag)
           SELECT ?1, printf('s%06d', i), printf('s%d@contoso.com', i), printf('s%d@contoso.com', i), 1, '{}', ?3, ?3, 'e' FROM s`,
        ).bind(t.id, n, now),
        env.DB.prepare(
          `INSERT INTO licences (tenant_id, user_id, status, since, downgraded_at, expires_at)
           SELECT ?1, id, CASE WHEN CAST(substr(id, 2) AS INTEGER) <= ?3 + ?4 THEN 'downgraded' ELSE 'active' END, ?2 - 48 * 3600000,
                  CASE WHEN CAST(substr(id, 2) AS INTEGER) <= ?3 + ?4 THEN ?2 - 3600000 END,
                  CASE WHEN CAST(substr(id, 2) AS INTEGER) <= ?3 THEN ?2 - 60000
                       WHEN CAST(substr(id, 2) AS INTEGER) <= ?3 + ?4 THEN ?2 + 22 * 3600000 END
           FROM users WHERE tenant_id = ?1`,
        ).bind(t.id, now, downgradedExpired, downgradedPending),
        env.DB.prepare(
          `UPDATE tenant_stats SET users = ?2, active_users = ?2, pro_licenses = ?2 - ?3 - ?4, downgraded_licenses = ?3 + ?4 WHERE tenant_id = ?1`,
        ).bind(t.id, n, downgradedExpired, downgradedPending),
      ]);
    };
    const big = await newScimTenant({ proGraceHours: 23 });
    const small = await newScimTenant({ proGraceHours: 23 });
    await seed(big, 3_000, 200, 5);
    await seed(small, 1, 0, 0);
    await expectExactCounters(big.id);

    const bigRead = await adminStats(big.id);
    const smallRead = await adminStats(small.id);
    expect(bigRead.stats).toMatchObject({ users: 3_000, proLicenses: 2_795, downgradedLicenses: 200 });
    expect(smallRead.stats).toMatchObject({ users: 1, proLicenses: 1, downgradedLicenses: 0 });
    // What the expired count may read: the due entries of the expiry index (every tenant's, i.e. the
    // sweep's backlog in this file's D1) and a status lookup for each of this tenant's.
    const due = (await env.DB.prepare(`SELECT count(*) AS n FROM licences WHERE expires_at IS NOT NULL AND expires_at <= ?1`).bind(Date.now()).first<{ n: number }>())!.n;
    expect(due).toBeLessThan(50);
    expect(bigRead.rowsRead).toBeLessThanOrEqual(2 + due + 5);
    expect(bigRead.rowsRead).toBeLessThanOrEqual(smallRead.rowsRead + 5);
    // Never the tenant's size: not its 3,000 licences, not its 200 pending downgrades.
    expect(bigRead.rowsRead).toBeLessThan(100);
  });
});

describe("a licence granted again after its expiry, before the sweep", () => {
  it("is a new licence: `since` is the new grant, not the expired licence's", async () => {
    const t = await newScimTenant({ proGraceHours: 0 });
    const u = await user(t, "again");
    const g = await proGroup(t, [u]);
    const patch = (op: string) => t.request("PATCH", `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op, path: "members", value: [{ value: u }] }] });
    const first = await env.DB.prepare(`SELECT since FROM licences WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, u).first<{ since: number }>();
    // Make the first grant visibly older, then lose the licence (grace 0: expired at once) and get it back.
    await env.DB.prepare(`UPDATE licences SET since = since - ?3 WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, u, HOUR).run();
    expect((await patch("remove")).status).toBe(204);
    const regained = Date.now();
    expect((await patch("add")).status).toBe(204);
    const row = await env.DB.prepare(`SELECT status, since FROM licences WHERE tenant_id = ?1 AND user_id = ?2`).bind(t.id, u).first<{ status: string; since: number }>();
    expect(row?.status).toBe("active");
    expect(row!.since).toBeGreaterThanOrEqual(regained);
    expect(row!.since).toBeGreaterThan(first!.since - HOUR);
    await expectExactCounters(t.id);
  });
});
