/**
 * PATCH /Users/{id} (RFC 7644 §3.5.2) through the real worker: every form
 * the RFC and Entra's two PATCH dialects use, the error cases, and that a
 * failing request applies nothing.
 */
import { describe, expect, it } from "vitest";
import { newScimTenant, type ScimReply, type ScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const KLAXON = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

type Op = Record<string, unknown>;
/** A SCIM resource as parsed JSON (asserted field by field). */
type Resource = ScimReply["body"];

function patch(t: ScimTenant, id: string, ops: Op[], headers: Record<string, string> = {}): Promise<ScimReply> {
  return t.request("PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations: ops }, headers);
}

async function ok(t: ScimTenant, id: string, ops: Op[]): Promise<Resource> {
  const res = await patch(t, id, ops);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.headers.get("etag")).toBe(res.body.meta.version);
  // What PATCH answered is what is stored.
  const got = await t.request("GET", `/Users/${id}`);
  expect(got.body).toEqual(res.body);
  return res.body;
}

async function newUser(t: ScimTenant, body: Record<string, unknown> = {}): Promise<Resource> {
  const res = await t.request("POST", "/Users", { schemas: [USER], userName: `u${crypto.randomUUID().slice(0, 8)}@contoso.com`, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** The request fails with `status`/`scimType` and the user (and its version) is unchanged. */
async function fails(t: ScimTenant, user: Resource, ops: Op[], scimType: string, status = 400): Promise<ScimReply> {
  const res = await patch(t, user.id, ops);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.scimType).toBe(scimType);
  const got = await t.request("GET", `/Users/${user.id}`);
  expect(got.body).toEqual(user);
  expect(got.body.meta.version).toBe(user.meta.version);
  return res;
}

describe("PATCH: RFC forms", () => {
  it("add / replace / remove with paths on simple, complex and sub-attributes", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { name: { givenName: "Ann", familyName: "Lee" }, title: "Dev" });
    let r = await ok(t, u.id, [
      { op: "add", path: "nickName", value: "Annie" },
      { op: "replace", path: "name.familyName", value: "Li" },
      { op: "replace", path: "name", value: { middleName: "M" } },
      { op: "remove", path: "title" },
    ]);
    expect(r.nickName).toBe("Annie");
    expect(r.name).toEqual({ givenName: "Ann", familyName: "Li", middleName: "M" });
    expect(r.title).toBeUndefined();
    expect(r.meta.version).not.toBe(u.meta.version);
    r = await ok(t, u.id, [{ op: "remove", path: "name.middleName" }]);
    expect(r.name).toEqual({ givenName: "Ann", familyName: "Li" });
  });

  it("multi-valued: add appends without duplicates, replace replaces the set, valuePath filters select", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { emails: [{ type: "work", value: "a@contoso.com", primary: true }] });
    let r = await ok(t, u.id, [{ op: "add", path: "emails", value: [{ type: "home", value: "a@home.example" }, { type: "work", value: "a@contoso.com", primary: true }] }]);
    expect(r.emails).toEqual([
      { type: "work", value: "a@contoso.com", primary: true },
      { type: "home", value: "a@home.example" },
    ]);
    r = await ok(t, u.id, [{ op: "replace", path: 'emails[type eq "home"].value', value: "b@home.example" }]);
    expect(r.emails[1]).toEqual({ type: "home", value: "b@home.example" });
    r = await ok(t, u.id, [{ op: "remove", path: 'emails[type eq "home"]' }]);
    expect(r.emails).toEqual([{ type: "work", value: "a@contoso.com", primary: true }]);
    r = await ok(t, u.id, [{ op: "replace", path: "phoneNumbers", value: [{ type: "mobile", value: "555" }] }]);
    expect(r.phoneNumbers).toEqual([{ type: "mobile", value: "555" }]);
    r = await ok(t, u.id, [{ op: "replace", path: "phoneNumbers", value: [{ type: "work", value: "777" }] }]);
    expect(r.phoneNumbers).toEqual([{ type: "work", value: "777" }]);
    r = await ok(t, u.id, [{ op: "remove", path: "phoneNumbers" }]);
    expect(r.phoneNumbers).toBeUndefined();
  });

  it("path-less add/replace merge an object, extension attributes nested under their URN", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "Old" });
    const r = await ok(t, u.id, [
      { op: "replace", value: { displayName: "New", name: { givenName: "G" }, [ENTERPRISE]: { department: "Ops", costCenter: "42" } } },
      { op: "add", value: { [KLAXON]: { location: "Lyon" } } },
    ]);
    expect(r.displayName).toBe("New");
    expect(r.name).toEqual({ givenName: "G" });
    expect(r[ENTERPRISE]).toEqual({ department: "Ops", costCenter: "42" });
    expect(r[KLAXON]).toEqual({ location: "Lyon" });
    expect(r.schemas).toEqual([USER, ENTERPRISE, KLAXON]);
  });

  it("replace on an extension URN path and on the whole extension; removing its last attribute drops the schema", async () => {
    const t = await newScimTenant();
    const u = await newUser(t);
    let r = await ok(t, u.id, [{ op: "replace", path: `${ENTERPRISE}:department`, value: "Retail" }]);
    expect(r[ENTERPRISE]).toEqual({ department: "Retail" });
    expect(r.schemas).toEqual([USER, ENTERPRISE]);
    r = await ok(t, u.id, [{ op: "replace", path: ENTERPRISE, value: { division: "D1" } }]);
    expect(r[ENTERPRISE].division).toBe("D1");
    r = await ok(t, u.id, [{ op: "remove", path: `${ENTERPRISE}:department` }, { op: "remove", path: `${ENTERPRISE}:division` }]);
    expect(r[ENTERPRISE]).toBeUndefined();
    expect(r.schemas).toEqual([USER]);
  });

  it("a PATCH that changes nothing keeps version and lastModified", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "Same" });
    const r = await ok(t, u.id, [{ op: "replace", path: "displayName", value: "Same" }]);
    expect(r.meta.version).toBe(u.meta.version);
    expect(r.meta.lastModified).toBe(u.meta.lastModified);
  });
});

