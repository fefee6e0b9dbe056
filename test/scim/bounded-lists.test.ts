/**
 * Bounded work per request: no list request reads more than about
 * 11,000 rows or runs more than 15 statements, whatever the tenant's
 * size (docs/storage.md, "Bounded work per request"). Per case:
 *
 * - a filter or sort no index answers scans the tenant only up to 10,000
 *   users; a larger tenant gets 400 tooMany naming the indexed forms;
 * - an offset (startIndex - 1) past 10,000 is 400 tooMany, unless the page
 *   before it was served (an import paging in order: page anchors);
 * - a seek on a non-unique index reads at most 1,000 candidates;
 * - a membership range with other conditions scans at most 5,000 entries;
 * - GET /Groups expands at most 5,000 member references per page: a shorter
 *   page, or 400 tooMany when the first group alone has more.
 *
 * The identity providers' own forms stay answered in full (the conformance
 * tests in this folder pin them; a few are repeated here at this size).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { expectScimError } from "../support/scim-error.js";
import { newScimTenant, type ScimReply, type ScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/** More than the scan limit of 10,000. */
const BIG = 12_000;
const SMALL = 50;
/** Users 1..SHARED_OVER share externalId "shared" (one more than the 1,000 candidates a seek reads); the next 1,000 share "thousand". */
const SHARED_OVER = 1_001;
const BIG_GROUP = 6_000;
/** Rows any one request below may read: the 10,000 of a limit plus a page and its groups. */
const ROW_BOUND = 11_000;
/** A scan's counter, 11 pages, the sorted page's re-read, its groups and the tenant check. */
const STATEMENT_BOUND = 15;

const q = (filter: string, extra = "") => `/Users?filter=${encodeURIComponent(filter)}${extra}`;

