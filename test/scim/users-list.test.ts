/**
 * GET /Users and POST /Users/.search (RFC 7644 §3.4.2, §3.4.3): ListResponse
 * shape, paging, sorting, attributes/excludedAttributes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_RESULTS } from "../../src/scim/list-response.js";
import { newScimTenant, type ScimReply, type ScimTenant } from "../support/scim-tenant.js";

/** A SCIM resource as parsed JSON (asserted field by field). */
type Resource = ScimReply["body"];

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const N = 13;
const FAMILY = ["Zeta", "alpha", "Mu", "beta", "Omega", "gamma", "Delta", "eta", "Iota", "kappa", "Lambda", "nu", "Xi"];

let t: ScimTenant;
const created: Array<Resource> = [];

beforeAll(async () => {
  t = await newScimTenant();
  for (let i = 0; i < N; i++) {
    const res = await t.request("POST", "/Users", {
      schemas: [USER, ENTERPRISE],
      userName: `user${String(i).padStart(2, "0")}@contoso.com`,
      displayName: `User ${i}`,
      name: { givenName: `G${i}`, familyName: FAMILY[i] },
      emails: [{ type: "work", value: `user${i}@contoso.com`, primary: true }],
      [ENTERPRISE]: { department: i % 2 === 0 ? "Sales" : "Ops" },
    });
    expect(res.status).toBe(201);
    created.push(res.body);
  }
});

const ids = (body: { Resources: Array<{ id: string }> }) => body.Resources.map((r) => r.id);