describe("PATCH: Entra shapes (default and aadOptscim062020 dialects)", () => {
  it("capitalised ops and string booleans", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { active: true });
    let r = await ok(t, u.id, [{ op: "Replace", path: "active", value: "False" }]);
    expect(r.active).toBe(false);
    r = await ok(t, u.id, [{ op: "REPLACE", path: "active", value: "true" }]);
    expect(r.active).toBe(true);
    r = await ok(t, u.id, [{ op: "Add", path: "nickName", value: "Babs" }, { op: "Add", path: "nickName", value: "Babs2" }]);
    expect(r.nickName).toBe("Babs2");
    r = await ok(t, u.id, [{ op: "Add", path: "emails", value: [{ type: "work", value: "x@contoso.com", primary: "True" }] }]);
    expect(r.emails).toEqual([{ type: "work", value: "x@contoso.com", primary: true }]);
    r = await ok(t, u.id, [{ op: "Remove", path: "nickName" }]);
    expect(r.nickName).toBeUndefined();
  });

  it("a path-less value with dotted keys and URN-qualified keys (aadOptscim062020)", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { name: { givenName: "A", familyName: "B", formatted: "A B" } });
    const r = await ok(t, u.id, [
      { op: "replace", path: 'emails[type eq "work"].value', value: "kk@contoso.com" },
      {
        op: "replace",
        value: {
          displayName: "Bjfe",
          "name.givenName": "Kkom",
          "name.familyName": "Unua",
          [`${ENTERPRISE}:employeeNumber`]: "Aklq",
          [`${KLAXON}:location`]: "Oslo",
        },
      },
    ]);
    expect(r.displayName).toBe("Bjfe");
    expect(r.name).toEqual({ givenName: "Kkom", familyName: "Unua", formatted: "A B" });
    expect(r[ENTERPRISE]).toEqual({ employeeNumber: "Aklq" });
    expect(r[KLAXON]).toEqual({ location: "Oslo" });
    expect(r.emails).toEqual([{ type: "work", value: "kk@contoso.com" }]);
  });

  it('emails[type eq "work"].value creates the work email when there is none, keeping the others', async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { emails: [{ type: "home", value: "h@home.example" }] });
    let r = await ok(t, u.id, [{ op: "Replace", path: 'emails[type eq "work"].value', value: "w@contoso.com" }]);
    expect(r.emails).toEqual([
      { type: "home", value: "h@home.example" },
      { type: "work", value: "w@contoso.com" },
    ]);
    // Findable by the work-email filter right away (the indexed key follows the doc).
    const f = await t.request("GET", `/Users?filter=${encodeURIComponent('emails[type eq "work"].value eq "W@contoso.com"')}`);
    expect(f.body.totalResults).toBe(1);
    r = await ok(t, u.id, [{ op: "Add", path: 'emails[type eq "work"].value', value: "w2@contoso.com" }]);
    expect(r.emails).toHaveLength(2);
    expect(r.emails[1]).toEqual({ type: "work", value: "w2@contoso.com" });
    const u2 = await newUser(t);
    const r2 = await ok(t, u2.id, [{ op: "Add", path: 'emails[type eq "work"].value', value: "n@contoso.com" }]);
    expect(r2.emails).toEqual([{ type: "work", value: "n@contoso.com" }]);
    // addresses too (Entra's default mapping).
    const r3 = await ok(t, u2.id, [{ op: "Replace", path: 'addresses[type eq "work"].formatted', value: "18/2111" }]);
    expect(r3.addresses).toEqual([{ type: "work", formatted: "18/2111" }]);
  });

  it("manager as a bare id string, then {value} on GET; removal by filter path and by empty replace", async () => {
    const t = await newScimTenant();
    const boss = await newUser(t);
    const u = await newUser(t);
    let r = await ok(t, u.id, [{ op: "Add", path: `${ENTERPRISE}:manager`, value: boss.id }]);
    expect(r[ENTERPRISE].manager).toEqual({ value: boss.id });
    expect((await t.request("GET", `/Users/${u.id}`)).body[ENTERPRISE].manager).toEqual({ value: boss.id });
    r = await ok(t, u.id, [{ op: "Remove", path: `${ENTERPRISE}:manager[value eq "${boss.id}"]` }]);
    expect(r[ENTERPRISE]).toBeUndefined();
    r = await ok(t, u.id, [{ op: "replace", path: "manager", value: [{ $ref: `${t.base}/Users/${boss.id}`, value: boss.id }] }]);
    expect(r[ENTERPRISE].manager.value).toBe(boss.id);
    r = await ok(t, u.id, [{ op: "Replace", path: `${ENTERPRISE}:manager`, value: "" }]);
    expect(r[ENTERPRISE]).toBeUndefined();
  });

  it("Remove with a value removes (never sets) it", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, {
      emails: [{ type: "work", value: "old@contoso.com" }, { type: "home", value: "h@home.example" }],
      roles: [{ value: "Admin" }, { value: "User" }],
    });
    let r = await ok(t, u.id, [{ op: "Remove", path: 'emails[type eq "work"].value', value: "old@contoso.com" }]);
    expect(r.emails).toEqual([{ type: "home", value: "h@home.example" }]);
    r = await ok(t, u.id, [{ op: "Remove", path: "roles", value: [{ value: "Admin" }] }]);
    expect(r.roles).toEqual([{ value: "User" }]);
  });

  it("an empty Operations array is a 200 no-op", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "Noop" });
    const r = await ok(t, u.id, []);
    expect(r).toEqual(u);
  });

  it("replace with null or empty string clears the attribute", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "X", title: "Y" });
    const r = await ok(t, u.id, [
      { op: "Replace", path: "displayName", value: "" },
      { op: "Replace", path: "title", value: null },
    ]);
    expect(r.displayName).toBeUndefined();
    expect(r.title).toBeUndefined();
  });

  it("Okta's path-less deactivate / reactivate", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { active: true });
    expect((await ok(t, u.id, [{ op: "replace", value: { active: false } }])).active).toBe(false);
    expect((await ok(t, u.id, [{ op: "replace", value: { active: true } }])).active).toBe(true);
  });
});

