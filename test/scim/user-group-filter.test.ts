/**
 * `GET /Users?filter=groups.value eq "<groupId>"` (and `groups[value eq]`,
 * and POST /Users/.search) answers the group's direct members as a paged
 * ListResponse, read through the memberships primary key — its cost follows
 * the group and the page, not the tenant. Any other filter on `groups` is
 * 400 invalidFilter naming the supported form, never a silent empty list.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { expectScimError } from "../support/scim-error.js";
import { newScimTenant, type ScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LICENCE = "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

const q = (filter: string, extra = "") => `/Users?filter=${encodeURIComponent(filter)}${extra}`;

let t: ScimTenant;
/** User ids in creation (= id) order. */
const users: string[] = [];
let sales: string;
let ops: string;
let empty: string;

async function group(displayName: string, members: string[]): Promise<string> {
  const res = await t.request("POST", "/Groups", {
    schemas: [GROUP, LICENCE],
    displayName,
    [LICENCE]: { license: false },
    members: members.map((value) => ({ value })),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

beforeAll(async () => {
  t = await newScimTenant();
  for (let i = 0; i < 6; i++) {
    const res = await t.request("POST", "/Users", { schemas: [USER], userName: `u${i}@contoso.com`, displayName: `User ${i}`, active: i !== 2 });
    expect(res.status).toBe(201);
    users.push(res.body.id);
  }
  // Members given out of order: the list answers in id order all the same.
  sales = await group("Sales", [users[4]!, users[0]!, users[2]!, users[1]!]);
  ops = await group("Ops", [users[2]!, users[3]!]);
  empty = await group("Empty", []);
});

function ids(body: { Resources: Array<{ id: string }> }): string[] {
  return body.Resources.map((r) => r.id);
}

describe("groups.value eq: the group's direct members", () => {
  it("answers a ListResponse of exactly the members, in id order, with their groups", async () => {
    const res = await t.request("GET", q(`groups.value eq "${sales}"`));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(res.body.schemas).toEqual([LIST]);
    expect(res.body.totalResults).toBe(4);
    expect(res.body.startIndex).toBe(1);
    expect(res.body.itemsPerPage).toBe(4);
    expect(ids(res.body)).toEqual([users[0], users[1], users[2], users[4]]);
    const third = res.body.Resources[2];
    expect(third.userName).toBe("u2@contoso.com");
    expect(third.groups.map((g: { value: string }) => g.value).sort()).toEqual([sales, ops].sort());

    const other = await t.request("GET", q(`groups.value eq "${ops}"`));
    expect(ids(other.body)).toEqual([users[2], users[3]]);
  });

  it("groups[value eq], `groups eq` and POST /Users/.search answer the same", async () => {
    const expected = [users[2], users[3]];
    for (const filter of [`groups[value eq "${ops}"]`, `GROUPS.VALUE eq "${ops}"`, `groups eq "${ops}"`]) {
      const res = await t.request("GET", q(filter));
      expect(res.status, `${filter}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.totalResults).toBe(2);
      expect(ids(res.body)).toEqual(expected);
    }
    const search = await t.request("POST", "/Users/.search", { schemas: [SEARCH], filter: `groups.value eq "${ops}"`, attributes: ["userName"] });
    expect(search.status, JSON.stringify(search.body)).toBe(200);
    expect(search.body.totalResults).toBe(2);
    expect(search.body.Resources.map((r: { id: string; userName: string }) => [r.id, r.userName])).toEqual([
      [users[2], "u2@contoso.com"],
      [users[3], "u3@contoso.com"],
    ]);
  });

  it("pages like any list: totalResults is the member count on every page", async () => {
    const pages: string[] = [];
    for (const startIndex of [1, 3, 5]) {
      const res = await t.request("GET", q(`groups.value eq "${sales}"`, `&startIndex=${startIndex}&count=2`));
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(4);
      expect(res.body.startIndex).toBe(startIndex);
      expect(res.body.itemsPerPage).toBe(startIndex === 5 ? 0 : 2);
      pages.push(...ids(res.body));
    }
    expect(pages).toEqual([users[0], users[1], users[2], users[4]]);
    const counted = await t.request("GET", q(`groups.value eq "${sales}"`, "&count=0"));
    expect(counted.body.totalResults).toBe(4);
    expect(counted.body.Resources ?? []).toEqual([]);
    const descending = await t.request("GET", q(`groups.value eq "${sales}"`, "&sortBy=id&sortOrder=descending&count=3"));
    expect(ids(descending.body)).toEqual([users[4], users[2], users[1]]);
  });

  it("and-ed with other conditions and sorted, still only the members", async () => {
    const active = await t.request("GET", q(`groups.value eq "${sales}" and active eq true`));
    expect(active.body.totalResults).toBe(3);
    expect(ids(active.body)).toEqual([users[0], users[1], users[4]]);
    const both = await t.request("GET", q(`userName eq "u2@contoso.com" and groups[value eq "${ops}"]`));
    expect(ids(both.body)).toEqual([users[2]]);
    const notMember = await t.request("GET", q(`userName eq "u5@contoso.com" and groups.value eq "${ops}"`));
    expect(notMember.body.totalResults).toBe(0);
    const sorted = await t.request("GET", q(`groups.value eq "${sales}"`, "&sortBy=userName&sortOrder=descending&startIndex=2&count=2"));
    expect(sorted.body.totalResults).toBe(4);
    expect(sorted.body.Resources.map((r: { userName: string }) => r.userName)).toEqual(["u2@contoso.com", "u1@contoso.com"]);
  });

  it("a group with members answers them; an empty group, an unknown id and another tenant's group have none here", async () => {
    const members = await t.request("GET", q(`groups.value eq "${ops}"`));
    expect(members.body.totalResults).toBe(2);
    const other = await newScimTenant();
    const stranger = await other.request("POST", "/Users", { schemas: [USER], userName: "x@fabrikam.com" });
    const foreign = await other.request("POST", "/Groups", { schemas: [GROUP], displayName: "Foreign", members: [{ value: stranger.body.id }] });
    expect(foreign.status).toBe(201);
    for (const id of [empty, "no-such-group", foreign.body.id as string]) {
      const res = await t.request("GET", q(`groups.value eq "${id}"`));
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(0);
    }
  });
});

describe("other filters on groups → 400 invalidFilter naming the supported form", () => {
  it.each([
    'groups.display eq "Sales"',
    'groups.value co "a"',
    'groups.value ne "a"',
    "groups pr",
    'groups[type eq "direct"]',
    'groups.value eq "a" or active eq true',
    'not (groups.value eq "a")',
  ])("%s", async (filter) => {
    const res = await t.request("GET", q(filter));
    const detail = expectScimError(res, 400, "invalidFilter");
    expect(detail).toContain('groups.value eq "<groupId>"');
    const search = await t.request("POST", "/Users/.search", { schemas: [SEARCH], filter });
    expectScimError(search, 400, "invalidFilter");
  });
});

describe("row budget: the read follows the group and the page, not the tenant", () => {
  const TENANT_USERS = 3_000;
  let big: ScimTenant;
  let small: string;
  const members: string[] = [];

  beforeAll(async () => {
    big = await newScimTenant();
    const template = await big.request("POST", "/Users", { schemas: [USER], userName: "template@contoso.com", displayName: "Template", active: true });
    expect(template.status).toBe(201);
    const row = await env.DB.prepare("SELECT * FROM users WHERE tenant_id = ?1 AND id = ?2")
      .bind(big.id, template.body.id)
      .first<Record<string, unknown>>();
    // Users shaped like the template row, with ids after it (same UUIDv7 prefix, a counter in the tail).
    const prefix = (template.body.id as string).slice(0, 24);
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?2)
       INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, work_email_key, display_name, active, doc, created_at, last_modified, etag)
       SELECT ?1, ?3 || printf('%012d', i), 'user' || i || '@contoso.com', 'user' || i || '@contoso.com', NULL, NULL, 'User ' || i, 1,
              json_set(?4, '$.userName', 'user' || i || '@contoso.com', '$.displayName', 'User ' || i), ?5, ?5, lower(hex(randomblob(8)))
       FROM seq`,
    )
      .bind(big.id, TENANT_USERS - 1, prefix, row!.doc, row!.created_at)
      .run();
    await env.DB.prepare("UPDATE tenant_stats SET users = users + ?2, active_users = active_users + ?2 WHERE tenant_id = ?1")
      .bind(big.id, TENANT_USERS - 1)
      .run();
    expect((await big.request("GET", "/Users?count=0")).body.totalResults).toBe(TENANT_USERS);
    // Twelve members spread over the tenant, added through the API.
    for (let i = 1; i <= 12; i++) members.push(`${prefix}${String(i * 200).padStart(12, "0")}`);
    const res = await big.request("POST", "/Groups", {
      schemas: [GROUP, LICENCE],
      displayName: "Small",
      [LICENCE]: { license: false },
      members: members.map((value) => ({ value })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    small = res.body.id;
  }, 120_000);

  it("a page of a 12-member group in a 3,000-user tenant reads the group's entries and the page; a scan reads the tenant", async () => {
    const first = await big.request("GET", q(`groups.value eq "${small}"`, "&count=5"));
    expect(first.status).toBe(200);
    expect(first.body.totalResults).toBe(12);
    expect(ids(first.body)).toEqual(members.slice(0, 5));
    const last = await big.request("GET", q(`groups.value eq "${small}"`, "&startIndex=11&count=5"));
    expect(ids(last.body)).toEqual(members.slice(10));
    const excluded = await big.request("GET", q(`groups.value eq "${small}"`, "&count=5&excludedAttributes=groups"));
    expect(ids(excluded.body)).toEqual(members.slice(0, 5));
    // totalResults counts the group's 12 membership entries; the page reads
    // its offset + k entries of the memberships primary key, k users and, for
    // `groups`, each user's membership entry and group (measured: 37, 31, 22).
    const budget = (offset: number, k: number, groups: boolean) => 12 + offset + k + k + (groups ? 3 * k : 0) + 2;
    expect(first.rowsRead).toBeLessThanOrEqual(budget(0, 5, true));
    expect(last.rowsRead).toBeLessThanOrEqual(budget(10, 2, true));
    expect(excluded.rowsRead).toBeLessThanOrEqual(budget(0, 5, false));
    // With another condition, the group's range is scanned (12 entries, 12 users), still not the tenant.
    const active = await big.request("GET", q(`groups.value eq "${small}" and active eq true`, "&count=5"));
    expect(active.body.totalResults).toBe(12);
    expect(ids(active.body)).toEqual(members.slice(0, 5));
    // Measured 44: the range's entries and users, then the page's groups in one statement.
    expect(active.rowsRead).toBeLessThanOrEqual(12 + 12 + 4 * 5 + 2);
    // For scale: a filter without an index seek reads every user of the tenant.
    const scan = await big.request("GET", q('displayName co "User 1"', "&count=5"));
    expect(scan.rowsRead).toBeGreaterThanOrEqual(TENANT_USERS);
  });
});