describe("ListResponse shape", () => {
  it("an empty tenant answers 200 with integers and Resources []", async () => {
    const empty = await newScimTenant();
    const res = await empty.request("GET", "/Users");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it("lists every user in creation order with integer counters", async () => {
    const res = await t.request("GET", "/Users");
    expect(res.body.schemas).toEqual([LIST]);
    expect(res.body.totalResults).toBe(N);
    expect(res.body.startIndex).toBe(1);
    expect(res.body.itemsPerPage).toBe(N);
    expect(ids(res.body)).toEqual(created.map((c) => c.id));
    expect(res.body.Resources[0]).toEqual(created[0]);
  });
});

describe("paging", () => {
  it("startIndex/count pages are stable and cover every user exactly once; startIndex is echoed", async () => {
    const seen: string[] = [];
    for (let start = 1; start <= N; start += 4) {
      const res = await t.request("GET", `/Users?startIndex=${start}&count=4`);
      expect(res.body.startIndex).toBe(start);
      expect(res.body.totalResults).toBe(N);
      expect(res.body.itemsPerPage).toBe(Math.min(4, N - start + 1));
      seen.push(...ids(res.body));
    }
    expect(seen).toEqual(created.map((c) => c.id));
    // The same with a filter (scan plan) and a sort.
    const filtered: string[] = [];
    for (let start = 1; start <= N; start += 5) {
      const res = await t.request("GET", `/Users?filter=${encodeURIComponent('userName sw "user"')}&startIndex=${start}&count=5&sortBy=name.familyName`);
      expect(res.body.startIndex).toBe(start);
      filtered.push(...ids(res.body));
    }
    expect(new Set(filtered).size).toBe(N);
  });

  it("startIndex past the end → empty page; startIndex < 1 → 1; negative count → 0", async () => {
    const past = await t.request("GET", `/Users?startIndex=${N + 5}&count=5`);
    expect(past.body).toMatchObject({ totalResults: N, startIndex: N + 5, itemsPerPage: 0, Resources: [] });
    const zero = await t.request("GET", "/Users?startIndex=0&count=2");
    expect(zero.body.startIndex).toBe(1);
    expect(ids(zero.body)).toEqual([created[0]!.id, created[1]!.id]);
    const neg = await t.request("GET", "/Users?count=-3");
    expect(neg.body).toMatchObject({ totalResults: N, itemsPerPage: 0, Resources: [] });
  });

  it("count=0 returns only totalResults, with and without a filter", async () => {
    const res = await t.request("GET", "/Users?count=0");
    expect(res.body).toEqual({ schemas: [LIST], totalResults: N, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const f = await t.request("GET", `/Users?count=0&filter=${encodeURIComponent(`${ENTERPRISE}:department eq "Sales"`)}`);
    expect(f.body).toEqual({ schemas: [LIST], totalResults: 7, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it("count is clamped to MAX_RESULTS (advertised as filter.maxResults)", async () => {
    const spc = await t.request("GET", "/ServiceProviderConfig");
    expect(spc.body.filter.maxResults).toBe(MAX_RESULTS);
    const big = await newScimTenant();
    const n = MAX_RESULTS + 3;
    // Sequential creates would be slow; the clamp is visible with fewer users via itemsPerPage ≤ MAX_RESULTS.
    await Promise.all(
      Array.from({ length: n }, (_, i) => big.request("POST", "/Users", { schemas: [USER], userName: `bulk${i}@contoso.com` })),
    );
    const res = await big.request("GET", `/Users?count=${MAX_RESULTS * 10}`);
    expect(res.body.totalResults).toBe(n);
    expect(res.body.itemsPerPage).toBe(MAX_RESULTS);
    const rest = await big.request("GET", `/Users?startIndex=${MAX_RESULTS + 1}&count=${MAX_RESULTS * 10}`);
    expect(rest.body.itemsPerPage).toBe(3);
  });
});

describe("sorting", () => {
  it("sortBy userName ascending and descending", async () => {
    const asc = await t.request("GET", "/Users?sortBy=userName");
    const names = asc.body.Resources.map((r: { userName: string }) => r.userName);
    expect(names).toEqual([...names].sort());
    const desc = await t.request("GET", "/Users?sortBy=userName&sortOrder=descending");
    expect(desc.body.Resources.map((r: { userName: string }) => r.userName)).toEqual([...names].reverse());
  });

  it("sortBy name.familyName (no column: the scan path), case-insensitively, paged", async () => {
    const expected = [...FAMILY].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    const res = await t.request("GET", "/Users?sortBy=name.familyName&sortOrder=ascending");
    expect(res.body.totalResults).toBe(N);
    expect(res.body.Resources.map((r: { name: { familyName: string } }) => r.name.familyName)).toEqual(expected);
    const page2 = await t.request("GET", "/Users?sortBy=name.familyName&sortOrder=descending&startIndex=3&count=2");
    expect(page2.body.Resources.map((r: { name: { familyName: string } }) => r.name.familyName)).toEqual([...expected].reverse().slice(2, 4));
  });

  it("a bad sortOrder or sortBy is a 400", async () => {
    expect((await t.request("GET", "/Users?sortBy=userName&sortOrder=sideways")).status).toBe(400);
    expect((await t.request("GET", "/Users?sortBy=noSuchAttribute")).status).toBe(400);
  });
});

describe("attributes / excludedAttributes", () => {
  it("attributes returns only those plus id and schemas", async () => {
    const res = await t.request("GET", `/Users?attributes=userName,name.givenName,${ENTERPRISE}:department&count=1`);
    const r = res.body.Resources[0];
    expect(r).toEqual({
      schemas: [USER, ENTERPRISE],
      id: created[0]!.id,
      userName: created[0]!.userName,
      name: { givenName: "G0" },
      [ENTERPRISE]: { department: "Sales" },
    });
  });

  it("excludedAttributes drops those; id cannot be excluded", async () => {
    const res = await t.request("GET", `/Users/${created[1]!.id}?excludedAttributes=emails,name,id,${ENTERPRISE}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(created[1]!.id);
    expect(res.body.emails).toBeUndefined();
    expect(res.body.name).toBeUndefined();
    expect(res.body[ENTERPRISE]).toBeUndefined();
    expect(res.body.userName).toBe(created[1]!.userName);
    expect(res.body.displayName).toBe("User 1");
  });

  it("apply to POST and PATCH responses too", async () => {
    const res = await t.request("POST", "/Users?attributes=userName", { schemas: [USER], userName: "proj@contoso.com", displayName: "P" });
    expect(res.status).toBe(201);
    expect(res.body.displayName).toBeUndefined();
    expect(res.body.userName).toBe("proj@contoso.com");
    expect((await t.request("DELETE", `/Users/${res.body.id}`)).status).toBe(204);
  });
});

describe("POST /Users/.search", () => {
  it("returns the same as the equivalent GET and creates nothing", async () => {
    const filter = `${ENTERPRISE}:department eq "Ops" or userName eq "user00@contoso.com"`;
    const get = await t.request(
      "GET",
      `/Users?filter=${encodeURIComponent(filter)}&startIndex=2&count=3&sortBy=userName&sortOrder=descending&attributes=userName,displayName`,
    );
    const post = await t.request("POST", "/Users/.search", {
      schemas: [SEARCH],
      filter,
      startIndex: 2,
      count: 3,
      sortBy: "userName",
      sortOrder: "descending",
      attributes: ["userName", "displayName"],
    });
    expect(post.status).toBe(200);
    expect(post.body).toEqual(get.body);
    expect(get.body.totalResults).toBe(7);
    expect(get.body.itemsPerPage).toBe(3);
    const all = await t.request("POST", "/Users/.search", { schemas: [SEARCH] });
    expect(all.body.totalResults).toBe(N);
    expect(all.body).toEqual((await t.request("GET", "/Users")).body);
  });
});
