/**
 * The cost of user requests, measured with x-d1-rows-read: point lookups
 * read a small constant number of rows, the same at 100 and at 20,000 users;
 * a page of k users reads about k rows plus a constant; no statement binds
 * more than 100 parameters, whatever the request.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BIG = 20_000;
const SMALL = 100;

const q = (filter: string) => `/Users?filter=${encodeURIComponent(filter)}`;

/**
 * Seeds `n` users shaped exactly like the row the API stores for a POST
 * (the template row), with userName/externalId/work email made unique by
 * a number: one INSERT … SELECT over a recursive CTE, then the counters.
 */
async function seed(t: ScimTenant, n: number): Promise<{ id: string; userName: string; externalId: string; email: string }> {
  const probe = await t.request("POST", "/Users", {
    schemas: [USER],
    userName: "template@contoso.com",
    externalId: "ext-template",
    displayName: "Template",
    active: true,
    emails: [{ type: "work", value: "template@contoso.com", primary: true }],
  });
  expect(probe.status).toBe(201);
  const row = await env.DB.prepare("SELECT * FROM users WHERE tenant_id = ?1 AND id = ?2").bind(t.id, probe.body.id).first<Record<string, unknown>>();
  expect(row).not.toBeNull();
  // The stored shape, as the API wrote it: doc JSON with these exact keys.
  expect(JSON.parse(row!.doc as string)).toEqual({
    externalId: "ext-template",
    userName: "template@contoso.com",
    displayName: "Template",
    active: true,
    emails: [{ type: "work", value: "template@contoso.com", primary: true }],
  });
  expect(row).toMatchObject({ user_name_key: "template@contoso.com", external_id: "ext-template", work_email_key: "template@contoso.com", display_name: "Template", active: 1 });
  // Ids: the template's UUIDv7 prefix (same millisecond) with a counter in the tail, so they sort after it.
  const prefix = (probe.body.id as string).slice(0, 24);
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?2)
     INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
     SELECT ?1, ?3 || printf('%012d', i), 'user' || i || '@contoso.com', 'user' || i || '@contoso.com', 'ext-' || i, 'user' || i || '@contoso.com',
            'User ' || i, 1,
            json_object('externalId', 'ext-' || i, 'userName', 'user' || i || '@contoso.com', 'displayName', 'User ' || i, 'active', json('true'),
                        'emails', json_array(json_object('type', 'work', 'value', 'user' || i || '@contoso.com', 'primary', json('true')))),
            ?4, ?4, lower(hex(randomblob(8)))
     FROM seq`,
  )
    .bind(t.id, n - 1, prefix, row!.created_at)
    .run();
  await env.DB.prepare("UPDATE tenant_stats SET users = users + ?2, active_users = active_users + ?2 WHERE tenant_id = ?1").bind(t.id, n - 1).run();
  const list = await t.request("GET", "/Users?count=0");
  expect(list.body.totalResults).toBe(n);
  // A seeded user as the API sees it (the last one).
  const last = n - 1;
  const found = await t.request("GET", q(`userName eq "user${last}@contoso.com"`));
  expect(found.body.totalResults).toBe(1);
  return { id: found.body.Resources[0].id, userName: `user${last}@contoso.com`, externalId: `ext-${last}`, email: `user${last}@contoso.com` };
}

let big: ScimTenant;
let small: ScimTenant;
let bigUser: Awaited<ReturnType<typeof seed>>;
let smallUser: Awaited<ReturnType<typeof seed>>;

beforeAll(async () => {
  big = await newScimTenant();
  small = await newScimTenant();
  bigUser = await seed(big, BIG);
  smallUser = await seed(small, SMALL);
});

describe("point lookups: ≤ 3 rows, the same at 100 and 20,000 users", () => {
  const cases: Array<[string, (u: Awaited<ReturnType<typeof seed>>) => string]> = [
    ["GET by id", (u) => `/Users/${u.id}`],
    ["userName eq (other case)", (u) => q(`userName eq "${u.userName.toUpperCase()}"`)],
    ["externalId eq", (u) => q(`externalId eq "${u.externalId}"`)],
    ['emails[type eq "work"].value eq', (u) => q(`emails[type eq "work"].value eq "${u.email}"`)],
    ['emails[type eq "work" and value eq]', (u) => q(`emails[type eq "work" and value eq "${u.email}"]`)],
    ["id eq", (u) => q(`id eq "${u.id}"`)],
    ["Test Connection probe (no match)", () => q(`userName eq "${crypto.randomUUID()}"`)],
  ];
  for (const [name, path] of cases) {
    it(name, async () => {
      const a = await big.request("GET", path(bigUser));
      const b = await small.request("GET", path(smallUser));
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      if (name === "GET by id") {
        expect(a.body.id).toBe(bigUser.id);
        expect(b.body.id).toBe(smallUser.id);
      } else {
        expect(a.body.totalResults).toBe(name.startsWith("Test") ? 0 : 1);
        expect(b.body.totalResults).toBe(name.startsWith("Test") ? 0 : 1);
      }
      expect(a.rowsRead).toBeLessThanOrEqual(3);
      expect(a.rowsRead).toBe(b.rowsRead);
    });
  }

  it("PATCH of one user reads the same in both tenants", async () => {
    const op = { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "displayName", value: "Renamed" }] };
    const a = await big.request("PATCH", `/Users/${bigUser.id}`, op);
    const b = await small.request("PATCH", `/Users/${smallUser.id}`, op);
    expect(a.status).toBe(200);
    expect(a.rowsRead).toBe(b.rowsRead);
    // The read and the guarded write (6), and the user.updated event's numbering (docs/events.md).
    expect(a.rowsRead).toBeLessThanOrEqual(8);
    expect(a.rowsWritten).toBe(b.rowsWritten);
  });
});

describe("a page of k users reads about k rows plus a constant", () => {
  for (const k of [10, 50]) {
    it(`count=${k}`, async () => {
      const a = await big.request("GET", `/Users?startIndex=1&count=${k}`);
      const b = await small.request("GET", `/Users?startIndex=1&count=${k}`);
      expect(a.body.itemsPerPage).toBe(k);
      expect(a.body.totalResults).toBe(BIG);
      expect(a.rowsRead).toBeGreaterThanOrEqual(k);
      expect(a.rowsRead).toBeLessThanOrEqual(k + 5);
      expect(a.rowsRead).toBe(b.rowsRead);
      // sorted by userName (indexed) too
      const s = await big.request("GET", `/Users?count=${k}&sortBy=userName&sortOrder=descending`);
      expect(s.body.itemsPerPage).toBe(k);
      expect(s.rowsRead).toBeLessThanOrEqual(k + 5);
    });
  }

  it("a startIndex past the end reads no user row", async () => {
    const a = await big.request("GET", `/Users?startIndex=${BIG + 1}&count=10`);
    expect(a.body).toMatchObject({ totalResults: BIG, itemsPerPage: 0, Resources: [] });
    // Only the counter: an OFFSET past the end would walk the whole tenant.
    expect(a.rowsRead).toBeLessThanOrEqual(1);
  });

  it("count=0 reads only the counter", async () => {
    const a = await big.request("GET", "/Users?count=0");
    expect(a.body).toMatchObject({ totalResults: BIG, itemsPerPage: 0, Resources: [] });
    expect(a.rowsRead).toBeLessThanOrEqual(1);
  });
});

describe("no statement binds more than 100 parameters", () => {
  it("a filter of 150 or-ed userName clauses answers 200", async () => {
    const names = Array.from({ length: 150 }, (_, i) => `user${i + 1}@contoso.com`);
    const filter = names.map((n) => `userName eq "${n}"`).join(" or ");
    const res = await small.request("POST", "/Users/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter, count: 200 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.totalResults).toBe(SMALL - 1); // user1..user99 exist in the small tenant
    const get = await small.request("GET", `${q(filter)}&count=200`);
    expect(get.status).toBe(200);
    expect(get.body.totalResults).toBe(SMALL - 1);
  });

  it("a filter of 150 or-ed externalId / id clauses answers 200", async () => {
    const filter = Array.from({ length: 150 }, (_, i) => `externalId eq "ext-${i}"`).join(" or ");
    const res = await small.request("GET", q(filter));
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(SMALL - 1);
  });

  it("a PATCH with 150 operations / 100 values answers 200", async () => {
    const ops = Array.from({ length: 150 }, (_, i) => ({ op: "add", path: "roles", value: [{ value: `role-${i}` }] }));
    const res = await small.request("PATCH", `/Users/${smallUser.id}`, { schemas: [PATCH_OP], Operations: ops.slice(0, 100) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.roles).toHaveLength(100);
    // More values than a multi-valued attribute takes: a clean 400, not a D1 error.
    const tooMany = await small.request("PATCH", `/Users/${smallUser.id}`, { schemas: [PATCH_OP], Operations: ops });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.scimType).toBe("invalidValue");
  });
});

describe("a user's groups come with the lookup, at a constant cost", () => {
  // Last in the file: the memberships made here change the neighbours of
  // other tests' index reads. A member in the middle of the tenant.
  async function memberOfOneGroup(t: ScimTenant): Promise<{ userId: string; groupId: string }> {
    const found = await t.request("GET", q('userName eq "user50@contoso.com"'));
    const userId = found.body.Resources[0].id as string;
    const group = await t.request("POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Row budget group",
      members: [{ value: userId }],
    });
    expect(group.status).toBe(201);
    return { userId, groupId: group.body.id as string };
  }

  it("GET by id and userName eq show the group and read at most 3 rows more than the lookup itself", async () => {
    const a = await memberOfOneGroup(big);
    const b = await memberOfOneGroup(small);
    for (const [path, lookupPath] of [
      [(id: string) => `/Users/${id}`, (id: string) => `/Users/${id}?excludedAttributes=groups`],
      [() => q('userName eq "user50@contoso.com"'), () => `${q('userName eq "user50@contoso.com"')}&excludedAttributes=groups`],
    ] as const) {
      const full = await big.request("GET", path(a.userId));
      const lookup = await big.request("GET", lookupPath(a.userId));
      const fullSmall = await small.request("GET", path(b.userId));
      expect(full.status).toBe(200);
      const resource = full.body.Resources ? full.body.Resources[0] : full.body;
      expect(resource.groups).toEqual([expect.objectContaining({ value: a.groupId, display: "Row budget group", type: "direct" })]);
      const lookupSmall = await small.request("GET", lookupPath(b.userId));
      // The bound, not the figure: a range read may or may not count the index
      // entry past its end, which depends on the neighbouring tenant's rows.
      for (const [f, l] of [[full, lookup], [fullSmall, lookupSmall]] as const) {
        expect(l.rowsRead).toBeLessThanOrEqual(3);
        expect(f.rowsRead).toBeLessThanOrEqual(l.rowsRead + 3);
      }
    }
  });
});
