/**
 * /Users through the real worker (workerd, local D1 and KV): POST, GET, PUT,
 * DELETE, versioning (If-Match), userName uniqueness (also under racing
 * creates), tenant policies and the per-tenant counters.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newScimTenant, type ScimReply, type ScimTenant } from "../support/scim-tenant.js";
import { expectExactCounters } from "../support/tenant-counters.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const KLAXON = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function create(t: ScimTenant, body: Record<string, unknown>): Promise<ScimReply> {
  const res = await t.request("POST", "/Users", { schemas: [USER], ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res;
}

function expectScimError(res: ScimReply, status: number, scimType?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(res.body.schemas).toEqual([ERROR]);
  expect(res.body.status).toBe(String(status));
  expect(typeof res.body.detail).toBe("string");
  expect(res.body.scimType).toBe(scimType);
}

async function docOf(tenantId: string, id: string): Promise<string | undefined> {
  const row = await env.DB.prepare("SELECT doc FROM users WHERE tenant_id = ?1 AND id = ?2").bind(tenantId, id).first<{ doc: string }>();
  return row?.doc;
}

describe("POST /Users", () => {
  it("answers 201 with Location == meta.location, ETag == meta.version and full meta", async () => {
    const t = await newScimTenant();
    const res = await create(t, { userName: "alice@contoso.com", displayName: "Alice" });
    const u = res.body;
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(typeof u.id).toBe("string");
    expect(u.userName).toBe("alice@contoso.com");
    expect(u.meta.resourceType).toBe("User");
    expect(u.meta.created).toMatch(ISO);
    expect(u.meta.lastModified).toBe(u.meta.created);
    expect(u.meta.location).toBe(`${t.base}/Users/${u.id}`);
    expect(res.headers.get("location")).toBe(u.meta.location);
    expect(u.meta.version).toMatch(/^W\/".+"$/);
    expect(res.headers.get("etag")).toBe(u.meta.version);
    // `schemas` lists exactly the schemas the resource uses: core only here.
    expect(u.schemas).toEqual([USER]);
  });

  it("ignores a client-sent id and meta, and lists extension schemas only when used", async () => {
    const t = await newScimTenant();
    const res = await create(t, {
      schemas: [USER, ENTERPRISE],
      id: "client-chosen-id",
      meta: { resourceType: "Group", created: "2001-01-01T00:00:00Z", version: 'W/"x"', location: "http://evil/x" },
      userName: "bob@contoso.com",
      [ENTERPRISE]: { department: "Sales" },
      [KLAXON]: { location: "Paris" },
    });
    expect(res.body.id).not.toBe("client-chosen-id");
    expect(res.body.meta.resourceType).toBe("User");
    expect(res.body.meta.created).not.toBe("2001-01-01T00:00:00Z");
    expect(res.body.meta.location).toBe(`${t.base}/Users/${res.body.id}`);
    expect(res.body.schemas).toEqual([USER, ENTERPRISE, KLAXON]);
    expect(res.body[ENTERPRISE]).toEqual({ department: "Sales" });
    expect(res.body[KLAXON]).toEqual({ location: "Paris" });
    // The enterprise URN in `schemas` without enterprise attributes does not appear in the response.
    const bare = await create(t, { schemas: [USER, ENTERPRISE], userName: "carol@contoso.com" });
    expect(bare.body.schemas).toEqual([USER]);
  });

  it("rejects a body without userName (400 invalidValue) and stores nothing", async () => {
    const t = await newScimTenant();
    expectScimError(await t.request("POST", "/Users", { schemas: [USER], displayName: "No Name" }), 400, "invalidValue");
    expectScimError(await t.request("POST", "/Users", "{not json"), 400, "invalidSyntax");
    expect((await expectExactCounters(t.id)).users).toBe(0);
  });
});

describe("GET /Users/{id}", () => {
  it("returns the stored user with its ETag, and a SCIM 404 for an unknown id", async () => {
    const t = await newScimTenant();
    const created = await create(t, { userName: "dan@contoso.com", name: { givenName: "Dan", familyName: "Brown" } });
    const got = await t.request("GET", `/Users/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    expect(got.headers.get("etag")).toBe(created.body.meta.version);
    expectScimError(await t.request("GET", "/Users/00000000-0000-7000-8000-000000000000"), 404);
  });

  it("does not show another tenant's user", async () => {
    const a = await newScimTenant();
    const b = await newScimTenant();
    const created = await create(a, { userName: "erin@contoso.com" });
    expectScimError(await b.request("GET", `/Users/${created.body.id}`), 404);
  });
});

describe("PUT /Users/{id}", () => {
  it("replaces the whole resource: omitted attributes are cleared, id/meta/groups in the body ignored", async () => {
    const t = await newScimTenant();
    const created = await create(t, { userName: "fay@contoso.com", displayName: "Fay", title: "Boss", nickName: "F" });
    const id = created.body.id;
    const put = await t.request("PUT", `/Users/${id}`, {
      schemas: [USER],
      id: "other",
      meta: { created: "2001-01-01T00:00:00Z" },
      groups: [],
      userName: "fay@contoso.com",
      displayName: "Fay Smith",
      nickName: null,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.id).toBe(id);
    expect(put.body.displayName).toBe("Fay Smith");
    expect(put.body.title).toBeUndefined();
    expect(put.body.nickName).toBeUndefined();
    expect(put.body.meta.created).toBe(created.body.meta.created);
    expect(put.body.meta.version).not.toBe(created.body.meta.version);
    expect(put.headers.get("etag")).toBe(put.body.meta.version);
    const got = await t.request("GET", `/Users/${id}`);
    expect(got.body).toEqual(put.body);
  });

  it("answers 400 invalidValue without userName and changes nothing", async () => {
    const t = await newScimTenant();
    const created = await create(t, { userName: "gus@contoso.com", displayName: "Gus" });
    expectScimError(await t.request("PUT", `/Users/${created.body.id}`, { schemas: [USER], displayName: "Gus 2" }), 400, "invalidValue");
    const got = await t.request("GET", `/Users/${created.body.id}`);
    expect(got.body).toEqual(created.body);
  });

  it("renames to a userName another user holds → 409 uniqueness", async () => {
    const t = await newScimTenant();
    await create(t, { userName: "hal@contoso.com" });
    const ivy = await create(t, { userName: "ivy@contoso.com" });
    expectScimError(await t.request("PUT", `/Users/${ivy.body.id}`, { userName: "HAL@contoso.com" }), 409, "uniqueness");
    // A case-only rename of one's own userName is not a clash.
    const self = await t.request("PUT", `/Users/${ivy.body.id}`, { userName: "Ivy@Contoso.com" });
    expect(self.status).toBe(200);
    expect(self.body.userName).toBe("Ivy@Contoso.com");
  });
});

describe("DELETE /Users/{id}", () => {
  it("answers 204 with no body, then 404 for GET, PATCH, PUT and a second DELETE", async () => {
    const t = await newScimTenant();
    const created = await create(t, { userName: "jo@contoso.com" });
    const id = created.body.id;
    const del = await t.request("DELETE", `/Users/${id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    expectScimError(await t.request("GET", `/Users/${id}`), 404);
    expectScimError(
      await t.request("PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] }),
      404,
    );
    expectScimError(await t.request("PUT", `/Users/${id}`, { userName: "jo@contoso.com" }), 404);
    expectScimError(await t.request("DELETE", `/Users/${id}`), 404);
    expect(await docOf(t.id, id)).toBeUndefined();
    // The userName is free again.
    await create(t, { userName: "jo@contoso.com" });
  });
});

describe("If-Match (RFC 7644 §3.14)", () => {
  it("answers 412 on PUT, PATCH and DELETE with a stale version and changes nothing", async () => {
    const t = await newScimTenant();
    const created = await create(t, { userName: "kim@contoso.com", displayName: "Kim" });
    const id = created.body.id;
    const stale = { "if-match": 'W/"0000000000000000"' };
    expectScimError(await t.request("PUT", `/Users/${id}`, { userName: "kim@contoso.com", displayName: "X" }, stale), 412);
    expectScimError(
      await t.request("PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "X" }] }, stale),
      412,
    );
    expectScimError(await t.request("DELETE", `/Users/${id}`, undefined, stale), 412);
    const got = await t.request("GET", `/Users/${id}`);
    expect(got.body).toEqual(created.body);
  });

  it("succeeds when If-Match carries the current version", async () => {
    const t = await newScimTenant();
    const created = await create(t, { userName: "lea@contoso.com", displayName: "Lea" });
    const id = created.body.id;
    const put = await t.request("PUT", `/Users/${id}`, { userName: "lea@contoso.com", displayName: "Lea 2" }, { "if-match": created.body.meta.version });
    expect(put.status).toBe(200);
    const patch = await t.request(
      "PATCH",
      `/Users/${id}`,
      { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "Lea 3" }] },
      { "if-match": put.headers.get("etag") as string },
    );
    expect(patch.status).toBe(200);
    expect(patch.body.displayName).toBe("Lea 3");
    // The strong form of the same tag matches too (weak comparison).
    const strong = (patch.body.meta.version as string).replace(/^W\//, "");
    expect((await t.request("DELETE", `/Users/${id}`, undefined, { "if-match": strong })).status).toBe(204);
  });
});

describe("userName uniqueness", () => {
  it("refuses a userName differing only in case, also for non-ASCII letters (409 uniqueness)", async () => {
    const t = await newScimTenant();
    await create(t, { userName: "mia@contoso.com" });
    expectScimError(await t.request("POST", "/Users", { userName: "MIA@Contoso.COM" }), 409, "uniqueness");
    await create(t, { userName: "Ärger@contoso.com" });
    expectScimError(await t.request("POST", "/Users", { userName: "ärger@CONTOSO.com" }), 409, "uniqueness");
    expect((await expectExactCounters(t.id)).users).toBe(2);
  });

  it("lets exactly one of five racing creates of one userName win; counters stay exact", async () => {
    const t = await newScimTenant();
    const replies = await Promise.all(
      ["ned@contoso.com", "NED@contoso.com", "Ned@Contoso.com", "ned@CONTOSO.com", "nEd@contoso.com"].map((userName) =>
        t.request("POST", "/Users", { schemas: [USER], userName }),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    for (const r of replies.filter((x) => x.status === 409)) expect(r.body.scimType).toBe("uniqueness");
    const s = await expectExactCounters(t.id);
    expect(s.users).toBe(1);
    expect(s.activeUsers).toBe(1);
    const { results } = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?1").bind(t.id).all<{ n: number }>();
    expect(results[0]?.n).toBe(1);
  });

  it("is per tenant: two tenants may hold the same userName", async () => {
    const a = await newScimTenant();
    const b = await newScimTenant();
    await create(a, { userName: "ola@contoso.com" });
    await create(b, { userName: "ola@contoso.com" });
  });
});

describe("tenant policies", () => {
  it("allowedDomains: a userName or email from another domain → 400 invalidValue naming it, nothing stored", async () => {
    const t = await newScimTenant({ allowedDomains: ["contoso.com"] });
    const before = await expectExactCounters(t.id);
    const badName = await t.request("POST", "/Users", { userName: "pat@fabrikam.com" });
    expectScimError(badName, 400, "invalidValue");
    expect(badName.body.detail).toContain("fabrikam.com");
    const badEmail = await t.request("POST", "/Users", {
      userName: "pat@contoso.com",
      emails: [{ type: "work", value: "pat@contoso.com" }, { type: "home", value: "pat@evil.example" }],
    });
    expectScimError(badEmail, 400, "invalidValue");
    expect(badEmail.body.detail).toContain("evil.example");
    expect(await expectExactCounters(t.id)).toEqual(before);
    const list = await t.request("GET", "/Users");
    expect(list.body.totalResults).toBe(0);
    // Allowed (case-insensitively) → created.
    const ok = await create(t, { userName: "pat@CONTOSO.com", emails: [{ type: "work", value: "pat@contoso.com" }] });
    // A PATCH bringing in a foreign email is refused as a whole.
    const patch = await t.request("PATCH", `/Users/${ok.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "replace", path: "displayName", value: "Pat" },
        { op: "add", path: "emails", value: [{ type: "other", value: "pat@fabrikam.com" }] },
      ],
    });
    expectScimError(patch, 400, "invalidValue");
    expect(patch.body.detail).toContain("fabrikam.com");
    expect((await t.request("GET", `/Users/${ok.body.id}`)).body).toEqual(ok.body);
    // PUT too.
    expectScimError(await t.request("PUT", `/Users/${ok.body.id}`, { userName: "pat@fabrikam.com" }), 400, "invalidValue");
    expect(await expectExactCounters(t.id)).toEqual({ ...before, users: 1, activeUsers: 1 });
  });

  it("locations: an unknown location is stored as Default, a listed one with the list's spelling", async () => {
    const t = await newScimTenant({ locations: ["Paris", "Berlin"] });
    const unknown = await create(t, { userName: "quinn@contoso.com", [KLAXON]: { location: "Atlantis" } });
    expect(unknown.body[KLAXON].location).toBe("Default");
    const listed = await create(t, { userName: "ray@contoso.com", [KLAXON]: { location: "paris", notificationPhoneNumber: "+331" } });
    expect(listed.body[KLAXON]).toEqual({ location: "Paris", notificationPhoneNumber: "+331" });
    const patched = await t.request("PATCH", `/Users/${listed.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Replace", path: `${KLAXON}:location`, value: "Mars" }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body[KLAXON].location).toBe("Default");
    const stored = JSON.parse((await docOf(t.id, listed.body.id)) as string);
    expect(stored[KLAXON].location).toBe("Default");
  });
});

describe("active and the counters", () => {
  it("keeps users/activeUsers exact through create, deactivate, reactivate, PUT and delete", async () => {
    const t = await newScimTenant();
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 0, activeUsers: 0 });
    const a = await create(t, { userName: "sam@contoso.com", active: true });
    const b = await create(t, { userName: "tia@contoso.com", active: false });
    await create(t, { userName: "uma@contoso.com" }); // absent active counts as active
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 3, activeUsers: 2 });

    const off = await t.request("PATCH", `/Users/${a.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "False" }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 3, activeUsers: 1 });
    // Deactivated twice: no double count.
    await t.request("PATCH", `/Users/${a.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] });
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 3, activeUsers: 1 });

    // Still there, with active false, by GET and by filter.
    const got = await t.request("GET", `/Users/${a.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.active).toBe(false);
    const found = await t.request("GET", `/Users?filter=${encodeURIComponent('userName eq "sam@contoso.com"')}`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].active).toBe(false);
    const inactive = await t.request("GET", `/Users?filter=${encodeURIComponent("active eq false")}`);
    expect(inactive.body.Resources.map((r: { userName: string }) => r.userName).sort()).toEqual(["sam@contoso.com", "tia@contoso.com"]);

    const on = await t.request("PUT", `/Users/${b.body.id}`, { userName: "tia@contoso.com", active: "True" });
    expect(on.body.active).toBe(true);
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 3, activeUsers: 2 });
    await t.request("PATCH", `/Users/${a.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "True" }] });
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 3, activeUsers: 3 });

    await t.request("PATCH", `/Users/${a.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] });
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 3, activeUsers: 2 });
    expect((await t.request("DELETE", `/Users/${a.body.id}`)).status).toBe(204); // an inactive user
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 2, activeUsers: 2 });
    expect((await t.request("DELETE", `/Users/${b.body.id}`)).status).toBe(204); // an active user
    expect(await expectExactCounters(t.id)).toMatchObject({ users: 1, activeUsers: 1 });
    expect((await t.request("GET", "/Users")).body.totalResults).toBe(1);
  });
});