/** `n` users like the API stores them, user<i>@contoso.com, ids after the template's (same UUIDv7 prefix). */
async function seed(t: ScimTenant, n: number): Promise<string> {
  const template = await t.request("POST", "/Users", { schemas: [USER], userName: "template@contoso.com", displayName: "Template", active: true });
  expect(template.status).toBe(201);
  const row = await env.DB.prepare("SELECT * FROM users WHERE tenant_id = ?1 AND id = ?2").bind(t.id, template.body.id).first<Record<string, unknown>>();
  const prefix = (template.body.id as string).slice(0, 24);
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?2)
     INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
     SELECT ?1, ?3 || printf('%012d', i), 'user' || i || '@contoso.com', 'user' || i || '@contoso.com',
            CASE WHEN i <= ${SHARED_OVER} THEN 'shared' WHEN i <= ${SHARED_OVER + 1000} THEN 'thousand' ELSE 'ext-' || i END,
            'user' || i || '@contoso.com', 'User ' || i, 1,
            json_set(?4, '$.userName', 'user' || i || '@contoso.com', '$.displayName', 'User ' || i,
                     '$.externalId', CASE WHEN i <= ${SHARED_OVER} THEN 'shared' WHEN i <= ${SHARED_OVER + 1000} THEN 'thousand' ELSE 'ext-' || i END),
            ?5, ?5, lower(hex(randomblob(8)))
     FROM seq`,
  )
    .bind(t.id, n - 1, prefix, row!.doc, row!.created_at)
    .run();
  await env.DB.prepare("UPDATE tenant_stats SET users = users + ?2, active_users = active_users + ?2 WHERE tenant_id = ?1").bind(t.id, n - 1).run();
  expect((await t.request("GET", "/Users?count=0")).body.totalResults).toBe(n);
  return prefix;
}

function bounded(r: ScimReply): void {
  expect(r.rowsRead).toBeLessThanOrEqual(ROW_BOUND);
  expect(r.statements).toBeLessThanOrEqual(STATEMENT_BOUND);
}

function tooMany(r: ScimReply, ...mentions: string[]): string {
  const detail = expectScimError(r, 400, "tooMany");
  for (const m of mentions) expect(detail).toContain(m);
  bounded(r);
  return detail;
}

let big: ScimTenant;
let small: ScimTenant;
let prefix: string;
let bigGroup: string;
let smallGroup: string;
const userId = (i: number) => `${prefix}${String(i).padStart(12, "0")}`;

beforeAll(async () => {
  big = await newScimTenant();
  small = await newScimTenant();
  prefix = await seed(big, BIG);
  await seed(small, SMALL);
  // A 3-member group first, then a 6,000-member one (memberships straight into D1, as the API stores them).
  const a = await big.request("POST", "/Groups", { schemas: [GROUP], displayName: "Small", members: [1, 2, 3].map((i) => ({ value: userId(i) })) });
  expect(a.status).toBe(201);
  smallGroup = a.body.id;
  const b = await big.request("POST", "/Groups", { schemas: [GROUP], displayName: "Big" });
  expect(b.status).toBe(201);
  bigGroup = b.body.id;
  await env.DB.prepare(
    `INSERT INTO memberships (tenant_id, group_id, user_id) SELECT tenant_id, ?2, id FROM users WHERE tenant_id = ?1 AND id > ?3 ORDER BY id LIMIT ?4`,
  )
    .bind(big.id, bigGroup, userId(0), BIG_GROUP)
    .run();
}, 120_000);

describe("a filter or sort no index answers", () => {
  it.each([
    'displayName co "User 1"',
    'userName sw "user1"',
    'name.familyName eq "Smith"',
    'userName eq "user5@contoso.com" or displayName co "User 7"',
    'not (active eq true)',
    'meta.lastModified gt "2020-01-01T00:00:00Z"',
  ])("%s: 400 tooMany at 12,000 users, after reading the counter only; answered at 50 users", async (filter) => {
    const refused = await big.request("GET", q(filter));
    tooMany(refused, "indexed equality", 'userName', 'emails[type eq "work"].value eq');
    expect(refused.rowsRead).toBeLessThanOrEqual(1);
    const search = await big.request("POST", "/Users/.search", { schemas: [SEARCH], filter });
    tooMany(search, "indexed equality");
    const answered = await small.request("GET", q(filter));
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    // The counter, the tenant's 50 rows, then the page's users again with their groups.
    expect(answered.rowsRead).toBeLessThanOrEqual(3 * SMALL);
  });

  it("sortBy an unindexed attribute: 400 tooMany naming the indexed sorts; indexed sorts answer", async () => {
    tooMany(await big.request("GET", "/Users?sortBy=name.familyName"), "sort by id, userName, externalId or meta.created");
    tooMany(await big.request("GET", "/Users?sortBy=displayName&sortOrder=descending&count=5"), "sort by");
    for (const sortBy of ["userName", "externalId", "id", "meta.created"]) {
      const r = await big.request("GET", `/Users?sortBy=${sortBy}&sortOrder=descending&count=5`);
      expect(r.status, sortBy).toBe(200);
      expect(r.body.itemsPerPage).toBe(5);
      expect(r.rowsRead, sortBy).toBeLessThanOrEqual(5 + 5 * 4);
    }
    expect((await small.request("GET", "/Users?sortBy=displayName&count=3")).body.Resources.map((u: { displayName: string }) => u.displayName)).toEqual([
      "Template",
      "User 1",
      "User 10",
    ]);
  });

  it("a seek and-ed with an unindexed condition is answered at any size", async () => {
    const r = await big.request("GET", q('userName eq "user7@contoso.com" and displayName co "User"'));
    expect(r.status).toBe(200);
    expect(r.body.totalResults).toBe(1);
    expect(r.rowsRead).toBeLessThanOrEqual(6);
  });
});

describe("paging by offset", () => {
  it("a startIndex up to 10,001 is answered, reading the offset; past it, 400 tooMany; past the end, an empty page", async () => {
    const deep = await big.request("GET", "/Users?startIndex=10001&count=5&excludedAttributes=groups");
    expect(deep.status).toBe(200);
    expect(deep.body.itemsPerPage).toBe(5);
    expect(deep.body.totalResults).toBe(BIG);
    bounded(deep);
    tooMany(await big.request("GET", "/Users?startIndex=10002&count=5"), "startIndex is past 10,001");
    tooMany(await big.request("GET", "/Users?startIndex=11000&count=5&sortBy=userName"), "startIndex");
    const past = await big.request("GET", "/Users?startIndex=50000&count=5");
    expect(past.body).toMatchObject({ totalResults: BIG, itemsPerPage: 0, Resources: [] });
    expect(past.rowsRead).toBeLessThanOrEqual(1);
  });
});

describe("an identity provider's import, paging the whole tenant by startIndex", () => {
  it("is answered to the last page, each page reading its own rows: page anchors, not the offset", async () => {
    const seen = new Set<string>();
    // The largest page the server answers (maxResults).
    const count = 200;
    for (let startIndex = 1; startIndex <= BIG; startIndex += count) {
      const page = await big.request("GET", `/Users?startIndex=${startIndex}&count=${count}&excludedAttributes=groups`);
      expect(page.status, `startIndex ${startIndex}`).toBe(200);
      expect(page.body.totalResults).toBe(BIG);
      for (const r of page.body.Resources as Array<{ id: string }>) seen.add(r.id);
      expect(page.body.itemsPerPage).toBe(count);
      // The counter, then the page from its anchor (the first page has none to skip).
      expect(page.rowsRead, `startIndex ${startIndex}`).toBeLessThanOrEqual(count + 2);
    }
    expect(seen.size).toBe(BIG);
    // Deep anchors also go to KV, so the import continues on another isolate of the location.
    expect(await env.TOKENS.get(`page-anchor:${big.id}:users:${BIG - count}`)).not.toBeNull();
    expect(await env.TOKENS.get(`page-anchor:${big.id}:users:${count}`)).toBeNull();
  });
});

describe("a seek on a non-unique index", () => {
  it("reads at most 1,000 candidates: 1,000 sharing a value are answered, 1,001 are 400 tooMany", async () => {
    const thousand = await big.request("GET", q('externalId eq "thousand"', "&count=3"));
    expect(thousand.status).toBe(200);
    expect(thousand.body.totalResults).toBe(1000);
    expect(thousand.body.Resources.map((u: { id: string }) => u.id)).toEqual([SHARED_OVER + 1, SHARED_OVER + 2, SHARED_OVER + 3].map(userId));
    bounded(thousand);
    const shared = await big.request("GET", q('externalId eq "shared"'));
    tooMany(shared, "More than 1,000 users", "id or userName");
    // 1,001 candidates with their groups (the membership range's end: a few rows each), never the tenant.
    expect(shared.rowsRead).toBeLessThanOrEqual(5 * 1001);
    // With a unique equality beside it, the unique one is the seek.
    const one = await big.request("GET", q('externalId eq "shared" and userName eq "user5@contoso.com"'));
    expect(one.body.totalResults).toBe(1);
  });
});

describe("membership filters", () => {
  it(`groups.value eq alone is answered in full at ${BIG_GROUP} members; with another condition, 400 tooMany past 5,000`, async () => {
    const page = await big.request("GET", q(`groups.value eq "${bigGroup}"`, "&startIndex=5991&count=20&excludedAttributes=groups"));
    expect(page.status).toBe(200);
    expect(page.body.totalResults).toBe(BIG_GROUP);
    expect(page.body.itemsPerPage).toBe(10);
    // The one read that follows the group, not a fixed bound: totalResults counts its membership
    // entries (6,000), then the offset (5,990) and the page; never the tenant's 12,000 users.
    expect(page.rowsRead).toBeLessThanOrEqual(BIG_GROUP + 5990 + 3 * 10 + 5);
    expect(page.statements).toBe(2);
    tooMany(await big.request("GET", q(`groups.value eq "${bigGroup}" and active eq true`)), 'groups.value eq "<groupId>"', "alone");
    tooMany(await big.request("GET", q(`groups.value eq "${bigGroup}"`, "&sortBy=userName")), "alone");
    const fewer = await big.request("GET", q(`groups.value eq "${smallGroup}" and active eq true`));
    expect(fewer.body.totalResults).toBe(3);
  });

  it("members[value eq] answers a user's groups in id order, paged", async () => {
    const both = await big.request("GET", `/Groups?filter=${encodeURIComponent(`members[value eq "${userId(2)}"]`)}&excludedAttributes=members`);
    expect(both.status).toBe(200);
    expect(both.body.totalResults).toBe(2);
    expect(both.body.Resources.map((g: { id: string }) => g.id)).toEqual([smallGroup, bigGroup].sort());
    const second = await big.request("GET", `/Groups?filter=${encodeURIComponent(`members.value eq "${userId(2)}"`)}&excludedAttributes=members&startIndex=2&count=1`);
    expect(second.body).toMatchObject({ totalResults: 2, itemsPerPage: 1 });
    expect(second.body.Resources[0].id).toBe([smallGroup, bigGroup].sort()[1]);
    expect(second.rowsRead).toBeLessThanOrEqual(8);
  });
});

describe("GET /Groups with members", () => {
  it("a page ends before a group whose members do not fit in 5,000 references: fewer results than count", async () => {
    const r = await big.request("GET", "/Groups");
    expect(r.status).toBe(200);
    expect(r.body.totalResults).toBe(2);
    expect(r.body.itemsPerPage).toBe(1);
    expect(r.body.Resources[0].id).toBe(smallGroup);
    expect(r.body.Resources[0].members.map((m: { value: string }) => m.value)).toEqual([1, 2, 3].map(userId));
    bounded(r);
  });

  it("a page that would start with such a group is 400 tooMany naming how to read it", async () => {
    const r = await big.request("GET", "/Groups?startIndex=2");
    tooMany(r, `GET /Groups/${bigGroup}`, "excludedAttributes=members", `groups.value eq "${bigGroup}"`);
    const excluded = await big.request("GET", "/Groups?startIndex=2&excludedAttributes=members");
    expect(excluded.body.Resources.map((g: { id: string }) => g.id)).toEqual([bigGroup]);
    expect(excluded.rowsRead).toBeLessThanOrEqual(3);
  });

  it(`GET /Groups/{id} streams all ${BIG_GROUP} members`, async () => {
    const r = await big.request("GET", `/Groups/${bigGroup}`);
    expect(r.status).toBe(200);
    expect(r.body.members).toHaveLength(BIG_GROUP);
    expect(new Set(r.body.members.map((m: { value: string }) => m.value)).size).toBe(BIG_GROUP);
  });
});
