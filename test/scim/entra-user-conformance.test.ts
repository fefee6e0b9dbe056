/**
 * Microsoft Entra ID's user provisioning traffic, byte for byte where
 * Microsoft's SCIM guide for Entra ID shows it, through the real worker.
 */
import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { newScimTenant } from "../support/scim-tenant.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const KLAXON = "urn:ietf:params:scim:schemas:extension:klaxon:2.0:User";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const EMPTY_LIST = { schemas: [LIST], totalResults: 0, Resources: [], startIndex: 1, itemsPerPage: 0 };

describe("Entra: Test Connection and the Tenant URL", () => {
  it("a random-GUID userName / externalId probe → 200 empty ListResponse", async () => {
    const t = await newScimTenant();
    for (const attr of ["userName", "externalId"]) {
      const res = await t.request("GET", `/Users?filter=${attr}+eq+%22${crypto.randomUUID()}%22`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
      expect(res.body).toEqual(EMPTY_LIST);
    }
  });

  it("?aadOptscim062020 on the Tenant URL, a trailing slash and lower-case /users all route", async () => {
    const t = await newScimTenant();
    const created = await t.request("POST", "/users/?aadOptscim062020", { schemas: [USER], userName: "route@contoso.com" });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const filter = "filter=userName+eq+%22ROUTE%40contoso.com%22";
    for (const path of [`/Users?aadOptscim062020&${filter}`, `/Users/?${filter}&aadOptscim062020`, `/users?${filter}`, `/Users?aadOptscim062020=true&${filter}`]) {
      const res = await t.request("GET", path);
      expect(res.status, path).toBe(200);
      expect(res.body.totalResults, path).toBe(1);
      expect(res.body.Resources[0].id).toBe(id);
    }
    expect((await t.request("GET", `/users/${id}/?aadOptscim062020`)).body.id).toBe(id);
    const patched = await t.request("PATCH", `/users/${id}?aadOptscim062020`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] });
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(false);
    // No User-Agent, Entra's minimal headers.
    const res = await exports.default.fetch(`${t.base}/Users?${filter}`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(200);
  });
});

describe("Entra: create", () => {
  it("the exact create payload, with meta, roles: [], explicit nulls and string True", async () => {
    const t = await newScimTenant();
    const body = {
      schemas: [USER, ENTERPRISE],
      externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
      userName: "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
      active: "True",
      emails: [{ primary: true, type: "work", value: "test.user@contoso.com" }],
      meta: { resourceType: "User" },
      name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
      roles: [],
      addresses: null,
      phoneNumbers: null,
      title: null,
      [ENTERPRISE]: { manager: null, department: "Retail" },
      [KLAXON]: { location: "Paris", notificationPhoneNumber: "+33123" },
      [`${KLAXON}:location`]: "Lyon",
    };
    const res = await t.request("POST", "/Users", body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const u = res.body;
    expect(u.schemas).toEqual([USER, ENTERPRISE, KLAXON]);
    expect(u.externalId).toBe(body.externalId);
    expect(u.userName).toBe(body.userName);
    expect(u.active).toBe(true);
    expect(u.emails).toEqual(body.emails);
    expect(u.name).toEqual(body.name);
    for (const absent of ["roles", "addresses", "phoneNumbers", "title", "password", "groups"]) expect(u[absent], absent).toBeUndefined();
    expect(u[ENTERPRISE]).toEqual({ department: "Retail" });
    // The custom extension arrives without its URN in `schemas`; both the object and the flat URN key are read.
    expect(u[KLAXON].notificationPhoneNumber).toBe("+33123");
    expect(["Paris", "Lyon"]).toContain(u[KLAXON].location);
    expect(u.meta).toMatchObject({ resourceType: "User", location: `${t.base}/Users/${u.id}` });
    expect(Object.keys(u.meta).sort()).toEqual(["created", "lastModified", "location", "resourceType", "version"]);

    // The match query Entra runs next finds it, on either matching attribute.
    const byName = await t.request("GET", `/Users?filter=userName+eq+%22${encodeURIComponent(body.userName.toLowerCase())}%22`);
    expect(byName.body.totalResults).toBe(1);
    const byExt = await t.request("GET", `/Users?filter=externalId+eq+%22${body.externalId}%22`);
    expect(byExt.body.totalResults).toBe(1);
    // A second POST of the same user → 409 uniqueness.
    const dup = await t.request("POST", "/Users", body);
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe("uniqueness");
  });

  it("only the flat URN key for the custom extension", async () => {
    const t = await newScimTenant();
    const res = await t.request("POST", "/Users", { schemas: [USER], userName: "flat@contoso.com", [`${KLAXON}:location`]: "Rome" });
    expect(res.status).toBe(201);
    expect(res.body[KLAXON]).toEqual({ location: "Rome" });
    expect(res.body.schemas).toEqual([USER, KLAXON]);
  });
});

describe("Entra: update cycle", () => {
  it("Entra's default-dialect user PATCH, then the manager, then disable / enable, then delete", async () => {
    const t = await newScimTenant();
    const boss = (await t.request("POST", "/Users", { schemas: [USER], userName: "boss@contoso.com" })).body;
    const u = (await t.request("POST", "/Users", { schemas: [USER], userName: "emp@contoso.com", name: { givenName: "E", familyName: "F" } })).body;
    const r1 = await t.request("PATCH", `/Users/${u.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "Replace", path: 'emails[type eq "work"].value', value: "updatedEmail@microsoft.com" },
        { op: "Replace", path: "name.familyName", value: "updatedFamilyName" },
        { op: "Replace", path: 'addresses[type eq "work"].formatted', value: "18/2111" },
        { op: "Add", path: `${ENTERPRISE}:department`, value: "Retail" },
        { op: "Add", path: `${ENTERPRISE}:department`, value: "Retail 2" },
        { op: "Add", path: `${KLAXON}:notificationPhoneNumber`, value: "555" },
      ],
    });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body.emails).toEqual([{ type: "work", value: "updatedEmail@microsoft.com" }]);
    expect(r1.body.name).toEqual({ givenName: "E", familyName: "updatedFamilyName" });
    expect(r1.body.addresses).toEqual([{ type: "work", formatted: "18/2111" }]);
    expect(r1.body[ENTERPRISE]).toEqual({ department: "Retail 2" });
    expect(r1.body[KLAXON]).toEqual({ notificationPhoneNumber: "555" });

    const r2 = await t.request("PATCH", `/Users/${u.id}`, { schemas: [PATCH_OP], Operations: [{ op: "Add", path: `${ENTERPRISE}:manager`, value: boss.id }] });
    expect(r2.status).toBe(200);
    const got = await t.request("GET", `/Users/${u.id}`);
    expect(got.body[ENTERPRISE].manager).toEqual({ value: boss.id });

    const off = await t.request("PATCH", `/Users/${u.id}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "False" }] });
    expect(off.body.active).toBe(false);
    const filtered = await t.request("GET", `/Users?filter=userName+eq+%22emp%40contoso.com%22`);
    expect(filtered.body.Resources[0].active).toBe(false);
    expect(filtered.body.Resources[0][ENTERPRISE].manager).toEqual({ value: boss.id });
    const on = await t.request("PATCH", `/Users/${u.id}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "True" }] });
    expect(on.body.active).toBe(true);

    expect((await t.request("DELETE", `/Users/${u.id}`)).status).toBe(204);
    expect((await t.request("GET", `/Users/${u.id}`)).status).toBe(404);
  });
});