describe("PATCH: errors apply nothing", () => {
  it("invalidPath: unknown attribute, bad syntax, unknown sub-attribute", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "Keep" });
    const first = { op: "replace", path: "displayName", value: "Changed" };
    await fails(t, u, [first, { op: "replace", path: "noSuchAttribute", value: "x" }], "invalidPath");
    await fails(t, u, [first, { op: "replace", path: 'emails[type eq "work"', value: "x" }], "invalidPath");
    await fails(t, u, [first, { op: "replace", path: "name.nope", value: "x" }], "invalidPath");
    await fails(t, u, [first, { op: "replace", value: { noSuchAttribute: "x" } }], "invalidPath");
  });

  it("invalidValue: wrong types, removing userName", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "Keep" });
    const first = { op: "replace", path: "displayName", value: "Changed" };
    await fails(t, u, [first, { op: "replace", path: "active", value: "maybe" }], "invalidValue");
    await fails(t, u, [first, { op: "replace", path: "name", value: "not an object" }], "invalidValue");
    await fails(t, u, [first, { op: "remove", path: "userName" }], "invalidValue");
    await fails(t, u, [first, { op: "replace", path: "userName", value: "" }], "invalidValue");
  });

  it("noTarget: remove without a path", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "Keep" });
    await fails(t, u, [{ op: "replace", path: "displayName", value: "Changed" }, { op: "remove" }], "noTarget");
  });

  it("mutability: read-only attributes", async () => {
    const t = await newScimTenant();
    const u = await newUser(t, { displayName: "Keep" });
    const first = { op: "replace", path: "displayName", value: "Changed" };
    await fails(t, u, [first, { op: "replace", path: "id", value: "x" }], "mutability");
    await fails(t, u, [first, { op: "add", path: "groups", value: [{ value: "g" }] }], "mutability");
    await fails(t, u, [first, { op: "replace", path: "meta.created", value: "2020-01-01T00:00:00Z" }], "mutability");
  });

  it("invalidSyntax: unknown op, missing Operations; uniqueness on a rename", async () => {
    const t = await newScimTenant();
    const other = await newUser(t);
    const u = await newUser(t, { displayName: "Keep" });
    await fails(t, u, [{ op: "merge", path: "displayName", value: "x" }], "invalidSyntax");
    const res = await t.request("PATCH", `/Users/${u.id}`, { schemas: [PATCH_OP] });
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidSyntax");
    await fails(t, u, [{ op: "replace", path: "displayName", value: "x" }, { op: "replace", path: "userName", value: other.userName.toUpperCase() }], "uniqueness", 409);
  });

  it("an unknown id is 404", async () => {
    const t = await newScimTenant();
    const res = await patch(t, "00000000-0000-7000-8000-000000000000", [{ op: "replace", path: "displayName", value: "x" }]);
    expect(res.status).toBe(404);
  });
});
